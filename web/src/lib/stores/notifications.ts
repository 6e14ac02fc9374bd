/**
 * The unread-notification count, kept live by the server's SSE stream.
 *
 * `EventSource` cannot send an Authorization header and the API takes only bearer tokens or
 * API keys, so the stream is read with a streaming `fetch` through the typed client (which
 * adds the token and renews it once when it has expired). A dropped stream reconnects with
 * a growing pause and re-reads the count, so nothing missed while offline stays uncounted.
 */
import { writable, type Readable } from 'svelte/store';
import type { ApiClient, Schemas } from '../api/client';

export type Notification = Schemas['NotificationRead'];

export interface SseEvent {
  event: string;
  data: string;
  id: string | null;
}

/**
 * Splits a text/event-stream buffer into complete events; returns them and the unfinished rest.
 * Comments (`: keep-alive`) are dropped; multi-line `data:` fields are joined with newlines.
 */
export function parseSse(buffer: string): { events: SseEvent[]; rest: string } {
  const normalised = buffer.replace(/\r\n?/g, '\n');
  const blocks = normalised.split('\n\n');
  const rest = blocks.pop() ?? '';
  const events: SseEvent[] = [];
  for (const block of blocks) {
    let event = 'message';
    let id: string | null = null;
    const data: string[] = [];
    let any = false;
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
      else if (field === 'id') id = value;
      else continue;
      any = true;
    }
    if (any && data.length) events.push({ event, data: data.join('\n'), id });
  }
  return { events, rest };
}

export interface NotificationFeedOptions {
  /** Pause before the n-th reconnect (n starts at 1). */
  retryDelay?: (attempt: number) => number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

const defaultSleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });

export function createNotificationFeed(client: ApiClient, options: NotificationFeedOptions = {}) {
  const unread = writable<number | null>(null);
  const latest = writable<Notification | null>(null);
  const retryDelay = options.retryDelay ?? ((n: number) => Math.min(30_000, 1000 * 2 ** (n - 1)));
  const sleep = options.sleep ?? defaultSleep;
  let controller: AbortController | null = null;

  async function refresh(): Promise<void> {
    const { data } = await client.GET('/api/v1/users/me/notifications', {
      params: { query: { limit: 1, offset: 0 } },
    });
    if (data) unread.set(data.unread);
  }

  /** Reads one connection until it ends; true when it was established. */
  async function readStream(signal: AbortSignal): Promise<boolean> {
    const { response } = await client.GET('/api/v1/users/me/notifications/stream', {
      parseAs: 'stream',
      signal,
      headers: { Accept: 'text/event-stream' },
    });
    if (!response.ok || !response.body) return false;
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return true;
      const parsed = parseSse(buffer + value);
      buffer = parsed.rest;
      for (const event of parsed.events) {
        if (event.event !== 'notification') continue;
        const notification = JSON.parse(event.data) as Notification;
        latest.set(notification);
        if (!notification.read_at) unread.update((n) => (n ?? 0) + 1);
      }
    }
  }

  async function run(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      let connected = false;
      try {
        await refresh();
        connected = await readStream(signal);
      } catch {
        // network gone or aborted: fall through to the pause
      }
      if (signal.aborted) return;
      failures = connected ? 1 : failures + 1;
      await sleep(retryDelay(failures), signal);
    }
  }

  /** Starts following the stream; the returned function stops it. */
  function start(): () => void {
    stop();
    const own = new AbortController();
    controller = own;
    void run(own.signal);
    return () => {
      if (controller === own) stop();
    };
  }

  function stop(): void {
    controller?.abort();
    controller = null;
  }

  /** Pages that change read state tell the badge directly, without waiting for the stream. */
  function setUnread(n: number): void {
    unread.set(n);
  }

  return {
    unread: { subscribe: unread.subscribe } as Readable<number | null>,
    latest: { subscribe: latest.subscribe } as Readable<Notification | null>,
    start,
    stop,
    refresh,
    setUnread,
  };
}
