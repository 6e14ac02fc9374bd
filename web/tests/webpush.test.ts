import { describe, expect, it } from 'vitest';
import { get } from 'svelte/store';
import { createApi } from '../src/lib/api/client';
import {
  createWebPush,
  decodeBase64Url,
  PushTimeoutError,
  type PushEnvironment,
  type PushRegistrationLike,
  type PushSubscriptionLike,
} from '../src/lib/stores/webpush';
import { fakeServer, json, problem } from './helpers';

// A real P-256 point would do no better here: the store passes the bytes through untouched.
const SERVER_KEY = 'BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM';
const OTHER_KEY = 'BAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

class FakeSubscription implements PushSubscriptionLike {
  unsubscribed = false;
  readonly options: { applicationServerKey: ArrayBuffer | null };
  constructor(
    readonly endpoint: string,
    key: Uint8Array,
  ) {
    this.options = { applicationServerKey: key.slice().buffer };
  }
  toJSON() {
    return { endpoint: this.endpoint, keys: { p256dh: 'client-public-key', auth: 'client-auth-secret' } };
  }
  async unsubscribe() {
    this.unsubscribed = true;
    return true;
  }
}

/** Chromium's push pieces as the store sees them: permission prompt, worker, PushManager. */
function fakeBrowser(options: { permission?: NotificationPermission; answer?: NotificationPermission; subscription?: FakeSubscription; subscribeError?: Error } = {}) {
  const calls: string[] = [];
  let permission: NotificationPermission = options.permission ?? 'default';
  let current: FakeSubscription | null = options.subscription ?? null;
  let registered = current !== null;
  const subscribedWith: Uint8Array[] = [];
  const registration: PushRegistrationLike = {
    pushManager: {
      async getSubscription() {
        return current && !current.unsubscribed ? current : null;
      },
      async subscribe({ userVisibleOnly, applicationServerKey }) {
        calls.push(`subscribe userVisibleOnly=${userVisibleOnly}`);
        if (options.subscribeError) throw options.subscribeError;
        subscribedWith.push(applicationServerKey);
        current = new FakeSubscription('https://push.example/send/abc', applicationServerKey);
        return current;
      },
    },
  };
  const env: PushEnvironment = {
    secure: true,
    pushManager: true,
    notification: {
      get permission() {
        return permission;
      },
      async requestPermission() {
        calls.push('requestPermission');
        permission = options.answer ?? 'granted';
        return permission;
      },
    },
    serviceWorker: {
      async register(url, { scope }) {
        calls.push(`register ${url} scope=${scope}`);
        registered = true;
        return registration;
      },
      async getRegistration() {
        return registered ? registration : undefined;
      },
      get ready() {
        return Promise.resolve(registration);
      },
    },
  };
  return { env, calls, subscribedWith, current: () => current };
}

function server(routes: Parameters<typeof fakeServer>[0] = {}) {
  const fake = fakeServer({
    'GET /api/v1/notifications/webpush/public-key': () => json({ public_key: SERVER_KEY }),
    'POST /api/v1/users/me/push-token': (req) => json({ id: 'd1', kind: 'webpush', platform: 'web', last_seen_at: 'x', disabled_at: null, echo: req.body }, 201),
    'DELETE /api/v1/users/me/push-token': () => new Response(null, { status: 204 }),
    ...routes,
  });
  const { client } = createApi({
    locale: () => 'de',
    tokens: () => ({ access: 'tok', refresh: 'r' }),
    onTokens: () => undefined,
    fetch: fake.fetch,
    baseUrl: 'http://app.test',
  });
  return { ...fake, client };
}

const pushTokenCalls = (seen: ReturnType<typeof server>['seen']) => seen.filter((r) => r.path === '/api/v1/users/me/push-token');

