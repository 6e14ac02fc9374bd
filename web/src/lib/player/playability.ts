/**
 * Can this browser play the file as it is? (A later issue brings transcoding.) Asked of the
 * browser itself with `canPlayType` / `MediaSource.isTypeSupported` for the container and each
 * codec on its own, so the answer can name what is missing: "This browser cannot play HEVC
 * video". Codec names are ffprobe's, as the scanner stores them.
 */
import type { FileFacts } from './types';

export interface Probe {
  canPlayType(type: string): string;
  isTypeSupported?(type: string): boolean;
}

export type Verdict =
  | { ok: true }
  | { ok: false; lacks: 'video' | 'audio' | 'container'; name: string };

interface Codec {
  /** What people call it. */
  name: string;
  /** RFC 6381 strings to ask about, with the container to ask in. */
  asks: [container: string, codec: string][];
}

const CODECS: Record<string, Codec> = {
  h264: { name: 'H.264', asks: [['mp4', 'avc1.640028'], ['mp4', 'avc1.42E01E']] },
  hevc: { name: 'HEVC', asks: [['mp4', 'hvc1.1.6.L120.90'], ['mp4', 'hev1.1.6.L120.90']] },
  h265: { name: 'HEVC', asks: [['mp4', 'hvc1.1.6.L120.90']] },
  av1: { name: 'AV1', asks: [['mp4', 'av01.0.08M.08'], ['webm', 'av01.0.08M.08']] },
  vp8: { name: 'VP8', asks: [['webm', 'vp8']] },
  vp9: { name: 'VP9', asks: [['webm', 'vp9'], ['mp4', 'vp09.00.40.08']] },
  mpeg4: { name: 'MPEG-4 Part 2', asks: [['mp4', 'mp4v.20.9']] },
  mpeg2video: { name: 'MPEG-2', asks: [['mp4', 'mp4v.61']] },
  vc1: { name: 'VC-1', asks: [] },
  theora: { name: 'Theora', asks: [['ogg', 'theora']] },
  aac: { name: 'AAC', asks: [['mp4', 'mp4a.40.2']] },
  mp3: { name: 'MP3', asks: [['mpeg', ''], ['mp4', 'mp4a.6B']] },
  opus: { name: 'Opus', asks: [['ogg', 'opus'], ['webm', 'opus'], ['mp4', 'opus']] },
  vorbis: { name: 'Vorbis', asks: [['ogg', 'vorbis'], ['webm', 'vorbis']] },
  flac: { name: 'FLAC', asks: [['flac', ''], ['mp4', 'flac'], ['ogg', 'flac']] },
  alac: { name: 'ALAC', asks: [['mp4', 'alac']] },
  ac3: { name: 'Dolby Digital (AC-3)', asks: [['mp4', 'ac-3']] },
  eac3: { name: 'Dolby Digital Plus (E-AC-3)', asks: [['mp4', 'ec-3']] },
  dts: { name: 'DTS', asks: [] },
  truehd: { name: 'Dolby TrueHD', asks: [] },
  wmav2: { name: 'WMA', asks: [] },
  wmv3: { name: 'WMV', asks: [] },
};

/** Containers by ffprobe's format name or our `container` field, with the MIME type to ask. */
const CONTAINERS: Record<string, { name: string; mime: string }> = {
  mp4: { name: 'MP4', mime: 'mp4' },
  m4a: { name: 'MP4', mime: 'mp4' },
  m4v: { name: 'MP4', mime: 'mp4' },
  mov: { name: 'QuickTime (MOV)', mime: 'mp4' },
  webm: { name: 'WebM', mime: 'webm' },
  matroska: { name: 'Matroska (MKV)', mime: 'x-matroska' },
  mkv: { name: 'Matroska (MKV)', mime: 'x-matroska' },
  ogg: { name: 'Ogg', mime: 'ogg' },
  oga: { name: 'Ogg', mime: 'ogg' },
  opus: { name: 'Ogg', mime: 'ogg' },
  flac: { name: 'FLAC', mime: 'flac' },
  mp3: { name: 'MP3', mime: 'mpeg' },
  mpeg: { name: 'MPEG', mime: 'mpeg' },
  wav: { name: 'WAV', mime: 'wav' },
  avi: { name: 'AVI', mime: 'x-msvideo' },
  wmv: { name: 'Windows Media', mime: 'x-ms-wmv' },
  asf: { name: 'Windows Media', mime: 'x-ms-asf' },
  mpegts: { name: 'MPEG-TS', mime: 'mp2t' },
  ts: { name: 'MPEG-TS', mime: 'mp2t' },
};

