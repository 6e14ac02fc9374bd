import { describe, expect, it } from 'vitest';
import { checkPlayable, mediaErrorKey, verdictMessage, type Probe } from '../src/lib/player/playability';
import { nextPosition, playOrder, previousPosition, reshuffle } from '../src/lib/player/queue';
import { artworkOf, itemPath } from '../src/lib/player/types';

/** A browser that plays exactly the given MIME types (as canPlayType strings). */
function browser(plays: string[], mse: string[] = []): Probe & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    canPlayType: (type) => {
      asked.push(type);
      return plays.includes(type) ? 'probably' : '';
    },
    isTypeSupported: (type) => mse.includes(type),
  };
}

const CHROMIUM_LIKE = [
  'video/webm', 'video/webm; codecs="vp8"', 'video/webm; codecs="vp9"', 'video/webm; codecs="vorbis"', 'video/webm; codecs="opus"',
  'video/mp4', 'video/mp4; codecs="avc1.640028"', 'video/mp4; codecs="mp4a.40.2"', 'audio/ogg', 'audio/ogg; codecs="opus"',
  'audio/ogg; codecs="vorbis"', 'audio/flac', 'audio/mpeg', 'audio/webm; codecs="opus"', 'audio/mp4; codecs="mp4a.40.2"', 'audio/mp4',
];

describe('checkPlayable', () => {
  it('lets a file through whose container and codecs the browser plays', () => {
    expect(checkPlayable({ container: 'webm', mime_type: 'video/webm', video_codec: 'vp8', audio_codec: 'vorbis' }, 'video', browser(CHROMIUM_LIKE))).toEqual({ ok: true });
    expect(checkPlayable({ container: 'ogg', mime_type: 'audio/ogg', audio_codec: 'opus' }, 'audio', browser(CHROMIUM_LIKE))).toEqual({ ok: true });
    expect(checkPlayable({ container: 'flac', audio_codec: 'flac' }, 'audio', browser(CHROMIUM_LIKE))).toEqual({ ok: true });
  });

  it('names the video codec the browser lacks', () => {
    const verdict = checkPlayable({ container: 'matroska,webm', video_codec: 'hevc', audio_codec: 'aac' }, 'video', browser(CHROMIUM_LIKE));
    expect(verdict).toEqual({ ok: false, lacks: 'video', name: 'HEVC' });
    expect(verdictMessage(verdict)).toEqual({ key: 'ui.player.cannot_play_video', values: { name: 'HEVC' } });
  });

  it('names the audio codec, also one no browser plays', () => {
    expect(checkPlayable({ container: 'mkv', video_codec: 'h264', audio_codec: 'dts' }, 'video', browser(CHROMIUM_LIKE))).toEqual({ ok: false, lacks: 'audio', name: 'DTS' });
    expect(checkPlayable({ container: 'mp4', video_codec: 'h264', audio_codec: 'ac3' }, 'video', browser(CHROMIUM_LIKE))).toEqual({ ok: false, lacks: 'audio', name: 'Dolby Digital (AC-3)' });
    expect(verdictMessage({ ok: false, lacks: 'audio', name: 'DTS' })?.key).toBe('ui.player.cannot_play_audio');
  });

  it('asks MediaSource when canPlayType says no', () => {
    const probe = browser(['video/mp4'], ['video/mp4; codecs="hvc1.1.6.L120.90"']);
    expect(checkPlayable({ container: 'mp4', video_codec: 'hevc' }, 'video', probe)).toEqual({ ok: true });
  });

  it('names a container the browser lacks, and plays Matroska as WebM', () => {
    const verdict = checkPlayable({ container: 'avi', video_codec: 'h264', audio_codec: 'mp3' }, 'video', browser([...CHROMIUM_LIKE, 'video/mp4; codecs="mp4a.6B"']));
    expect(verdict).toEqual({ ok: false, lacks: 'container', name: 'AVI' });
    expect(verdictMessage(verdict)?.key).toBe('ui.player.cannot_play_container');
    expect(checkPlayable({ container: 'matroska', video_codec: 'vp9', audio_codec: 'opus' }, 'video', browser(CHROMIUM_LIKE))).toEqual({ ok: true });
    expect(checkPlayable({ mime_type: 'audio/x-matroska', audio_codec: 'opus' }, 'audio', browser(['audio/ogg; codecs="opus"']))).toEqual({ ok: false, lacks: 'container', name: 'Matroska (MKV)' });
  });

  it('ignores the video codec of an audio item and lets unknown codecs through', () => {
    expect(checkPlayable({ container: 'mp3', audio_codec: 'mp3', video_codec: 'mjpeg' }, 'audio', browser(CHROMIUM_LIKE))).toEqual({ ok: true });
    expect(checkPlayable({ video_codec: 'something-new' }, 'video', browser([]))).toEqual({ ok: true });
    expect(verdictMessage({ ok: true })).toBeNull();
  });

  it('survives a MediaSource that throws', () => {
    const probe: Probe = { canPlayType: () => '', isTypeSupported: () => { throw new Error('bad type'); } };
    expect(checkPlayable({ audio_codec: 'opus' }, 'audio', probe)).toEqual({ ok: false, lacks: 'audio', name: 'Opus' });
  });

  it('maps media element errors to messages', () => {
    expect([1, 2, 3, 4, undefined].map(mediaErrorKey)).toEqual([
      'ui.player.error_unknown', 'ui.player.error_network', 'ui.player.error_decode', 'ui.player.error_unsupported', 'ui.player.error_unknown',
    ]);
  });
});

describe('the queue', () => {
  const fixed = () => 0; // a "random" that always picks the first candidate

  it('plays in album order, or shuffled with the chosen track first', () => {
    expect(playOrder(4, 2, false)).toEqual([0, 1, 2, 3]);
    const shuffled = playOrder(5, 3, true, fixed);
    expect(shuffled[0]).toBe(3);
    expect([...shuffled].sort()).toEqual([0, 1, 2, 3, 4]);
    expect(playOrder(1, 0, true)).toEqual([0]);
  });

  it('next stops at the end; previous restarts a track that has played a while', () => {
    expect(nextPosition([0, 1, 2], 1)).toBe(2);
    expect(nextPosition([0, 1, 2], 2)).toBeNull();
    expect(previousPosition(2, 10_000)).toEqual({ at: 2, restart: true });
    expect(previousPosition(2, 1_000)).toEqual({ at: 1, restart: false });
    expect(previousPosition(0, 1_000)).toEqual({ at: 0, restart: true });
  });

  it('switching shuffle keeps the current track and what was played', () => {
    const on = reshuffle([0, 1, 2, 3, 4], 1, true, fixed);
    expect(on.at).toBe(1);
    expect(on.order.slice(0, 2)).toEqual([0, 1]);
    expect([...on.order].sort()).toEqual([0, 1, 2, 3, 4]);
    const off = reshuffle([3, 0, 4, 1, 2], 2, false);
    expect(off).toEqual({ order: [0, 1, 2, 3, 4], at: 4 });
  });
});

describe('item helpers', () => {
  it('artworkOf and itemPath', () => {
    expect(artworkOf({ artwork: { thumb: 't', poster: 'p', large: 'l' } })).toEqual({ thumb: 't', poster: 'p', large: 'l' });
    expect(artworkOf({ artwork: null })).toBeNull();
    expect(artworkOf({})).toBeNull();
    expect(itemPath('album', 'a b')).toBe('/library/albums/a%20b');
    expect(itemPath('series', 'x')).toBe('/library/series/x');
  });
});
