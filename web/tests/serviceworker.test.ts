import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';

const SOURCE = readFileSync(path.resolve(__dirname, '..', 'public', 'sw.js'), 'utf8');

type Listener = (event: Record<string, unknown>) => void;

/** public/sw.js run against a fake worker global: what it shows, focuses and opens. */
function loadWorker(windows: { url: string }[] = []) {
  const listeners = new Map<string, Listener>();
  const shown: { title: string; options: Record<string, unknown> }[] = [];
  const log: string[] = [];
  const clients = windows.map((w) => ({
    url: w.url,
    postMessage: (message: unknown) => log.push(`post ${w.url} ${JSON.stringify(message)}`),
    focus: async () => void log.push(`focus ${w.url}`),
  }));
  const self = {
    location: new URL('https://media.example:8096/sw.js'),
    addEventListener: (type: string, listener: Listener) => listeners.set(type, listener),
    skipWaiting: () => log.push('skipWaiting'),
    registration: {
      showNotification: async (title: string, options: Record<string, unknown>) => void shown.push({ title, options }),
    },
    clients: {
      claim: async () => void log.push('claim'),
      matchAll: async (options: unknown) => (log.push(`matchAll ${JSON.stringify(options)}`), clients),
      openWindow: async (url: string) => void log.push(`open ${url}`),
    },
  };
  vm.runInNewContext(SOURCE, { self, URL });
  async function dispatch(type: string, event: Record<string, unknown>) {
    const pending: Promise<unknown>[] = [];
    listeners.get(type)!({ ...event, waitUntil: (p: Promise<unknown>) => pending.push(p) });
    await Promise.all(pending);
  }
  return { dispatch, shown, log, listeners };
}

const pushData = (payload: unknown) => ({ json: () => payload, text: () => JSON.stringify(payload) });

describe('the service worker', () => {
  it('takes over at once and handles only push and notification clicks', () => {
    const worker = loadWorker();
    expect([...worker.listeners.keys()].sort()).toEqual(['activate', 'install', 'notificationclick', 'push']);
  });

  it('shows the server\'s (already translated) title and text, one notification per server notification', async () => {
    const worker = loadWorker();
    await worker.dispatch('push', { data: pushData({ id: 'n-1', type: 'request_available', title: 'Ya disponible: Dune', body: 'Ya puedes verlo.' }) });
    expect(worker.shown).toEqual([
      { title: 'Ya disponible: Dune', options: { body: 'Ya puedes verlo.', tag: 'n-1', data: { id: 'n-1', type: 'request_available', url: '/notifications' } } },
    ]);
  });

  it('still shows something for a push it cannot read (browsers require a visible notification)', async () => {
    const worker = loadWorker();
    await worker.dispatch('push', { data: { json: () => { throw new SyntaxError('x'); }, text: () => 'plain words' } });
    expect(worker.shown[0].title).toBe('media.example:8096');
    expect(worker.shown[0].options.body).toBe('plain words');
  });

  it('a click focuses an open window of the app and tells it to show the inbox', async () => {
    const worker = loadWorker([{ url: 'https://elsewhere.example/' }, { url: 'https://media.example:8096/stats' }]);
    let closed = false;
    await worker.dispatch('notificationclick', { notification: { data: { url: '/notifications' }, close: () => (closed = true) } });
    expect(closed).toBe(true);
    expect(worker.log.filter((l) => !l.startsWith('matchAll'))).toEqual([
      'post https://media.example:8096/stats {"type":"revenge:navigate","url":"/notifications"}',
      'focus https://media.example:8096/stats',
    ]);
  });

  it('a click with no window of the app open opens one on the inbox', async () => {
    const worker = loadWorker();
    await worker.dispatch('notificationclick', { notification: { data: null, close: () => undefined } });
    expect(worker.log.at(-1)).toBe('open https://media.example:8096/notifications');
  });
});
