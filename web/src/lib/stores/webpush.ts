/**
 * Browser push for this device: the service worker `/sw.js` (scope `/`), a PushManager
 * subscription made with the server's VAPID key, and that subscription registered as the
 * signed-in user's push device (`POST /users/me/push-token`, kind `webpush`).
 *
 * The browser APIs come in through `PushEnvironment`, so the logic runs in tests without a
 * browser. The subscription lives in the browser, not in the app's storage: the state is
 * always read back from `pushManager.getSubscription()`.
 */
import { writable, type Readable } from 'svelte/store';
import { unwrap, type ApiClient } from '../api/client';
import { ApiError } from '../api/problem';

export type PushState =
  | 'checking'
  | 'insecure' // served over plain http from another host: browsers offer no push there
  | 'unsupported'
  | 'unavailable' // the server has Web Push switched off
  | 'blocked'
  | 'disabled'
  | 'enabled';

/** What `enable()` ended in; `dismissed` = the permission prompt was closed without a choice. */
export type EnableOutcome = 'enabled' | 'dismissed' | 'blocked' | 'unavailable' | 'unsupported';

export interface PushSubscriptionLike {
  readonly endpoint: string;
  readonly options?: { readonly applicationServerKey: ArrayBuffer | null };
  toJSON(): { endpoint?: string; keys?: Record<string, string> };
  unsubscribe(): Promise<boolean>;
}

export interface PushRegistrationLike {
  readonly pushManager: {
    getSubscription(): Promise<PushSubscriptionLike | null>;
    subscribe(options: { userVisibleOnly: boolean; applicationServerKey: Uint8Array }): Promise<PushSubscriptionLike>;
  };
}

export interface PushEnvironment {
  secure: boolean;
  serviceWorker: {
    register(url: string, options: { scope: string }): Promise<unknown>;
    getRegistration(scope?: string): Promise<PushRegistrationLike | undefined>;
    readonly ready: Promise<PushRegistrationLike>;
  } | null;
  notification: {
    readonly permission: NotificationPermission;
    requestPermission(): Promise<NotificationPermission>;
  } | null;
  pushManager: boolean;
}

export function browserPushEnvironment(): PushEnvironment {
  const g = globalThis as typeof globalThis & { isSecureContext?: boolean };
  const nav = g.navigator as Navigator | undefined;
  return {
    secure: g.isSecureContext !== false,
    serviceWorker: nav && 'serviceWorker' in nav ? (nav.serviceWorker as unknown as PushEnvironment['serviceWorker']) : null,
    notification: 'Notification' in g ? (g.Notification as unknown as PushEnvironment['notification']) : null,
    pushManager: 'PushManager' in g,
  };
}

/** The browser's push service did not answer `subscribe()` (Chromium without a reachable push
 * service waits for minutes). */
export class PushTimeoutError extends Error {
  constructor() {
    super('push subscription timed out');
    this.name = 'PushTimeoutError';
  }
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new PushTimeoutError()), ms);
    work.then(
      (value) => (clearTimeout(timer), resolve(value)),
      (err: unknown) => (clearTimeout(timer), reject(err)),
    );
  });
}

export const WORKER_URL = '/sw.js';
export const WORKER_SCOPE = '/';

/** base64url (no padding) → bytes, as `applicationServerKey` wants them. */
export function decodeBase64Url(value: string): Uint8Array {
  const base64 = value.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (value.length % 4)) % 4);
  const binary = atob(base64);
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

function sameKey(subscription: PushSubscriptionLike, key: Uint8Array): boolean {
  const current = subscription.options?.applicationServerKey;
  if (!current) return true; // the browser does not say: trust it
  const bytes = new Uint8Array(current);
  return bytes.length === key.length && bytes.every((b, i) => b === key[i]);
}