describe('browser push', () => {
  it('decodes the base64url key into the 65 bytes of an uncompressed point', () => {
    const bytes = decodeBase64Url(SERVER_KEY);
    expect(bytes.length).toBe(65);
    expect(bytes[0]).toBe(4);
  });

  it('says "not supported" without a service worker or PushManager, and "insecure" over plain http', async () => {
    const api = server();
    const { env } = fakeBrowser();
    const push = createWebPush(api.client, { ...env, pushManager: false });
    expect(await push.refresh()).toBe('unsupported');
    expect(await push.enable()).toBe('unsupported');
    const insecure = createWebPush(api.client, { ...env, secure: false });
    expect(await insecure.refresh()).toBe('insecure');
    expect(api.seen).toEqual([]); // nothing asked of the server
  });

  it('says "not available" when the server has Web Push switched off, without asking for permission', async () => {
    const api = server({
      'GET /api/v1/notifications/webpush/public-key': () => problem(404, 'notifications.webpush_unavailable', 'Browser-Push nicht verfügbar'),
    });
    const browser = fakeBrowser();
    const push = createWebPush(api.client, browser.env);
    expect(await push.refresh()).toBe('unavailable');
    expect(await push.enable()).toBe('unavailable');
    expect(browser.calls).toEqual([]);
  });

  it('enables: asks permission, registers /sw.js for the whole app, subscribes with the server key and registers the subscription', async () => {
    const api = server();
    const browser = fakeBrowser();
    const push = createWebPush(api.client, browser.env);
    expect(await push.refresh()).toBe('disabled');
    expect(await push.enable()).toBe('enabled');
    expect(get(push.state)).toBe('enabled');
    expect(browser.calls).toEqual(['requestPermission', 'register /sw.js scope=/', 'subscribe userVisibleOnly=true']);
    expect([...browser.subscribedWith[0]]).toEqual([...decodeBase64Url(SERVER_KEY)]);
    const [registered] = pushTokenCalls(api.seen);
    expect(registered.method).toBe('POST');
    expect(registered.headers.get('Authorization')).toBe('Bearer tok');
    expect(registered.body).toEqual({
      kind: 'webpush',
      platform: 'web',
      token: 'https://push.example/send/abc',
      keys: { p256dh: 'client-public-key', auth: 'client-auth-secret' },
    });
  });

  it('a refused prompt means "blocked"; a dismissed one changes nothing', async () => {
    const api = server();
    const refused = fakeBrowser({ answer: 'denied' });
    const push = createWebPush(api.client, refused.env);
    expect(await push.enable()).toBe('blocked');
    expect(get(push.state)).toBe('blocked');
    expect(await push.refresh()).toBe('blocked');

    const dismissed = fakeBrowser({ answer: 'default' });
    const again = createWebPush(api.client, dismissed.env);
    await again.refresh();
    expect(await again.enable()).toBe('dismissed');
    expect(get(again.state)).toBe('disabled');
    expect(refused.calls.concat(dismissed.calls).filter((c) => c.startsWith('subscribe'))).toEqual([]);
    expect(pushTokenCalls(api.seen)).toEqual([]);
  });

  it('drops the browser subscription when the server refuses it, and reports the browser\'s own failure', async () => {
    const api = server({
      'POST /api/v1/users/me/push-token': () => problem(422, 'notifications.invalid_subscription', 'Ungültiges Push-Abonnement'),
    });
    const browser = fakeBrowser({ permission: 'granted' });
    const push = createWebPush(api.client, browser.env);
    await push.refresh();
    await expect(push.enable()).rejects.toMatchObject({ status: 422, code: 'notifications.invalid_subscription' });
    expect(browser.current()?.unsubscribed).toBe(true);
    expect(get(push.state)).toBe('disabled');
    expect(get(push.busy)).toBe(false);

    const hanging = fakeBrowser({ permission: 'granted' });
    const env = hanging.env;
    const registration = await env.serviceWorker!.ready;
    registration.pushManager.subscribe = () => new Promise(() => undefined); // never answers
    const waiting = createWebPush(server().client, env, { subscribeTimeoutMs: 20 });
    await expect(waiting.enable()).rejects.toBeInstanceOf(PushTimeoutError);
    expect(get(waiting.busy)).toBe(false);

    const noService = fakeBrowser({ permission: 'granted', subscribeError: new DOMException('Registration failed - push service not available', 'AbortError') });
    const other = createWebPush(server().client, noService.env);
    await expect(other.enable()).rejects.toThrow('push service not available');
  });

  it('on each visit re-registers a live subscription (the device follows whoever is signed in)', async () => {
    const api = server();
    const subscription = new FakeSubscription('https://push.example/send/old', decodeBase64Url(SERVER_KEY));
    const browser = fakeBrowser({ permission: 'granted', subscription });
    const push = createWebPush(api.client, browser.env);
    expect(await push.refresh()).toBe('enabled');
    expect(pushTokenCalls(api.seen).map((r) => [r.method, (r.body as { token: string }).token])).toEqual([['POST', 'https://push.example/send/old']]);
  });

  it('drops a subscription made with a key the server no longer has', async () => {
    const api = server();
    const subscription = new FakeSubscription('https://push.example/send/stale', decodeBase64Url(OTHER_KEY));
    const browser = fakeBrowser({ permission: 'granted', subscription });
    const push = createWebPush(api.client, browser.env);
    expect(await push.refresh()).toBe('disabled');
    expect(subscription.unsubscribed).toBe(true);
    // and enabling again subscribes afresh with the right key
    expect(await push.enable()).toBe('enabled');
    expect(browser.current()?.endpoint).toBe('https://push.example/send/abc');
  });

  it('disables: unregisters the device by its endpoint, then unsubscribes; a device the server already forgot is fine', async () => {
    const api = server({
      'DELETE /api/v1/users/me/push-token': () => problem(404, 'notifications.device_not_found', 'Gerät nicht gefunden'),
    });
    const subscription = new FakeSubscription('https://push.example/send/xyz', decodeBase64Url(SERVER_KEY));
    const browser = fakeBrowser({ permission: 'granted', subscription });
    const push = createWebPush(api.client, browser.env);
    await push.refresh();
    await push.disable();
    const deleted = pushTokenCalls(api.seen).find((r) => r.method === 'DELETE');
    expect(deleted?.query.get('token')).toBe('https://push.example/send/xyz');
    expect(subscription.unsubscribed).toBe(true);
    expect(get(push.state)).toBe('disabled');
  });

  it('on sign-out forgets the subscription, and never fails the sign-out', async () => {
    const api = server({ 'DELETE /api/v1/users/me/push-token': () => problem(500, 'internal', 'Boom') });
    const subscription = new FakeSubscription('https://push.example/send/shared-pc', decodeBase64Url(SERVER_KEY));
    const browser = fakeBrowser({ permission: 'granted', subscription });
    const push = createWebPush(api.client, browser.env);
    await expect(push.forget()).resolves.toBeUndefined();

    const ok = server();
    const second = new FakeSubscription('https://push.example/send/shared-pc', decodeBase64Url(SERVER_KEY));
    const push2 = createWebPush(ok.client, fakeBrowser({ permission: 'granted', subscription: second }).env);
    await push2.forget();
    expect(second.unsubscribed).toBe(true);
    expect(pushTokenCalls(ok.seen).map((r) => r.method)).toEqual(['DELETE']);
  });
});
