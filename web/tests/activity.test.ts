import { describe, expect, it } from 'vitest';
import { get } from 'svelte/store';
import { createApi } from '../src/lib/api/client';
import { ApiError } from '../src/lib/api/problem';
import { createActivityFeed, positionAt, type Activity, type ActivitySession } from '../src/lib/stores/activity';
import { formatClock } from '../src/lib/format';
import { fakeServer, json, problem } from './helpers';

function session(id: string, overrides: Partial<ActivitySession> = {}): ActivitySession {
  return {
    session_id: id,
    user: { id: 'u1', name: 'Anna' },
    item: { media_type: 'movie', media_id: 'm1', title: 'Heat', parent_title: null, year: 1995, image_url: null },
    source: 'native',
    source_name: null,
    client: 'Web',
    device: 'Laptop',
    state: 'playing',
    position_ms: 60_000,
    duration_ms: 600_000,
    progress: 0.1,
    started_at: '2026-01-01T20:00:00Z',
    last_event_at: '2026-01-01T20:01:00Z',
    ...overrides,
  };
}

function activity(...items: ActivitySession[]): Activity {
  return { items, total: items.length, as_of: '2026-01-01T20:01:00Z' };
}

const frame = (a: Activity) => `event: activity\ndata: ${JSON.stringify(a)}\n\n`;

/** A text/event-stream body: `chunks` now, `later` when asked, open until aborted or closed. */
function eventStream(chunks: string[], keepOpen = true) {
  const encoder = new TextEncoder();
  let push: (text: string) => void = () => undefined;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      if (!keepOpen) controller.close();
      push = (text) => controller.enqueue(encoder.encode(text));
    },
  });
  return { response: new Response(body, { headers: { 'Content-Type': 'text/event-stream' } }), push: (t: string) => push(t) };
}

async function until(check: () => boolean) {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(check()).toBe(true);
}

function clientFor(server: ReturnType<typeof fakeServer>) {
  return createApi({
    locale: () => 'de',
    tokens: () => ({ access: 'tok', refresh: 'r' }),
    onTokens: () => undefined,
    fetch: server.fetch,
    baseUrl: 'http://app.test',
  }).client;
}

describe('positions', () => {
  it('move on while playing, from when the list arrived, and stop at the end', () => {
    const playing = session('a', { position_ms: 60_000, duration_ms: 100_000 });
    expect(positionAt(playing, 1000, 1000)).toBe(60_000);
    expect(positionAt(playing, 1000, 31_000)).toBe(90_000);
    expect(positionAt(playing, 1000, 500_000)).toBe(100_000);
    expect(positionAt(playing, 1000, 0)).toBe(60_000); // a clock step back moves nothing back
    expect(positionAt(session('b', { state: 'paused' }), 1000, 500_000)).toBe(60_000);
    expect(positionAt(session('c', { duration_ms: null }), 0, 3_600_000)).toBe(3_660_000);
  });

  it('read like a player clock', () => {
    expect(formatClock(0)).toBe('0:00');
    expect(formatClock(65_400)).toBe('1:05');
    expect(formatClock(3_723_000)).toBe('1:02:03');
    expect(formatClock(-5)).toBe('0:00');
  });
});

describe('the activity feed', () => {
  it('shows the list from the stream, then each change, with the login token', async () => {
    let token = '';
    const stream = eventStream([': keep-alive\n\n', frame(activity(session('a')))]);
    const server = fakeServer({
      'GET /api/v1/admin/activity/stream': (req) => {
        token = req.headers.get('Authorization') ?? '';
        return stream.response;
      },
    });
    let clock = 5000;
    const feed = createActivityFeed(clientFor(server), { now: () => clock });
    expect(get(feed.state).mode).toBe('connecting');
    const stop = feed.start();
    await until(() => get(feed.state).activity?.total === 1);
    expect(get(feed.state)).toMatchObject({ mode: 'live', receivedAt: 5000, error: null });
    expect(token).toBe('Bearer tok');

    clock = 9000;
    const paused = session('a', { state: 'paused', position_ms: 64_000 });
    const text = frame(activity(paused, session('b')));
    stream.push(text.slice(0, 25)); // split mid-frame
    stream.push(text.slice(25));
    await until(() => get(feed.state).activity?.total === 2);
    expect(get(feed.state).activity?.items[0].state).toBe('paused');
    expect(get(feed.state).receivedAt).toBe(9000);
    // Only the stream was asked: no polling while it is live.
    expect(server.seen.filter((r) => r.path === '/api/v1/admin/activity')).toHaveLength(0);
    stop();
  });

  it('polls the list while the stream is refused, then goes live again', async () => {
    let streams = 0;
    let lists = 0;
    const server = fakeServer({
      'GET /api/v1/admin/activity/stream': () =>
        ++streams === 1 ? new Response('Bad gateway', { status: 502 }) : eventStream([frame(activity(session('live')))]).response,
      'GET /api/v1/admin/activity': () => json(activity(session(`polled-${++lists}`))),
    });
    let clock = 0;
    const pauses: number[] = [];
    const feed = createActivityFeed(clientFor(server), {
      now: () => clock,
      pollEvery: 5000,
      retryDelay: (n) => n * 12_000,
      sleep: async (ms) => {
        pauses.push(ms);
        clock += ms;
      },
    });
    const modes: string[] = [];
    const unsubscribe = feed.state.subscribe((s) => modes.push(s.mode));
    const stop = feed.start();
    await until(() => get(feed.state).activity?.items[0]?.session_id === 'live');
    // Refused once: the list every 5 s until the 12 s pause is over, then the stream again.
    expect(lists).toBe(3);
    expect(pauses).toEqual([5000, 5000, 2000]);
    expect(streams).toBe(2);
    expect(modes).toContain('polling');
    expect(get(feed.state).mode).toBe('live');
    unsubscribe();
    stop();
  });

  it('says why when the list is refused', async () => {
    const server = fakeServer({
      'GET /api/v1/admin/activity/stream': () => problem(403, 'auth.admin_required', 'Admins only'),
      'GET /api/v1/admin/activity': () => problem(403, 'auth.admin_required', 'Admins only'),
    });
    const feed = createActivityFeed(clientFor(server), { sleep: () => new Promise(() => undefined) });
    const stop = feed.start();
    await until(() => get(feed.state).error !== null);
    const error = get(feed.state).error as ApiError;
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(403);
    expect(get(feed.state).mode).toBe('polling');
    stop();
  });
});
