/**
 * What plays now (admins' activity page), live from the server's SSE stream.
 *
 * The stream is read with a streaming `fetch` through the typed client, as the notification
 * feed does (EventSource cannot send the bearer token). While it is down the list is polled
 * instead, and the stream is tried again after a growing pause, so the page keeps moving when a
 * proxy buffers or cuts event streams.
 *
 * The server sends the list only when something changed; a playing session's position moves on
 * by itself, from the moment the list arrived (`positionAt`), so clocks need not agree.
 */
import { writable, type Readable } from 'svelte/store';
import { unwrap, type ApiClient, type Schemas } from '../api/client';
import { parseSse } from './notifications';

export type Activity = Schemas['ActivityRead'];
export type ActivitySession = Schemas['ActivitySessionRead'];

export interface ActivityState {
  activity: Activity | null;
  /** `now()` when `activity` arrived. */
  receivedAt: number;
  /** live: the stream delivers; polling: it failed and the list is fetched every few seconds. */
  mode: 'connecting' | 'live' | 'polling';
  error: unknown;
}

export interface ActivityFeedOptions {
  /** Pause before the n-th attempt to reconnect the stream (n starts at 1). */
  retryDelay?: (attempt: number) => number;
  /** How often the list is fetched while the stream is down. */
  pollEvery?: number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  now?: () => number;
}

const defaultSleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });

/** Where a session is at `at`: a playing one has moved on since the list arrived at `receivedAt`. */
export function positionAt(session: ActivitySession, receivedAt: number, at: number): number {
  if (session.state !== 'playing') return session.position_ms;
  const moved = session.position_ms + Math.max(0, at - receivedAt);
  return session.duration_ms ? Math.min(moved, session.duration_ms) : moved;
}

export function createActivityFeed(client: ApiClient, options: ActivityFeedOptions = {}) {
  const retryDelay = options.retryDelay ?? ((n: number) => Math.min(30_000, 2000 * 2 ** (n - 1)));
  const pollEvery = options.pollEvery ?? 5000;
  const sleep = options.sleep ?? defaultSleep;
  const now = options.now ?? (() => Date.now());
  const state = writable<ActivityState>({ activity: null, receivedAt: 0, mode: 'connecting', error: null });
  let controller: AbortController | null = null;

  function received(activity: Activity, mode: ActivityState['mode'] | null): void {
    state.update((s) => ({ activity, receivedAt: now(), mode: mode ?? s.mode, error: null }));
  }

  async function refresh(signal?: AbortSignal): Promise<void> {
    try {
      received(await unwrap(client.GET('/api/v1/admin/activity', { signal })), null);
    } catch (error) {
      if (!signal?.aborted) state.update((s) => ({ ...s, error }));
    }
  }

  /** Reads one connection until it ends; true when it delivered anything. */
  async function readStream(signal: AbortSignal): Promise<boolean> {
    let delivered = false;
    try {
      const { response } = await client.GET('/api/v1/admin/activity/stream', {
        parseAs: 'stream',
        signal,
        headers: { Accept: 'text/event-stream' },
      });
      if (!response.ok || !response.body) return false;
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return delivered;
        const parsed = parseSse(buffer + value);
        buffer = parsed.rest;
        for (const event of parsed.events) {
          if (event.event !== 'activity') continue;
          delivered = true;
          received(JSON.parse(event.data) as Activity, 'live');
        }
      }
    } catch {
      // network gone or aborted
      return delivered;
    }
  }

  async function run(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      const delivered = await readStream(signal);
      if (signal.aborted) return;
      failures = delivered ? 1 : failures + 1;
      state.update((s) => ({ ...s, mode: 'polling' }));
      const retryAt = now() + retryDelay(failures);
      do {
        await refresh(signal);
        if (signal.aborted) return;
        await sleep(Math.max(0, Math.min(pollEvery, retryAt - now())), signal);
      } while (!signal.aborted && now() < retryAt);
    }
  }

  /** Starts following the stream; the returned function stops it. */
  function start(): () => void {
    stop();
    const own = new AbortController();
    controller = own;
    state.update((s) => ({ ...s, mode: 'connecting' }));
    void run(own.signal);
    return () => {
      if (controller === own) stop();
    };
  }

  function stop(): void {
    controller?.abort();
    controller = null;
  }

  return {
    state: { subscribe: state.subscribe } as Readable<ActivityState>,
    start,
    stop,
    refresh,
  };
}
