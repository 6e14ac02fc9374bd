/**
 * The music player behind the mini-player: one audio element for the whole app (it keeps
 * playing while the user moves between pages), the album as its queue, reports of every play,
 * and the Media Session (lock-screen and headset controls, with the cover).
 */
import { get, writable } from 'svelte/store';
import { api } from '../app';
import { playerApi } from './api';
import { device, outbox } from './outbox';
import { PlayReporter } from './reporting';
import { browserProbe, checkPlayable, mediaErrorKey, verdictMessage } from './playability';
import { nextPosition, playOrder, previousPosition, reshuffle } from './queue';
import type { Artwork } from './types';

export interface QueueTrack {
  id: string;
  title: string;
  artist: string;
  album: string;
  album_id: string | null;
  duration_ms: number | null;
  artwork: Artwork | null;
}

export interface Message {
  key: string;
  values?: Record<string, string>;
}

export interface AudioState {
  queue: QueueTrack[];
  order: number[];
  at: number;
  playing: boolean;
  loading: boolean;
  positionMs: number;
  durationMs: number;
  shuffle: boolean;
  error: Message | null;
}

const EMPTY: AudioState = {
  queue: [],
  order: [],
  at: 0,
  playing: false,
  loading: false,
  positionMs: 0,
  durationMs: 0,
  shuffle: false,
  error: null,
};

const store = writable<AudioState>(EMPTY);
export const audioState = { subscribe: store.subscribe };

let element: HTMLAudioElement | null = null;
let reporter: PlayReporter | null = null;
let loadToken = 0;
const player = playerApi(api);

function positionMs(): number {
  return element ? element.currentTime * 1000 : 0;
}

function patch(changes: Partial<AudioState>): void {
  store.update((s) => ({ ...s, ...changes }));
}

export function currentTrack(state: AudioState = get(store)): QueueTrack | null {
  return state.queue[state.order[state.at]] ?? null;
}

function audio(): HTMLAudioElement {
  if (element) return element;
  element = new Audio();
  element.preload = 'auto';
  element.addEventListener('play', () => {
    patch({ playing: true });
    reporter?.playing(positionMs());
  });
  element.addEventListener('pause', () => {
    patch({ playing: false });
    if (!element?.ended) reporter?.paused(positionMs());
  });
  element.addEventListener('seeked', () => reporter?.seeked(positionMs()));
  element.addEventListener('timeupdate', () => {
    patch({ positionMs: positionMs() });
    updatePositionState();
  });
  element.addEventListener('durationchange', () => {
    const d = element?.duration;
    if (d && Number.isFinite(d)) patch({ durationMs: d * 1000 });
  });
  element.addEventListener('ended', () => {
    reporter?.stopped(positionMs());
    reporter = null;
    void next();
  });
  element.addEventListener('error', () => {
    // Only the current source's errors (an emptied src also fires one).
    if (!element?.getAttribute('src')) return;
    patch({ playing: false, loading: false, error: { key: mediaErrorKey(element.error?.code) } });
    reporter?.stopped(positionMs());
    reporter = null;
  });
  setUpMediaSession();
  window.addEventListener('pagehide', () => {
    reporter?.stopped(positionMs(), { keepalive: true });
  });
  return element;
}

function finishCurrent(): void {
  reporter?.stopped(positionMs());
  reporter = null;
}

async function load(at: number, startMs = 0): Promise<void> {
  const el = audio();
  finishCurrent();
  const token = ++loadToken;
  const state = get(store);
  const track = state.queue[state.order[at]];
  if (!track) return;
  patch({ at, loading: true, error: null, positionMs: startMs, durationMs: track.duration_ms ?? 0 });
  el.pause();
  try {
    const info = await player.info('track', track.id);
    if (token !== loadToken) return;
    const message = verdictMessage(checkPlayable(info.file ?? {}, 'audio', browserProbe('audio')));
    if (message) {
      patch({ loading: false, playing: false, error: message });
      return;
    }
    reporter = new PlayReporter({ mediaType: 'track', mediaId: track.id, outbox, position: positionMs, device });
    el.src = info.stream_url;
    if (startMs > 0) el.currentTime = startMs / 1000;
    updateMetadata(track);
    await el.play();
    if (token === loadToken) patch({ loading: false });
  } catch (error) {
    if (token !== loadToken) return;
    const blocked = error instanceof DOMException && error.name === 'NotAllowedError';
    patch({ loading: false, playing: false, error: blocked ? null : { key: 'ui.player.load_failed' } });
  }
}