export function createWebPush(
  client: ApiClient,
  env: PushEnvironment = browserPushEnvironment(),
  options: { subscribeTimeoutMs?: number } = {},
) {
  const subscribeTimeoutMs = options.subscribeTimeoutMs ?? 30_000;
  const state = writable<PushState>('checking');
  const busy = writable(false);

  function unsupportedState(): PushState | null {
    if (!env.secure) return 'insecure';
    if (!env.serviceWorker || !env.notification || !env.pushManager) return 'unsupported';
    return null;
  }

  /** The server's key, or null when Web Push is switched off there. */
  async function serverKey(): Promise<Uint8Array | null> {
    try {
      const { public_key } = await unwrap(client.GET('/api/v1/notifications/webpush/public-key'));
      return decodeBase64Url(public_key);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'notifications.webpush_unavailable') return null;
      throw err;
    }
  }

  async function currentSubscription(): Promise<PushSubscriptionLike | null> {
    const registration = await env.serviceWorker!.getRegistration(WORKER_SCOPE);
    return registration ? registration.pushManager.getSubscription() : null;
  }

  async function registerDevice(subscription: PushSubscriptionLike): Promise<void> {
    const json = subscription.toJSON();
    await unwrap(
      client.POST('/api/v1/users/me/push-token', {
        body: { kind: 'webpush', platform: 'web', token: json.endpoint ?? subscription.endpoint, keys: json.keys ?? null },
      }),
    );
  }

  async function unregisterDevice(subscription: PushSubscriptionLike): Promise<void> {
    try {
      await unwrap(client.DELETE('/api/v1/users/me/push-token', { params: { query: { token: subscription.endpoint } } }));
    } catch (err) {
      // Already gone on the server (e.g. the push service said 410): nothing left to undo.
      if (!(err instanceof ApiError && err.status === 404)) throw err;
    }
  }

  async function guarded<T>(work: () => Promise<T>): Promise<T> {
    busy.set(true);
    try {
      return await work();
    } finally {
      busy.set(false);
    }
  }

  /**
   * Reads the state from the browser. A live subscription is registered again, which ties
   * this device to whoever is signed in now; one made with a key the server no longer has is
   * dropped (the push service would refuse every message for it).
   */
  function refresh(): Promise<PushState> {
    return guarded(async () => {
      const early = unsupportedState();
      if (early) return set(early);
      const key = await serverKey();
      if (!key) return set('unavailable');
      if (env.notification!.permission === 'denied') return set('blocked');
      const subscription = await currentSubscription();
      if (!subscription) return set('disabled');
      if (!sameKey(subscription, key) || env.notification!.permission !== 'granted') {
        await unregisterDevice(subscription).catch(() => undefined);
        await subscription.unsubscribe();
        return set('disabled');
      }
      await registerDevice(subscription);
      return set('enabled');
    });
  }

  /** Asks for permission, subscribes and registers the subscription with the server. */
  function enable(): Promise<EnableOutcome> {
    return guarded(async () => {
      const early = unsupportedState();
      if (early) {
        set(early);
        return 'unsupported';
      }
      const key = await serverKey();
      if (!key) {
        set('unavailable');
        return 'unavailable';
      }
      const notification = env.notification!;
      const permission = notification.permission === 'granted' ? 'granted' : await notification.requestPermission();
      if (permission === 'denied') {
        set('blocked');
        return 'blocked';
      }
      if (permission !== 'granted') return 'dismissed';
      const worker = env.serviceWorker!;
      await worker.register(WORKER_URL, { scope: WORKER_SCOPE });
      // subscribe() needs an active worker; `ready` resolves once there is one.
      const registration = await worker.ready;
      let subscription = await registration.pushManager.getSubscription();
      if (subscription && !sameKey(subscription, key)) {
        await subscription.unsubscribe();
        subscription = null;
      }
      subscription ??= await withTimeout(
        registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key }),
        subscribeTimeoutMs,
      );
      try {
        await registerDevice(subscription);
      } catch (err) {
        // The server does not know it, so nothing would ever arrive: do not keep it.
        await subscription.unsubscribe().catch(() => false);
        throw err;
      }
      set('enabled');
      return 'enabled';
    });
  }

  /** Unregisters the device from the server and drops the browser's subscription. */
  function disable(): Promise<void> {
    return guarded(async () => {
      if (unsupportedState()) return;
      const subscription = await currentSubscription();
      if (subscription) {
        await unregisterDevice(subscription);
        await subscription.unsubscribe();
      }
      set('disabled');
    });
  }

  /** On sign-out: the next person on this browser must not get this account's pushes. */
  async function forget(): Promise<void> {
    try {
      if (!unsupportedState() && (await currentSubscription())) await disable();
    } catch {
      // best effort: signing out must not fail because of push
    }
  }

  function set(next: PushState): PushState {
    state.set(next);
    return next;
  }

  return {
    state: { subscribe: state.subscribe } as Readable<PushState>,
    busy: { subscribe: busy.subscribe } as Readable<boolean>,
    refresh,
    enable,
    disable,
    forget,
  };
}
