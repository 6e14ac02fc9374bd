/* Revenge service worker: shows Web Push notifications and opens the app when one is clicked.
 *
 * Served at /sw.js (copied as is from web/public by the Vite build) so that its scope is the
 * whole app. The server sends {id, type, title, body}, already in the recipient's language,
 * encrypted for this browser's subscription (RFC 8291). Nothing else is cached or intercepted.
 */
const INBOX = '/notifications';

self.addEventListener('install', () => {
  self.skipWaiting();
});

self.addEventListener('activate', (event) => {
  event.waitUntil(self.clients.claim());
});

function readPayload(data) {
  if (!data) return {};
  try {
    return data.json() || {};
  } catch {
    return { body: data.text() };
  }
}

self.addEventListener('push', (event) => {
  const payload = readPayload(event.data);
  const title = payload.title || self.location.host;
  event.waitUntil(
    self.registration.showNotification(title, {
      body: payload.body || '',
      // One notification per server notification, however often the push service retries.
      tag: payload.id || undefined,
      data: { id: payload.id || null, type: payload.type || null, url: INBOX },
    }),
  );
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const target = new URL((event.notification.data && event.notification.data.url) || INBOX, self.location.origin);
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
      const open = windows.find((client) => new URL(client.url).origin === target.origin);
      if (open) {
        // The app routes itself (no reload, the session stays as it is).
        open.postMessage({ type: 'revenge:navigate', url: target.pathname + target.search });
        await open.focus();
        return;
      }
      await self.clients.openWindow(target.href);
    })(),
  );
});
