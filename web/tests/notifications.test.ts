import { describe, expect, it } from 'vitest';
import { get } from 'svelte/store';
import { createApi } from '../src/lib/api/client';
import { createNotificationFeed, parseSse } from '../src/lib/stores/notifications';
import { fakeServer, json } from './helpers';

function notification(id: string, read = false) {
  return {
    id,
    type: 'new_content',
    title: `Title ${id}`,
    message: 'm',
    data: {},
    read_at: read ? '2026-01-01T00:00:00Z' : null,
    created_at: '2026-01-01T00:00:00Z',
  };
}

const frame = (n: ReturnType<typeof notification>) => `id: ${n.id}\nevent: notification\ndata: ${JSON.stringify(n)}\n\n`;

/** A text/event-stream body that sends `chunks` and then stays open until aborted. */
function eventStream(chunks: string[], keepOpen = true): Response {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      if (!keepOpen) controller.close();
    },
  });
  return new Response(body, { headers: { 'Content-Type': 'text/event-stream' } });
}

async function until(check: () => boolean) {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(check()).toBe(true);
}

describe('parseSse', () => {
  it('splits complete events, keeps the unfinished rest and drops comments', () => {
    const { events, rest } = parseSse(': connected\n\nevent: notification\r\nid: 7\r\ndata: {"a":\r\ndata: 1}\r\n\r\nevent: notif');
    expect(events).toEqual([{ event: 'notification', id: '7', data: '{"a":\n1}' }]);
    expect(rest).toBe('event: notif');
  });
});

describe('the unread badge feed', () => {
  it('starts from the server count and adds each unread notification from the stream', async () => {
    let token = '';
    const server = fakeServer({
      'GET /api/v1/users/me/notifications': () => json({ items: [], total: 3, unread: 2, limit: 1, offset: 0 }),
      'GET /api/v1/users/me/notifications/stream': (req) => {
        token = req.headers.get('Authorization') ?? '';
        // split mid-frame: the parser has to join the chunks
        const text = frame(notification('a')) + ': keep-alive\n\n' + frame(notification('b', true)) + frame(notification('c'));
        return eventStream([text.slice(0, 30), text.slice(30)]);
      },
    });
    const { client } = createApi({
      locale: () => 'de',
      tokens: () => ({ access: 'tok', refresh: 'r' }),
      onTokens: () => undefined,
      fetch: server.fetch,
      baseUrl: 'http://app.test',
    });
    const feed = createNotificationFeed(client);
    const stop = feed.start();
    await until(() => get(feed.unread) === 4);
    expect(get(feed.latest)?.id).toBe('c');
    expect(token).toBe('Bearer tok'); // EventSource could not have sent this
    stop();
  });

  it('reconnects after the stream ends and re-reads the count', async () => {
    let streams = 0;
    let counts = 0;
    const server = fakeServer({
      'GET /api/v1/users/me/notifications': () => json({ items: [], total: 0, unread: counts++ === 0 ? 0 : 5, limit: 1, offset: 0 }),
      'GET /api/v1/users/me/notifications/stream': () => (++streams === 1 ? eventStream([], false) : eventStream([])),
    });
    const { client } = createApi({
      locale: () => 'en',
      tokens: () => ({ access: 'tok', refresh: 'r' }),
      onTokens: () => undefined,
      fetch: server.fetch,
      baseUrl: 'http://app.test',
    });
    const pauses: number[] = [];
    const feed = createNotificationFeed(client, {
      sleep: async (ms) => {
        pauses.push(ms);
      },
    });
    const stop = feed.start();
    await until(() => streams === 2 && get(feed.unread) === 5);
    expect(pauses[0]).toBe(1000);
    stop();
  });
});