/** Play `tracks` (an album) from `first`, optionally at a position (resume). */
export function playQueue(tracks: QueueTrack[], first = 0, startMs = 0): Promise<void> {
  const shuffle = get(store).shuffle;
  const order = playOrder(tracks.length, first, shuffle);
  store.set({ ...EMPTY, shuffle, queue: tracks, order });
  return load(Math.max(0, order.indexOf(first)), startMs);
}

export function toggle(): void {
  const el = element;
  if (!el || !currentTrack()) return;
  if (!el.getAttribute('src')) void load(get(store).at);
  else if (el.paused) void el.play().catch(() => undefined);
  else el.pause();
}

export function pause(): void {
  if (element && !element.paused) element.pause();
}

export async function next(): Promise<void> {
  const state = get(store);
  const to = nextPosition(state.order, state.at);
  if (to === null) {
    // The end of the queue: stay on the last track, stopped.
    patch({ playing: false });
    return;
  }
  await load(to);
}

export async function previous(): Promise<void> {
  const state = get(store);
  const { at, restart } = previousPosition(state.at, positionMs());
  if (restart && element) {
    element.currentTime = 0;
    return;
  }
  await load(at);
}

export function seek(ms: number): void {
  if (!element) return;
  element.currentTime = Math.max(0, ms / 1000);
  patch({ positionMs: ms });
}

export function setShuffle(on: boolean): void {
  const state = get(store);
  const { order, at } = reshuffle(state.order, state.at, on);
  patch({ shuffle: on, order, at });
}

/** Close the mini-player: the play ends (reported), the queue is emptied. */
export function close(): void {
  finishCurrent();
  loadToken++;
  if (element) {
    element.pause();
    element.removeAttribute('src');
    element.load();
  }
  store.set({ ...EMPTY, shuffle: get(store).shuffle });
  if ('mediaSession' in navigator) navigator.mediaSession.metadata = null;
}

function updateMetadata(track: QueueTrack): void {
  if (!('mediaSession' in navigator) || typeof MediaMetadata === 'undefined') return;
  const art = track.artwork;
  navigator.mediaSession.metadata = new MediaMetadata({
    title: track.title,
    artist: track.artist,
    album: track.album,
    artwork: art
      ? [
          { src: new URL(art.thumb, location.href).href, sizes: '160x160', type: 'image/webp' },
          { src: new URL(art.poster, location.href).href, sizes: '320x320', type: 'image/webp' },
          { src: new URL(art.large, location.href).href, sizes: '640x640', type: 'image/webp' },
        ]
      : [],
  });
}

function updatePositionState(): void {
  if (!element || !('mediaSession' in navigator) || !navigator.mediaSession.setPositionState) return;
  const duration = element.duration;
  if (!Number.isFinite(duration) || duration <= 0) return;
  try {
    navigator.mediaSession.setPositionState({
      duration,
      playbackRate: element.playbackRate,
      position: Math.min(element.currentTime, duration),
    });
  } catch {
    // Some browsers refuse a position state while loading.
  }
}

function setUpMediaSession(): void {
  if (!('mediaSession' in navigator)) return;
  const session = navigator.mediaSession;
  const handlers: [MediaSessionAction, MediaSessionActionHandler][] = [
    ['play', () => void element?.play().catch(() => undefined)],
    ['pause', () => element?.pause()],
    ['nexttrack', () => void next()],
    ['previoustrack', () => void previous()],
    ['seekto', (details) => details.seekTime !== undefined && seek(details.seekTime * 1000)],
    ['seekbackward', (details) => seek(positionMs() - (details.seekOffset ?? 10) * 1000)],
    ['seekforward', (details) => seek(positionMs() + (details.seekOffset ?? 10) * 1000)],
  ];
  for (const [action, handler] of handlers) {
    try {
      session.setActionHandler(action, handler);
    } catch {
      // An action this browser does not know.
    }
  }
}
