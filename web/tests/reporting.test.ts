import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createApi } from '../src/lib/api/client';
import { memoryStorage } from '../src/lib/storage';
import {
  OUTBOX_KEY,
  Outbox,
  PlayReporter,
  apiSend,
  deviceName,
  resultOf,
  type EventBody,
  type Send,
  type SendResult,
} from '../src/lib/player/reporting';
import { fakeServer, json, problem } from './helpers';

const MOVIE = '11111111-1111-1111-1111-111111111111';
const SESSION = '22222222-2222-2222-2222-222222222222';

/** A fake server side of Send: records what arrives; answers with what the test sets. */
function recorder() {
  const sent: { body: EventBody; keepalive: boolean }[] = [];
  let answer: (body: EventBody) => SendResult = () => ({ kind: 'sent', sessionId: SESSION });
  const send: Send = async (body, keepalive) => {
    const result = answer(body);
    if (result.kind === 'sent') sent.push({ body, keepalive });
    return result;
  };
  return { sent, send, answerWith: (fn: (body: EventBody) => SendResult) => (answer = fn) };
}

/** Timers under the test's control: a clock and intervals that run when told. */
function fakeTimers(start = Date.parse('2026-03-01T20:00:00Z')) {
  let now = start;
  const intervals = new Set<{ ms: number; fn: () => void; due: number }>();
  return {
    now: () => new Date(now),
    every(ms: number, fn: () => void) {
      const entry = { ms, fn, due: now + ms };
      intervals.add(entry);
      return () => intervals.delete(entry);
    },
    advance(ms: number) {
      const until = now + ms;
      for (;;) {
        const next = [...intervals].sort((a, b) => a.due - b.due)[0];
        if (!next || next.due > until) break;
        now = next.due;
        next.due += next.ms;
        next.fn();
      }
      now = until;
    },
    active: () => intervals.size,
  };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('PlayReporter', () => {
  let storage = memoryStorage();
  beforeEach(() => {
    storage = memoryStorage();
  });

  it('reports start, progress every 15 s, pause, resume, a seek as progress, and stop', async () => {
    const server = recorder();
    const outbox = new Outbox(storage, server.send);
    const timers = fakeTimers();
    let position = 0;
    const reporter = new PlayReporter({
      mediaType: 'movie', mediaId: MOVIE, outbox, position: () => position, device: 'Chromium (Linux)', timers,
    });
    reporter.playing(0);
    await settle();
    position = 15_000;
    timers.advance(15_000);
    await settle();
    position = 30_000;
    timers.advance(15_000);
    await settle();
    reporter.paused(31_000);
    timers.advance(60_000); // no progress while paused
    await settle();
    reporter.playing(31_000);
    reporter.playing(31_000); // a repeated "play" event is not a second resume
    reporter.seeked(90_000);
    reporter.stopped(95_000);
    await settle();
    await outbox.flush();

    expect(server.sent.map((s) => [s.body.event, s.body.position_ms])).toEqual([
      ['start', 0],
      ['progress', 15_000],
      ['progress', 30_000],
      ['pause', 31_000],
      ['resume', 31_000],
      ['progress', 90_000],
      ['stop', 95_000],
    ]);
    const [first, ...rest] = server.sent.map((s) => s.body);
    expect(first.session_id).toBeUndefined();
    expect(rest.every((b) => b.session_id === SESSION)).toBe(true);
    expect(first).toMatchObject({ media_type: 'movie', media_id: MOVIE, client: 'Revenge Web', device: 'Chromium (Linux)' });
    expect(first.occurred_at).toBe('2026-03-01T20:00:00.000Z');
    expect(server.sent[3].body.occurred_at).toBe('2026-03-01T20:00:30.000Z');
    expect(timers.active()).toBe(0);
    expect(reporter.current).toBe('stopped');
    expect(storage.getItem(OUTBOX_KEY)).not.toContain('"entries":[{');
  });

  it('ignores a seek, pause or stop before anything played', async () => {
    const server = recorder();
    const reporter = new PlayReporter({
      mediaType: 'track', mediaId: MOVIE, outbox: new Outbox(storage, server.send), position: () => 0, device: 'x', timers: fakeTimers(),
    });
    reporter.seeked(10);
    reporter.paused(10);
    reporter.stopped(10);
    await settle();
    expect(server.sent).toEqual([]);
    expect(reporter.current).toBe('idle');
  });

  it('keeps a stop the network lost and sends it at the next opportunity, even after a reload', async () => {
    const server = recorder();
    const timers = fakeTimers();
    const reporter = new PlayReporter({
      mediaType: 'track', mediaId: MOVIE, outbox: new Outbox(storage, server.send), position: () => 0, device: 'x', timers,
    });
    reporter.playing(0);
    await settle();
    server.answerWith(() => ({ kind: 'retry' }));
    timers.advance(1_000);
    reporter.stopped(41_000);
    await settle();
    expect(server.sent.map((s) => s.body.event)).toEqual(['start']);
    expect(JSON.parse(storage.getItem(OUTBOX_KEY)!).entries).toHaveLength(1);

    // The next page load: a new outbox on the same storage sends the stop with its session.
    server.answerWith(() => ({ kind: 'sent', sessionId: SESSION }));
    const later = new Outbox(storage, server.send);
    expect(later.pending().map((b) => b.event)).toEqual(['stop']);
    await later.flush();
    expect(server.sent.map((s) => [s.body.event, s.body.session_id, s.body.occurred_at])).toEqual([
      ['start', undefined, '2026-03-01T20:00:00.000Z'],
      ['stop', SESSION, '2026-03-01T20:00:01.000Z'],
    ]);
    expect(later.pending()).toEqual([]);
  });

  it('treats a thrown send as "try again later"', async () => {
    const send: Send = vi.fn().mockRejectedValueOnce(new Error('boom')).mockResolvedValue({ kind: 'sent', sessionId: null });
    const outbox = new Outbox(storage, send);
    outbox.add('p', { event: 'stop' } as EventBody);
    await outbox.flush();
    expect(outbox.pending()).toHaveLength(1);
    await outbox.flush();
    expect(outbox.pending()).toHaveLength(0);
    expect(send).toHaveBeenCalledTimes(2);
  });

  it('drops an event the server refuses for good, and goes on with the next', async () => {
    const server = recorder();
    server.answerWith((body) => (body.event === 'start' ? { kind: 'drop' } : { kind: 'sent', sessionId: null }));
    const outbox = new Outbox(storage, server.send);
    outbox.add('p', { event: 'start' } as EventBody);
    outbox.add('p', { event: 'stop' } as EventBody);
    await outbox.flush();
    expect(server.sent.map((s) => s.body.event)).toEqual(['stop']);
    expect(outbox.pending()).toEqual([]);
  });

  it('sends everything with keepalive when the page goes away (pagehide)', async () => {
    const server = recorder();
    server.answerWith(() => ({ kind: 'retry' })); // offline while playing
    const outbox = new Outbox(storage, server.send);
    const reporter = new PlayReporter({
      mediaType: 'episode', mediaId: MOVIE, outbox, position: () => 0, device: 'x', timers: fakeTimers(),
    });
    reporter.playing(5_000);
    await settle();
    server.answerWith(() => ({ kind: 'sent', sessionId: SESSION }));
    reporter.stopped(20_000, { keepalive: true });
    await settle();
    expect(server.sent.map((s) => [s.body.event, s.keepalive])).toEqual([
      ['start', true],
      ['stop', true],
    ]);
    await settle();
    expect(outbox.pending()).toEqual([]);
  });

  it('a flush asked for while one runs is not lost', async () => {
    const server = recorder();
    const outbox = new Outbox(storage, server.send);
    outbox.add('p', { event: 'start' } as EventBody);
    const first = outbox.flush();
    outbox.add('p', { event: 'stop' } as EventBody);
    const second = outbox.flush();
    await Promise.all([first, second]);
    expect(server.sent.map((s) => s.body.event)).toEqual(['start', 'stop']);
  });

  it('survives a broken stored outbox', () => {
    storage.setItem(OUTBOX_KEY, '{not json');
    expect(new Outbox(storage, recorder().send).pending()).toEqual([]);
  });
});

describe('apiSend', () => {
  afterEach(() => vi.restoreAllMocks());

  it('posts through the app client with the bearer token and keepalive', async () => {
    let keepalive: boolean | undefined;
    const server = fakeServer({
      'POST /api/v1/playback/events': () => json({ session_id: SESSION }),
    });
    const { client } = createApi({
      baseUrl: 'http://app.test',
      locale: () => 'de',
      tokens: () => ({ access: 'access-1', refresh: 'refresh-1' }),
      onTokens: () => undefined,
      fetch: (request) => {
        keepalive = request.keepalive;
        return server.fetch(request);
      },
    });
    const send = apiSend(client);
    const body = { media_type: 'track', media_id: MOVIE, event: 'stop', position_ms: 1, occurred_at: 'x', client: 'Revenge Web', device: 'd' } as EventBody;
    expect(await send(body, true)).toEqual({ kind: 'sent', sessionId: SESSION });
    expect(keepalive).toBe(true);
    expect(server.seen[0].headers.get('Authorization')).toBe('Bearer access-1');
    expect(server.seen[0].body).toEqual(body);
  });

  it('maps answers: 404 dropped, 503 and no network retried', async () => {
    const server = fakeServer({ 'POST /api/v1/playback/events': () => problem(404, 'library.item_not_found', 'Gone') });
    const make = (fetch: (r: Request) => Promise<Response>) =>
      apiSend(createApi({ baseUrl: 'http://app.test', locale: () => 'en', tokens: () => ({ access: 'a', refresh: null }), onTokens: () => undefined, fetch }).client);
    const body = {} as EventBody;
    expect(await make(server.fetch)(body, false)).toEqual({ kind: 'drop' });
    expect(await make(async () => problem(503, 'x', 'busy'))(body, false)).toEqual({ kind: 'retry' });
    expect(await make(() => Promise.reject(new TypeError('fetch failed')))(body, false)).toEqual({ kind: 'retry' });
  });

  it('resultOf', () => {
    expect(resultOf(200, { session_id: 'a' })).toEqual({ kind: 'sent', sessionId: 'a' });
    expect(resultOf(200, null)).toEqual({ kind: 'sent', sessionId: null });
    expect(resultOf(401, null)).toEqual({ kind: 'retry' });
    expect(resultOf(422, null)).toEqual({ kind: 'drop' });
  });
});

describe('deviceName', () => {
  it.each([
    ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/140.0.0.0 Safari/537.36', 'Chromium (Linux)'],
    ['Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0 Mobile Safari/537.36', 'Chrome (Android)'],
    ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1', 'Safari (iPhone)'],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0', 'Firefox (Windows)'],
    ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0 Safari/537.36 Edg/140.0', 'Edge (macOS)'],
    ['curl/8', 'Browser'],
  ])('%s → %s', (ua, expected) => {
    expect(deviceName(ua)).toBe(expected);
  });
});