function says(probe: Probe, type: string): boolean {
  if (probe.canPlayType(type) !== '') return true;
  try {
    return probe.isTypeSupported?.(type) ?? false;
  } catch {
    return false;
  }
}

function codecPlays(probe: Probe, kind: 'video' | 'audio', codec: Codec): boolean {
  return codec.asks.some(([container, name]) => {
    const family = container === 'mpeg' || container === 'flac' ? 'audio' : kind;
    return says(probe, name ? `${family}/${container}; codecs="${name}"` : `${family}/${container}`);
  });
}

function containerOf(file: FileFacts): string | null {
  const raw = (file.container ?? '').toLowerCase().split(',')[0].trim();
  if (raw) return raw;
  const sub = (file.mime_type ?? '').split('/')[1]?.split(';')[0];
  return sub ? sub.replace(/^x-/, '') : null;
}

/**
 * `kind`: video for movies and episodes, audio for tracks. Unknown codecs are let through
 * (the media element's error event still catches a failure).
 */
export function checkPlayable(file: FileFacts, kind: 'video' | 'audio', probe: Probe): Verdict {
  const streams: ['video' | 'audio', string | null | undefined][] = [
    ['video', kind === 'video' ? file.video_codec : null],
    ['audio', file.audio_codec],
  ];
  for (const [which, raw] of streams) {
    const codec = raw ? CODECS[raw.toLowerCase()] : undefined;
    if (codec && !codecPlays(probe, kind, codec)) return { ok: false, lacks: which, name: codec.name };
  }
  const container = containerOf(file);
  const known = container ? CONTAINERS[container] : undefined;
  if (known) {
    // Chromium and Firefox play Matroska with their WebM machinery though canPlayType says no;
    // an audio file may be announced as video/… (e.g. an .mp4 holding only AAC).
    const asks = [`${kind}/${known.mime}`];
    if (known.mime === 'x-matroska') asks.push(`${kind}/webm`);
    if (kind === 'audio') asks.push(`video/${known.mime}`);
    if (!asks.some((type) => says(probe, type))) return { ok: false, lacks: 'container', name: known.name };
  }
  return { ok: true };
}

/** The browser's own probe: a media element, and MediaSource where there is one. */
export function browserProbe(kind: 'video' | 'audio'): Probe {
  const element = document.createElement(kind);
  const source = (globalThis as { MediaSource?: { isTypeSupported(t: string): boolean } }).MediaSource;
  return {
    canPlayType: (type) => element.canPlayType(type),
    isTypeSupported: source ? (type) => source.isTypeSupported(type) : undefined,
  };
}

/** The catalogue key and values of a verdict's message. */
export function verdictMessage(verdict: Verdict): { key: string; values: Record<string, string> } | null {
  if (verdict.ok) return null;
  const key =
    verdict.lacks === 'video'
      ? 'ui.player.cannot_play_video'
      : verdict.lacks === 'audio'
        ? 'ui.player.cannot_play_audio'
        : 'ui.player.cannot_play_container';
  return { key, values: { name: verdict.name } };
}

/** The catalogue key for a media element's error (MediaError.code). */
export function mediaErrorKey(code: number | undefined): string {
  switch (code) {
    case 2:
      return 'ui.player.error_network';
    case 3:
      return 'ui.player.error_decode';
    case 4:
      return 'ui.player.error_unsupported';
    default:
      return 'ui.player.error_unknown';
  }
}
