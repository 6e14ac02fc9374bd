// End to end: a real `revenge serve` on an embedded PostgreSQL in a temp data dir, driven by
// playwright-core in Debian's Chromium (no browser download). Run with `npm run e2e`.
// The server, the browser and the helpers are in harness.mjs; the scenarios of later parts of
// the app are in scenarios/ and run against the same server, before the all-pages tour.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ADMIN, DESKTOP, LOCALES, PHONE, RESULTS, ROOT, UV, api, apiLogin, assertFitsWidth, assertNoEnglish, baseUrl, browser, chooseLanguage, dataDir, eventually, expectHeading, fakes, heading, loginThroughUi, msg, newPage, recordPlay, seedTool, seeded, server } from './harness.mjs';

// `ready`: what shows once the page's data has arrived.
const PAGES = [
  { name: 'home', title: 'ui.home.title', nav: 'ui.nav.home', ready: '[data-testid=home], [data-testid=home-empty]' },
  { name: 'library', title: 'ui.library.title', nav: 'ui.nav.library', ready: '[data-testid=library-grid], [data-testid=library-empty]' },
  { name: 'history', title: 'ui.history.title', nav: 'ui.nav.history', ready: '[data-testid=history-table], [data-testid=history-empty]' },
  { name: 'profile', title: 'ui.profile.title', nav: null, ready: 'main form' },
  { name: 'change-password', title: 'ui.change_password.title', path: '/change-password', ready: '[data-testid=change-password-form]' },
  { name: 'first-steps', title: 'ui.first_steps.title', path: '/first-steps', ready: '[data-testid=first-steps]' },
  { name: 'admin-users', title: 'ui.admin_users.title', nav: 'ui.nav.admin_users', ready: '[data-testid=users-table]' },
  { name: 'admin-jobs', title: 'ui.admin_jobs.title', nav: 'ui.nav.admin_jobs', ready: '[data-testid=jobs-table], main .empty' },
  { name: 'notifications', title: 'ui.notifications.title', via: 'badge', ready: '[data-testid=preferences-table]' },
  { name: 'shares', title: 'ui.shares.title', nav: 'ui.nav.shares', ready: '[data-testid=shares-table], [data-testid=shares-empty]' },
  { name: 'admin-libraries', title: 'ui.libraries.title', nav: 'ui.nav.admin_libraries', ready: '[data-testid=libraries-list], [data-testid=libraries-empty]' },
  { name: 'requests', title: 'ui.requests.title', nav: 'ui.nav.requests', ready: '[data-testid=my-requests], [data-testid=requests-empty]' },
  { name: 'admin-requests', title: 'ui.admin_requests.title', nav: 'ui.nav.admin_requests', ready: '[data-testid=request-queue], [data-testid=request-queue-empty]' },
  { name: 'admin-downloaders', title: 'ui.downloaders.title', nav: 'ui.nav.admin_downloaders', ready: '[data-testid=downloaders-list], [data-testid=downloaders-empty]' },
  { name: 'admin-duplicates', title: 'ui.duplicates.title', nav: 'ui.nav.admin_duplicates', ready: '[data-testid=duplicates-list], [data-testid=duplicates-empty]' },
  { name: 'scrobbling', title: 'ui.scrobbling.title', nav: 'ui.nav.scrobbling', ready: '[data-testid=scrobbling-connections]' },
  { name: 'stats', title: 'ui.stats.title', nav: 'ui.nav.stats', ready: '[data-testid=stats-history-chart][data-drawn], [data-testid=stats-empty]' },
  { name: 'admin-analytics', title: 'ui.analytics.title', nav: 'ui.nav.admin_analytics', ready: '[data-testid=chart-daily][data-drawn]' },
  { name: 'admin-activity', title: 'ui.activity.title', nav: 'ui.nav.admin_activity', ready: '[data-testid=activity-list], [data-testid=activity-empty]' },
];

/** Through the app's own navigation, as a user would (the menu button on a phone). */
async function open(page, target, locale) {
  if (target.via === 'badge') {
    await page.getByTestId('notification-badge').click();
  } else if (target.path) {
    // A page no menu leads to (the first run's pages): opened by its address.
    await page.goto(`${baseUrl}${target.path}`);
  } else if (target.nav) {
    const toggle = page.locator('.menu-toggle');
    if (await toggle.isVisible()) await toggle.click();
    await page.locator('#main-nav').getByRole('link', { name: msg(locale, target.nav), exact: true }).click();
  } else {
    await page.getByTestId('user-menu').click();
    await page.getByRole('link', { name: msg(locale, 'ui.nav.profile') }).click();
  }
  await expectHeading(page, msg(locale, target.title));
}

test('sign in, switch to German, see German everywhere including server errors', async () => {
  const page = await newPage('en-US');
  await page.goto(`${baseUrl}/`);
  await expectHeading(page, msg('en', 'ui.login.title'));
  await loginThroughUi(page, ADMIN.username, ADMIN.password);
  await expectHeading(page, msg('en', 'ui.home.title'));

  await chooseLanguage(page, 'de');
  await expectHeading(page, msg('de', 'ui.home.title'));
  const me = await api('GET', '/users/me', { token: (await apiLogin(ADMIN.username, ADMIN.password)).access_token });
  assert.equal(me.body.locale, 'de', 'the choice is saved to the profile');

  for (const target of PAGES) {
    await open(page, target, 'de');
    await page.locator(target.ready).first().waitFor();
    await assertNoEnglish(page, 'de');
  }

  await page.getByTestId('user-menu').click();
  await page.getByTestId('logout').click();
  await expectHeading(page, msg('de', 'ui.login.title'));
  await loginThroughUi(page, ADMIN.username, 'not-the-password');
  const problem = page.getByTestId('problem');
  await problem.waitFor();
  assert.match(await problem.innerText(), new RegExp(msg('de', 'errors.auth.invalid_credentials.title')));
  assert.match(await problem.innerText(), new RegExp(msg('de', 'errors.auth.invalid_credentials.detail')));
  await assertNoEnglish(page, 'de');
  await page.screenshot({ path: path.join(RESULTS, 'de-login-error.png') });

  await loginThroughUi(page, ADMIN.username, ADMIN.password);
  await expectHeading(page, msg('de', 'ui.home.title'));
  await page.context().close();

  // Another device whose browser speaks French: the profile's German wins after login.
  const other = await newPage('fr-FR');
  await other.goto(`${baseUrl}/login`);
  await expectHeading(other, msg('fr', 'ui.login.title'));
  await loginThroughUi(other, ADMIN.username, ADMIN.password);
  await expectHeading(other, msg('de', 'ui.home.title'));
  await other.context().close();
});

test('an admin creates a user, who then sees their history', async () => {
  const page = await newPage('de-DE');
  await page.goto(`${baseUrl}/login`);
  await loginThroughUi(page, ADMIN.username, ADMIN.password);
  await expectHeading(page, msg('de', 'ui.home.title'));
  await page.getByRole('link', { name: msg('de', 'ui.nav.admin_users') }).click();
  await expectHeading(page, msg('de', 'ui.admin_users.title'));

  const form = page.getByTestId('create-user-form');
  await form.locator('input[name=username]').fill('maria');
  await form.locator('input[name=password]').fill('maria-password');
  await form.locator('input[name=display_name]').fill('Maria Müller');
  await form.locator('button[type=submit]').click();
  await page.getByRole('status').filter({ hasText: 'maria' }).waitFor();
  const row = page.locator('tr[data-username=maria]');
  await row.waitFor();
  assert.match(await row.innerText(), /Maria Müller/);
  assert.match(await row.innerText(), new RegExp(msg('de', 'ui.admin_users.active')));

  // The same name again: the server's German conflict message.
  await form.locator('input[name=username]').fill('maria');
  await form.locator('input[name=password]').fill('maria-password');
  await form.locator('button[type=submit]').click();
  await page.getByTestId('problem').filter({ hasText: msg('de', 'errors.users.username_taken.title') }).waitFor();

  // Disable and enable again, by keyboard.
  const toggle = row.getByRole('button', { name: msg('de', 'ui.admin_users.disable_user').replace('{username}', 'maria') });
  await toggle.focus();
  await page.keyboard.press('Enter');
  await row.filter({ hasText: msg('de', 'ui.admin_users.disabled') }).waitFor();
  assert.equal((await apiLogin(ADMIN.username, ADMIN.password)) !== null, true);
  const disabledLogin = await api('POST', '/auth/login', { body: { username: 'maria', password: 'maria-password' } });
  assert.equal(disabledLogin.status, 401);
  await row.getByRole('button', { name: msg('de', 'ui.admin_users.enable_user').replace('{username}', 'maria') }).click();
  await row.filter({ hasText: msg('de', 'ui.admin_users.active') }).waitFor();
  await page.context().close();

  const maria = await apiLogin('maria', 'maria-password');
  await recordPlay(maria.access_token, 3);

  // Maria's browser speaks Spanish and her profile has no language: Spanish UI.
  const hers = await newPage('es-ES');
  await hers.goto(`${baseUrl}/history`);
  await expectHeading(hers, msg('es', 'ui.login.title'));
  await loginThroughUi(hers, 'maria', 'maria-password');
  await expectHeading(hers, msg('es', 'ui.history.title'));
  const table = hers.getByTestId('history-table');
  await table.waitFor();
  const text = await table.innerText();
  assert.match(text, /Heat/);
  assert.match(text, new RegExp(msg('es', 'ui.media_type.movie')));
  assert.match(text, /hace 2 horas/);
  assert.match(await hers.locator('main').innerText(), /1 reproducción/);
  // Admin links are not offered to a plain user, and the page itself refuses.
  assert.equal(await hers.getByRole('link', { name: msg('es', 'ui.nav.admin_users') }).count(), 0);
  await hers.goto(`${baseUrl}/admin/users`);
  await expectHeading(hers, msg('es', 'ui.not_found.title'));
  await hers.context().close();
});



async function badgeCount(page) {
  const count = page.getByTestId('notification-count');
  return (await count.count()) ? Number(await count.innerText()) : 0;
}

test('a password-protected share link: a stranger unlocks it and plays it; revoked, it says so', async () => {
  await seeded;
  const page = await newPage('de-DE');
  await page.goto(`${baseUrl}/login`);
  await loginThroughUi(page, ADMIN.username, ADMIN.password);
  await expectHeading(page, msg('de', 'ui.home.title'));
  await page.locator('#main-nav').getByRole('link', { name: msg('de', 'ui.nav.shares') }).click();
  await expectHeading(page, msg('de', 'ui.shares.title'));

  const search = page.getByTestId('share-search');
  await search.locator('input[name=q]').fill('big test');
  await search.locator('button[type=submit]').click();
  await page.getByRole('radio', { name: /Big Test Clip/ }).check();
  const form = page.getByTestId('share-form');
  await form.locator('input[name=password]').fill('geheim-123');
  await form.locator('input[name=max_views]').fill('5');
  await form.locator('button[type=submit]').click();
  const created = page.getByTestId('share-created');
  await created.waitFor();
  assert.match(await created.innerText(), new RegExp(msg('de', 'ui.shares.shown_once').slice(0, 20)));
  const link = await page.getByTestId('share-link').inputValue();
  assert.match(link, new RegExp(`^${baseUrl}/s/[A-Za-z0-9_-]{20,}$`));
  const row = page.getByTestId('shares-table').locator('tr', { hasText: 'Big Test Clip' });
  await row.waitFor();
  assert.match(await row.innerText(), new RegExp(msg('de', 'ui.share_state.active')));
  await page.screenshot({ path: path.join(RESULTS, 'de-desktop-shares-created.png'), fullPage: true });

  // A stranger: a fresh browser context (no login, no cookies), speaking French.
  const stranger = await newPage('fr-FR');
  await stranger.goto(link);
  await expectHeading(stranger, msg('fr', 'ui.share_page.title'));
  const unlock = stranger.getByTestId('share-unlock');
  await unlock.locator('input[name=password]').fill('wrong-password');
  await unlock.locator('button[type=submit]').click();
  await stranger.getByTestId('problem').filter({ hasText: msg('fr', 'errors.share_link.wrong_password.title') }).waitFor();
  await unlock.locator('input[name=password]').fill('geheim-123');
  await unlock.locator('button[type=submit]').click();
  await expectHeading(stranger, 'Big Test Clip');
  const video = stranger.locator('video[data-testid=share-player]');
  await video.waitFor();
  await video.evaluate((v) => {
    v.muted = true;
    return v.play();
  });
  await stranger.waitForFunction(() => document.querySelector('video').currentTime > 0.3, null, { timeout: 15_000 });
  await assertNoEnglish(stranger, 'fr');
  await stranger.screenshot({ path: path.join(RESULTS, 'fr-desktop-share-page.png'), fullPage: true });
  await stranger.context().close();

  // The owner sees the view counted, then revokes the link.
  await page.reload();
  const after = page.getByTestId('shares-table').locator('tr', { hasText: 'Big Test Clip' });
  await after.filter({ hasText: msg('de', 'ui.shares.views_of').replace('{left}', '4').replace('{max}', '5') }).waitFor();
  page.once('dialog', (dialog) => dialog.accept());
  await after.getByRole('button', { name: msg('de', 'ui.shares.revoke') }).click();
  await after.filter({ hasText: msg('de', 'ui.share_state.revoked') }).waitFor();
  await page.context().close();

  const late = await newPage('es-ES');
  await late.goto(link);
  const refused = late.getByTestId('share-refused');
  await refused.waitFor();
  assert.match(await refused.innerText(), new RegExp(msg('es', 'ui.share_page.revoked_title')));
  await late.screenshot({ path: path.join(RESULTS, 'es-desktop-share-revoked.png'), fullPage: true });
  await late.context().close();
});

test('a new notification arrives live in the header badge; read and deleted in the inbox', async () => {
  const page = await newPage('de-DE');
  await page.goto(`${baseUrl}/login`);
  await loginThroughUi(page, ADMIN.username, ADMIN.password);
  await expectHeading(page, msg('de', 'ui.home.title'));
  const badge = page.getByTestId('notification-badge');
  await badge.waitFor();
  // Let the stream connect before the notification is stored.
  await page.waitForTimeout(500);
  const before = await badgeCount(page);
  await seedTool('notify', ADMIN.username, 'Wartung heute Abend');
  await page.getByTestId('notification-count').filter({ hasText: String(before + 1) }).waitFor();
  assert.match(await badge.getAttribute('aria-label'), new RegExp(String(before + 1)));

  await badge.click();
  await expectHeading(page, msg('de', 'ui.notifications.title'));
  const item = page.getByTestId('notification').filter({ hasText: 'Wartung heute Abend' });
  await item.waitFor();
  assert.match(await item.innerText(), new RegExp(msg('de', 'ui.notifications.unread')));
  await page.screenshot({ path: path.join(RESULTS, 'de-desktop-notifications-unread.png'), fullPage: true });
  await item.getByRole('button', { name: msg('de', 'ui.notifications.mark_read') }).click();
  await item.getByRole('button', { name: msg('de', 'ui.notifications.mark_read') }).waitFor({ state: 'detached' });
  assert.equal(await badgeCount(page), before);

  // A preference switched off by keyboard is saved to the server.
  const box = page.getByRole('checkbox', {
    name: msg('de', 'ui.notifications.preference_label')
      .replace('{type}', msg('de', 'ui.notification_type.new_content'))
      .replace('{channel}', msg('de', 'ui.notifications.channel_in_app')),
  });
  await box.focus();
  await page.keyboard.press('Space');
  await page.getByRole('status').filter({ hasText: msg('de', 'ui.notifications.preferences_saved') }).waitFor();
  const token = (await apiLogin(ADMIN.username, ADMIN.password)).access_token;
  const prefs = await api('GET', '/users/me/notification-preferences', { token });
  assert.equal(prefs.body.find((p) => p.notification_type === 'new_content').in_app, false);

  await item.getByRole('button', { name: msg('de', 'ui.notifications.delete') }).click();
  await item.waitFor({ state: 'detached' });
  await page.context().close();
});

/**
 * Stands in for Chromium's PushManager. In Playwright's contexts (incognito-like) Chromium has
 * no Push API at all, and with a real profile its subscribe() waits for Google's push service,
 * which this machine cannot reach. This one answers with the subscription the Web Push fake of
 * tools/e2e_fakes.py holds the keys of; the service worker, the permission, the app, the server
 * and the encryption are all real.
 */
function fakePushManager({ endpoint, keys }) {
  let current = null;
  window.__push = { subscribedWith: null, unsubscribed: 0 };
  const base64url = (buffer) => btoa(String.fromCharCode(...new Uint8Array(buffer))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  PushManager.prototype.subscribe = async function subscribe(options) {
    const key = new Uint8Array(options.applicationServerKey).slice().buffer;
    window.__push.subscribedWith = base64url(key);
    current = {
      endpoint,
      options: { applicationServerKey: key, userVisibleOnly: options.userVisibleOnly },
      toJSON: () => ({ endpoint, expirationTime: null, keys }),
      unsubscribe: async () => {
        current = null;
        window.__push.unsubscribed += 1;
        return true;
      },
    };
    return current;
  };
  PushManager.prototype.getSubscription = async function getSubscription() {
    return current;
  };
}

async function pushReceived() {
  return (await fetch(`${fakes.push_url}/_received`)).json();
}

test('browser push: switched on in the channels page, a notification pushed by the server is shown by the service worker, switched off', async () => {
  const page = await newPage('de-DE');
  await page.context().grantPermissions(['notifications'], { origin: baseUrl });
  await page.addInitScript(fakePushManager, { endpoint: fakes.push_endpoint, keys: fakes.push_keys });
  const cdp = await page.context().newCDPSession(page);
  const registrations = [];
  cdp.on('ServiceWorker.workerRegistrationUpdated', (event) => registrations.push(...event.registrations));
  await cdp.send('ServiceWorker.enable');

  await page.goto(`${baseUrl}/login`);
  await loginThroughUi(page, ADMIN.username, ADMIN.password);
  await expectHeading(page, msg('de', 'ui.home.title'));
  await page.getByTestId('notification-badge').click();
  await expectHeading(page, msg('de', 'ui.notifications.title'));
  const push = page.getByTestId('webpush');
  await page.locator('[data-testid=webpush][data-state=disabled]').waitFor();
  assert.match(await push.innerText(), new RegExp(msg('de', 'ui.notifications.push_state_disabled')));

  await push.getByRole('button', { name: msg('de', 'ui.notifications.push_enable') }).click();
  await page.locator('[data-testid=webpush][data-state=enabled]').waitFor();
  await page.getByRole('status').filter({ hasText: msg('de', 'ui.notifications.push_enabled') }).waitFor();
  assert.match(await push.innerText(), new RegExp(msg('de', 'ui.notifications.push_state_enabled')));
  const worker = await page.evaluate(async () => {
    const registration = await navigator.serviceWorker.getRegistration('/');
    return { scope: registration?.scope, script: registration?.active?.scriptURL };
  });
  assert.deepEqual(worker, { scope: `${baseUrl}/`, script: `${baseUrl}/sw.js` });
  // Subscribed with the key the server signs with; the push service will accept no other.
  const token = (await apiLogin(ADMIN.username, ADMIN.password)).access_token;
  const { body: key } = await api('GET', '/notifications/webpush/public-key', { token });
  assert.equal(await page.evaluate(() => window.__push.subscribedWith), key.public_key);
  await fetch(`${fakes.push_url}/_subscribers/${fakes.push_subscriber}/application-server-key`, { method: 'PUT', body: key.public_key });

  // System notices by push too (the Push column of the grid), then one arrives.
  const box = page.getByRole('checkbox', {
    name: msg('de', 'ui.notifications.preference_label')
      .replace('{type}', msg('de', 'ui.notification_type.system'))
      .replace('{channel}', msg('de', 'ui.notifications.channel_push')),
  });
  await box.check();
  await page.getByRole('status').filter({ hasText: msg('de', 'ui.notifications.preferences_saved') }).waitFor();
  await page.screenshot({ path: path.join(RESULTS, 'de-desktop-notifications-push-on.png'), fullPage: true });
  await seedTool('notify', ADMIN.username, 'Push aus dem Test');
  let delivered;
  for (let i = 0; i < 120 && !delivered; i++) {
    delivered = (await pushReceived()).find((m) => m.sub === fakes.push_subscriber && m.payload.title.includes('Push aus dem Test'));
    if (!delivered) await page.waitForTimeout(250);
  }
  assert.ok(delivered, 'the server pushed the notification to the subscription');
  assert.equal(delivered.payload.title, msg('de', 'notifications.system.title').replace('{subject}', 'Push aus dem Test'));

  // What the push service would hand to this browser, into the service worker.
  const registration = registrations.findLast((r) => r.scopeURL === `${baseUrl}/` && !r.isDeleted);
  // A push handed over while the worker is still starting can be dropped (seen under load), so
  // it is handed over again until shown, as a push service redelivers; the worker tags each
  // notification with its id, so a repeat replaces rather than adds.
  let shown = [];
  for (let attempt = 0; attempt < 4 && shown.length === 0; attempt++) {
    await cdp.send('ServiceWorker.deliverPushMessage', {
      origin: baseUrl,
      registrationId: registration.registrationId,
      data: JSON.stringify(delivered.payload),
    });
    for (let i = 0; i < 30 && shown.length === 0; i++) {
      shown = await page.evaluate(async () =>
        (await (await navigator.serviceWorker.getRegistration('/')).getNotifications()).map((n) => ({ title: n.title, body: n.body, tag: n.tag })),
      );
      if (shown.length === 0) await page.waitForTimeout(100);
    }
  }
  assert.deepEqual(shown, [{ title: delivered.payload.title, body: delivered.payload.body, tag: delivered.payload.id }]);

  // A click on it makes the worker tell the open window to show the inbox (public/sw.js); here
  // the worker's message itself, sent from inside the worker, moves the app from another page.
  await page.locator('#main-nav').getByRole('link', { name: msg('de', 'ui.nav.history') }).click();
  await expectHeading(page, msg('de', 'ui.history.title'));
  const [serviceWorker] = page.context().serviceWorkers();
  await serviceWorker.evaluate(async () => {
    const [client] = await self.clients.matchAll({ type: 'window' });
    client.postMessage({ type: 'revenge:navigate', url: '/notifications' });
  });
  await expectHeading(page, msg('de', 'ui.notifications.title'));

  await push.getByRole('button', { name: msg('de', 'ui.notifications.push_disable') }).click();
  await page.locator('[data-testid=webpush][data-state=disabled]').waitFor();
  await page.getByRole('status').filter({ hasText: msg('de', 'ui.notifications.push_disabled') }).waitFor();
  assert.equal(await page.evaluate(() => window.__push.unsubscribed), 1);
  const gone = await api('DELETE', `/users/me/push-token?token=${encodeURIComponent(fakes.push_endpoint)}`, { token });
  assert.equal(gone.status, 404, 'the server no longer has the device');
  await box.uncheck();
  await page.context().close();
});

test('browser push with Chromium\'s own Push API: the worker registers, the failure is explained; a refused permission shows "blocked"', async () => {
  const page = await newPage('fr-FR');
  await page.context().grantPermissions(['notifications'], { origin: baseUrl });
  await page.goto(`${baseUrl}/login`);
  await loginThroughUi(page, ADMIN.username, ADMIN.password);
  const locale = 'de'; // the admin's profile language
  await expectHeading(page, msg(locale, 'ui.home.title'));
  await page.getByTestId('notification-badge').click();
  const push = page.getByTestId('webpush');
  await page.locator('[data-testid=webpush][data-state=disabled]').waitFor();
  await push.getByRole('button', { name: msg(locale, 'ui.notifications.push_enable') }).click();
  // Chromium refuses push in a Playwright (incognito-like) context: the browser's own reason
  // comes after our translated words, and the switch stays off.
  const failure = page.getByTestId('webpush-failure');
  await failure.waitFor();
  assert.ok((await failure.innerText()).startsWith(msg(locale, 'ui.notifications.push_failed').split('{reason}')[0].trim()));
  assert.equal(await push.getAttribute('data-state'), 'disabled');
  const scope = await page.evaluate(async () => (await navigator.serviceWorker.getRegistration('/'))?.scope);
  assert.equal(scope, `${baseUrl}/`, 'the service worker is registered for the whole app');
  await page.screenshot({ path: path.join(RESULTS, 'de-desktop-notifications-push-failed.png'), fullPage: true });
  await page.context().close();

  // No permission given: headless Chromium answers the prompt with "denied".
  const refused = await newPage('de-DE');
  await refused.goto(`${baseUrl}/login`);
  await loginThroughUi(refused, ADMIN.username, ADMIN.password);
  await expectHeading(refused, msg(locale, 'ui.home.title'));
  await refused.getByTestId('notification-badge').click();
  await refused.locator('[data-testid=webpush][data-state=disabled]').waitFor();
  await refused.getByTestId('webpush').getByRole('button', { name: msg(locale, 'ui.notifications.push_enable') }).click();
  await refused.locator('[data-testid=webpush][data-state=blocked]').waitFor();
  assert.match(await refused.getByTestId('webpush').innerText(), new RegExp(msg(locale, 'ui.notifications.push_state_blocked').slice(0, 20)));
  await refused.context().close();
});



/** The chart's numbers (its screen-reader table) and whether its canvas has any pixels drawn. */
async function chartData(page, testid) {
  const chart = page.getByTestId(testid);
  await page.locator(`[data-testid=${testid}][data-drawn]`).waitFor(); // Chart.js loads on demand
  return chart.evaluate((figure) => {
    const values = [...figure.querySelectorAll('tbody td')].map((td) => Number(td.textContent.replace(/[^0-9]/g, '')));
    const canvas = figure.querySelector('canvas');
    const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let drawn = 0;
    for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) drawn++;
    return { total: values.reduce((a, b) => a + b, 0), drawn, labels: [...figure.querySelectorAll('tbody th')].map((th) => th.textContent) };
  });
}

test('the dashboard and my stats draw their charts from real plays, and the report downloads', async () => {
  const admin = await apiLogin(ADMIN.username, ADMIN.password);
  await recordPlay(admin.access_token, 5);
  await eventually('/admin/analytics/overview?window=7d', admin.access_token, (b) => b.plays >= 1);
  await eventually('/users/me/stats/history?interval=day', admin.access_token, (b) => b.points.some((p) => p.plays > 0));

  const page = await newPage('de-DE');
  await page.goto(`${baseUrl}/login`);
  await loginThroughUi(page, ADMIN.username, ADMIN.password);
  const locale = 'de'; // the admin's profile language since the first test
  await expectHeading(page, msg(locale, 'ui.home.title'));
  await open(page, PAGES.find((p) => p.name === 'admin-analytics'), locale);
  const hours = await chartData(page, 'chart-hours');
  assert.ok(hours.total >= 1, 'plays by hour has data');
  assert.ok(hours.drawn > 500, 'the hour chart is drawn');
  assert.equal(hours.labels.length, 24);
  const weekdays = await chartData(page, 'chart-weekdays');
  assert.ok(weekdays.total >= 1 && weekdays.drawn > 500, 'the weekday chart is drawn with data');
  assert.equal(weekdays.labels[0], new Intl.DateTimeFormat(locale, { weekday: 'short', timeZone: 'UTC' }).format(Date.UTC(2024, 0, 1)));
  await page.getByTestId('usage-table').locator('tr', { hasText: ADMIN.username }).waitFor();
  await page.screenshot({ path: path.join(RESULTS, `${locale}-desktop-analytics-data.png`), fullPage: true });

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId('report-form').locator('button[type=submit]').click(),
  ]);
  assert.match(download.suggestedFilename(), /^revenge-analytics-month-\d{4}-\d{2}-01\.csv$/);

  await open(page, PAGES.find((p) => p.name === 'stats'), locale);
  const history = await chartData(page, 'stats-history-chart');
  assert.ok(history.total >= 1 && history.drawn > 500, 'my history chart is drawn with data');
  assert.match(await page.getByTestId('stats-totals').innerText(), new RegExp(msg(locale, 'ui.period.all')));
  await page.screenshot({ path: path.join(RESULTS, `${locale}-desktop-stats-data.png`), fullPage: true });
  await page.context().close();
});

test('an admin adds a library and scans it, watching the progress to the end', async () => {
  await seeded;
  const folder = path.join(dataDir, 'scan-media');
  mkdirSync(path.join(folder, 'Another Clip (2025)'), { recursive: true });
  copyFileSync(path.join(dataDir, 'e2e-media', 'Big Test Clip (2026).webm'), path.join(folder, 'Another Clip (2025)', 'Another Clip (2025).webm'));

  const page = await newPage('fr-FR');
  await page.goto(`${baseUrl}/login`);
  await loginThroughUi(page, ADMIN.username, ADMIN.password);
  const locale = 'de'; // the admin's profile language since the first test
  await expectHeading(page, msg(locale, 'ui.home.title'));
  await open(page, PAGES.find((p) => p.name === 'admin-libraries'), locale);
  const form = page.getByTestId('library-form');
  await form.locator('input[name=name]').fill('Clips');
  await form.locator('select[name=kind]').selectOption('movies');
  await form.locator('input[name=path]').fill(folder);
  await form.locator('button[type=submit]').click();
  const card = page.locator('li[data-library=Clips]');
  await card.waitFor();
  await card.getByRole('button', { name: msg(locale, 'ui.libraries.scan') }).click();
  const progress = card.getByTestId('scan-progress');
  await progress.waitFor();
  await card.locator('[data-testid=scan-progress][data-status=done]').waitFor({ timeout: 60_000 });
  const text = await progress.innerText();
  assert.match(text, new RegExp(msg(locale, 'ui.scan_status.done')));
  assert.match(text, new RegExp(msg(locale, 'ui.libraries.files').replace('{done}', '1').replace('{total}', '1')));
  assert.equal(await progress.locator('progress').evaluate((p) => p.value === p.max), true);
  await page.screenshot({ path: path.join(RESULTS, `${locale}-desktop-libraries-scanned.png`), fullPage: true });
  const token = (await apiLogin(ADMIN.username, ADMIN.password)).access_token;
  const found = await api('GET', '/library/movies?q=another', { token });
  assert.equal(found.body.total, 1, 'the scanned movie is in the library');
  await page.context().close();
});

test('a user searches TMDB, requests a movie, the admin approves it, and the badge of the user counts it live', async () => {
  await seeded; // Heat is in the library with its TMDB id
  const hers = await newPage('es-ES');
  await hers.goto(`${baseUrl}/login`);
  await loginThroughUi(hers, 'maria', 'maria-password');
  await expectHeading(hers, msg('es', 'ui.home.title'));
  await open(hers, PAGES.find((p) => p.name === 'requests'), 'es');

  // The search goes through the API to the TMDB fake (tools/e2e_fakes.py).
  const search = hers.getByTestId('request-search');
  await search.locator('input[name=q]').fill('heat');
  await search.locator('button[type=submit]').click();
  const results = hers.getByTestId('request-results');
  const result = (title) => results.locator('li', { has: hers.locator('strong', { hasText: new RegExp(`^${title}$`) }) });
  await result('Heat').waitFor();
  assert.match(await result('Heat').innerText(), new RegExp(msg('es', 'ui.requests.in_library')));
  assert.equal(await result('Heat').getByRole('button').count(), 0, 'nothing to request for what is in the library');
  assert.match(await result('Heathers').innerText(), /1989/);
  await hers.screenshot({ path: path.join(RESULTS, 'es-desktop-requests-search.png'), fullPage: true });

  await result('Heathers').getByRole('button', { name: msg('es', 'ui.requests.request') }).click();
  await hers.getByRole('status').filter({ hasText: 'Heathers' }).waitFor();
  await result('Heathers').filter({ hasText: msg('es', 'ui.request_status.pending') }).waitFor();
  const mine = hers.getByTestId('my-requests').locator('li', { hasText: 'Heathers' });
  await mine.filter({ hasText: msg('es', 'ui.request_status.pending') }).waitFor();

  // A new search knows it is requested (from the server, not from the page's memory).
  await hers.reload();
  await expectHeading(hers, msg('es', 'ui.requests.title'));
  await search.locator('input[name=q]').fill('heat');
  await search.locator('button[type=submit]').click();
  await result('Heathers').filter({ hasText: msg('es', 'ui.request_status.pending') }).waitFor();
  assert.equal(await result('Heathers').getByRole('button').count(), 0);
  assert.equal(await result('Heat Wave').getByRole('button', { name: msg('es', 'ui.requests.request') }).count(), 1);
  await hers.waitForTimeout(500); // the badge's stream is connected
  const before = await badgeCount(hers);

  const admin = await newPage('de-DE');
  await admin.goto(`${baseUrl}/login`);
  await loginThroughUi(admin, ADMIN.username, ADMIN.password);
  await expectHeading(admin, msg('de', 'ui.home.title'));
  await open(admin, PAGES.find((p) => p.name === 'admin-requests'), 'de');
  const queued = admin.getByTestId('request-queue').locator('li', { hasText: 'Heathers' });
  await queued.locator('input[name=admin_note]').fill('Kommt heute Abend');
  await queued.getByRole('button', { name: msg('de', 'ui.requests.approve') }).click();
  await admin.getByRole('status').filter({ hasText: 'Heathers' }).waitFor();
  await admin.screenshot({ path: path.join(RESULTS, 'de-desktop-requests-approved.png'), fullPage: true });
  await admin.context().close();

  await hers.getByTestId('notification-count').filter({ hasText: String(before + 1) }).waitFor({ timeout: 30_000 });
  await hers.reload();
  await hers.getByTestId('my-requests').locator('li', { hasText: 'Heathers' }).filter({ hasText: msg('es', 'ui.request_status.approved') }).waitFor();
  await hers.getByTestId('notification-badge').click();
  await hers.getByTestId('notification').filter({ hasText: 'Heathers' }).waitFor();
  await hers.screenshot({ path: path.join(RESULTS, 'es-desktop-notifications-request.png'), fullPage: true });
  await hers.context().close();
});

test('a user connects ListenBrainz with a token, switches what is sent, and disconnects', async () => {
  const hers = await newPage('es-ES');
  await hers.goto(`${baseUrl}/login`);
  await loginThroughUi(hers, 'maria', 'maria-password');
  await expectHeading(hers, msg('es', 'ui.home.title'));
  await open(hers, PAGES.find((p) => p.name === 'scrobbling'), 'es');
  const card = hers.getByTestId('scrobbling-connections').locator('section', { has: hers.getByRole('heading', { name: 'ListenBrainz' }) });
  const tokenInput = card.locator('input[name=token]');

  // A token the ListenBrainz fake does not know: the server's Spanish refusal.
  await tokenInput.fill('not-a-listenbrainz-token');
  await card.getByRole('button', { name: msg('es', 'ui.scrobbling.connect') }).click();
  await hers.getByTestId('problem').filter({ hasText: msg('es', 'errors.scrobbling.provider_refused.title') }).waitFor();

  await tokenInput.fill(fakes.listenbrainz_token);
  await card.getByRole('button', { name: msg('es', 'ui.scrobbling.connect') }).click();
  await hers.getByRole('status').filter({ hasText: msg('es', 'ui.scrobbling.connected_to').replace('{name}', 'ListenBrainz') }).waitFor();
  await card.filter({ hasText: msg('es', 'ui.scrobbling.connected') }).waitFor();
  assert.match(await card.innerText(), new RegExp(fakes.listenbrainz_user));
  const sendPlays = card.getByRole('checkbox', { name: msg('es', 'ui.scrobbling.enabled') });
  const music = card.getByRole('checkbox', { name: msg('es', 'ui.scrobbling.music') });
  assert.equal(await sendPlays.isChecked(), true);
  assert.equal(await music.isChecked(), true);
  assert.equal(await card.getByRole('checkbox', { name: msg('es', 'ui.scrobbling.movies') }).count(), 0, 'ListenBrainz takes music only');
  await hers.screenshot({ path: path.join(RESULTS, 'es-desktop-scrobbling-connected.png'), fullPage: true });

  // Music off, by keyboard; the server has it.
  await music.focus();
  await hers.keyboard.press('Space');
  const token = (await apiLogin('maria', 'maria-password')).access_token;
  const musicSetting = async () =>
    (await api('GET', '/users/me/scrobbling/connections', { token })).body.find((c) => c.provider === 'listenbrainz').scrobble_music;
  for (let i = 0; i < 40 && (await musicSetting()) !== false; i++) await hers.waitForTimeout(100);
  assert.equal(await musicSetting(), false);
  await hers.reload();
  await expectHeading(hers, msg('es', 'ui.scrobbling.title'));
  assert.equal(await music.isChecked(), false, 'the switch stays off after a reload');

  await card.getByRole('button', { name: msg('es', 'ui.scrobbling.disconnect') }).click();
  await hers.getByRole('status').filter({ hasText: msg('es', 'ui.scrobbling.disconnected').replace('{name}', 'ListenBrainz') }).waitFor();
  await tokenInput.waitFor();
  const after = (await api('GET', '/users/me/scrobbling/connections', { token })).body.find((c) => c.provider === 'listenbrainz');
  assert.equal(after.connected, false);
  await hers.context().close();
});

/** Where a row of the activity page is: its state label, bar value and clock. */
async function activityRow(page, title) {
  const row = page.getByTestId('activity-list').locator('li.session', { hasText: title });
  await row.waitFor();
  const bar = row.getByRole('progressbar');
  return {
    row,
    state: (await row.getByTestId('activity-state').innerText()).trim(),
    value: Number(await bar.getAttribute('aria-valuenow')),
    clock: await bar.getAttribute('aria-valuetext'),
    text: await row.innerText(),
  };
}

test('live activity: what plays now from every door, moving live, in English and German, on a desktop and a phone', async () => {
  await seeded;
  const page = await newPage('en-US');
  await page.goto(`${baseUrl}/login`);
  await loginThroughUi(page, ADMIN.username, ADMIN.password);
  await page.waitForURL((url) => new URL(url).pathname === '/');
  await chooseLanguage(page, 'en');
  const target = PAGES.find((p) => p.name === 'admin-activity');
  await open(page, target, 'en');
  await page.getByTestId('activity-empty').waitFor();
  await page.getByTestId('activity-live').waitFor();
  assert.equal(await page.getByTestId('activity-empty').innerText(), msg('en', 'ui.activity.empty'));
  await page.screenshot({ path: path.join(RESULTS, 'en-desktop-activity-empty.png'), fullPage: true });

  // Plays start elsewhere while the page is open: they arrive through the stream.
  await seedTool('activity'); // a poster for Heat; Jonas pauses a track played through Jellyfin
  const admin = await apiLogin(ADMIN.username, ADMIN.password);
  const movieId = (await seeded).movie_id;
  const heat = await api('POST', '/playback/events', {
    token: admin.access_token,
    body: {
      media_type: 'movie', media_id: movieId, event: 'start', position_ms: 0,
      occurred_at: new Date(Date.now() - 25 * 60_000).toISOString(), client: 'Revenge Web', device: 'Chromium',
    },
  });
  assert.equal(heat.status, 200, JSON.stringify(heat.body));
  await page.getByTestId('activity-count').filter({ hasText: '2' }).waitFor({ timeout: 10_000 });
  const movie = await activityRow(page, 'Heat');
  assert.equal(movie.state, msg('en', 'ui.activity.state_playing'));
  assert.match(movie.text, new RegExp(`${msg('en', 'ui.activity.source_native')}`));
  assert.match(movie.text, /Revenge Web\s·\sChromium/);
  assert.match(movie.text, /admin/);
  assert.ok(movie.value > 14 && movie.value < 16, `25 of 170 minutes, not ${movie.value}`);
  assert.match(movie.clock, /^2[56]:\d\d of 2:50:00$/);
  // The poster came through its signed URL, resized to the thumbnail width (160 of 200 px).
  await page.waitForFunction(() => {
    const img = document.querySelector('[data-testid=activity-list] li.session img');
    return img && !img.hidden && img.complete && img.naturalWidth === 160 && img.src.includes('/api/v1/artwork/movie/');
  });
  const song = await activityRow(page, 'Massive Attack – Teardrop');
  assert.equal(song.state, msg('en', 'ui.activity.state_paused'));
  assert.match(song.text, /Jellyfin\s·\sWohnzimmer/);
  assert.match(song.text, /Jonas Becker/);
  assert.match(song.text, /Mezzanine\s·\s1998/);
  assert.equal(song.clock, '2:00 of 5:31');
  // A playing bar moves on by itself; a paused one stays.
  await page.waitForTimeout(2100);
  assert.notEqual((await activityRow(page, 'Heat')).clock, movie.clock);
  assert.equal((await activityRow(page, 'Massive Attack – Teardrop')).clock, song.clock);

  for (const locale of ['en', 'de']) {
    if (locale !== 'en') {
      await chooseLanguage(page, locale);
      await expectHeading(page, msg(locale, 'ui.activity.title'));
      await assertNoEnglish(page, locale);
    }
    await page.locator('[data-testid=activity-list] li.session img:not([hidden])').first().waitFor();
    await page.screenshot({ path: path.join(RESULTS, `${locale}-desktop-activity-playing.png`), fullPage: true });
    await page.setViewportSize(PHONE);
    await assertFitsWidth(page);
    await page.screenshot({ path: path.join(RESULTS, `${locale}-phone-activity-playing.png`), fullPage: true });
    await page.setViewportSize(DESKTOP);
  }
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: path.join(RESULTS, 'de-desktop-activity-dark.png'), fullPage: true });
  await page.emulateMedia({ colorScheme: 'light' });

  // Paused elsewhere: the page hears it from the stream, without a reload.
  const paused = await api('POST', '/playback/events', {
    token: admin.access_token,
    body: { session_id: heat.body.session_id, media_type: 'movie', media_id: movieId, event: 'pause', position_ms: 26 * 60_000 },
  });
  assert.equal(paused.status, 200, JSON.stringify(paused.body));
  const row = page.getByTestId('activity-list').locator('li.session', { hasText: 'Heat' });
  await row.locator('[data-testid=activity-state]', { hasText: msg('de', 'ui.activity.state_paused') }).waitFor({ timeout: 10_000 });
  assert.equal((await activityRow(page, 'Heat')).clock, '26:00 von 2:50:00');
  await page.context().close();
});

/** Radarr and Sonarr fakes (tools/e2e_downloaders.py); resolves with their URLs and key. */
function startDownloaderFakes() {
  const child = spawn(UV, ['run', '--frozen', 'python', '-m', 'tools.e2e_downloaders'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.once('exit', (code) => reject(new Error(`tools/e2e_downloaders.py exited with ${code}`)));
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const newline = out.indexOf('\n');
      if (newline !== -1) resolve({ child, ...JSON.parse(out.slice(0, newline)) });
    });
  });
}

async function stopDownloaderFakes(fakeDownloaders) {
  const child = fakeDownloaders?.child;
  if (!child || child.exitCode !== null) return;
  child.removeAllListeners('exit');
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
}

test('an admin connects Radarr, requests reach it, and the download shows on the requests page', async () => {
  const radarr = await startDownloaderFakes();
  try {
    const page = await newPage('en-US');
    await page.goto(`${baseUrl}/login`);
    await loginThroughUi(page, ADMIN.username, ADMIN.password);
    await page.getByTestId('user-menu').waitFor(); // signed in (in the admin's own language)
    await chooseLanguage(page, 'en');
    await open(page, PAGES.find((p) => p.name === 'admin-downloaders'), 'en');
    await page.getByTestId('downloaders-empty').waitFor();

    // A wrong key: the test button says so, translated, from the server's problem.
    await page.getByTestId('add-downloader').click();
    const form = page.getByTestId('downloader-form');
    await form.locator('select[name=kind]').selectOption('radarr');
    await form.locator('input[name=name]').fill('Radarr');
    await form.locator('input[name=base_url]').fill(radarr.radarr_url);
    await form.locator('input[name=api_key]').fill('not-the-key');
    await page.getByTestId('downloader-test').click();
    const refused = msg('en', 'errors.downloaders.unauthorized.title').replace('{downloader}', 'Radarr');
    await page.getByTestId('problem').filter({ hasText: refused }).waitFor();
    await page.screenshot({ path: path.join(RESULTS, 'en-desktop-downloaders-wrong-key.png'), fullPage: true });

    // The right key: Radarr's profiles and root folders become the choices.
    await form.locator('input[name=api_key]').fill(radarr.api_key);
    await page.getByTestId('downloader-test').click();
    await page.getByTestId('downloader-tested').waitFor();
    await form.locator('select[name=quality_profile_id]').selectOption({ label: 'HD-1080p' });
    assert.equal(await form.locator('select[name=root_folder]').inputValue(), '/movies', 'the only root folder is preselected');
    await page.screenshot({ path: path.join(RESULTS, 'en-desktop-downloaders-form.png'), fullPage: true });
    await form.locator('button[type=submit]').click();
    const shown = page.getByTestId('downloader-webhook');
    await shown.waitFor();
    const webhook = new URL((await shown.locator('code').textContent()).trim());
    await page.screenshot({ path: path.join(RESULTS, 'en-desktop-downloaders-created.png'), fullPage: true });
    const tested = await fetch(`${baseUrl}${webhook.pathname}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ eventType: 'Test', instanceName: 'Radarr' }),
    });
    assert.equal(tested.status, 200, 'Radarr\'s "Test" button is answered OK');

    // The admin's own request is approved at once and goes to Radarr; Heathers, approved before
    // any downloader existed, is sent from the admin's request queue.
    const token = (await apiLogin(ADMIN.username, ADMIN.password)).access_token;
    const own = await api('POST', '/requests', { token, body: { media_type: 'movie', external_id: '10000' } });
    assert.equal(own.status, 201, JSON.stringify(own.body));
    await open(page, PAGES.find((p) => p.name === 'admin-requests'), 'en');
    await page.locator('select[name=status]').selectOption('approved');
    const heathers = page.getByTestId('request-queue').locator('li', { hasText: 'Heathers' });
    await heathers.getByRole('button', { name: msg('en', 'ui.requests.send_again') }).click();
    await page.getByRole('status').filter({ hasText: 'Heathers' }).waitFor();
    const processing = await eventually('/admin/requests?status=processing', token, (b) => b.total >= 2);
    assert.deepEqual(processing.items.map((r) => r.title).sort(), ['Heat Wave', 'Heathers']);

    // "Check downloads now" reads Radarr's queue; the requests show their progress.
    await open(page, PAGES.find((p) => p.name === 'admin-downloaders'), 'en');
    await page.locator('li[data-downloader=Radarr]').getByRole('button', { name: msg('en', 'ui.downloaders.check_queue') }).click();
    await page.getByRole('status').filter({ hasText: 'Radarr' }).waitFor();
    await eventually(`/requests/${own.body.id}`, token, (b) => b.download?.status === 'downloading');

    for (const locale of ['en', 'de']) {
      await chooseLanguage(page, locale);
      for (const [label, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
        await page.setViewportSize(viewport);
        await open(page, PAGES.find((p) => p.name === 'requests'), locale);
        const mine = page.getByTestId('my-requests').locator('li', { hasText: 'Heat Wave' });
        const download = mine.locator('[data-testid=download][data-status=downloading]');
        await download.waitFor();
        assert.match(await mine.innerText(), new RegExp(msg(locale, 'ui.request_status.processing')));
        assert.match(await download.innerText(), new RegExp(msg(locale, 'ui.download_status.downloading')));
        assert.equal(await download.locator('progress').evaluate((bar) => Math.round(bar.value * 100)), 58);
        if (locale !== 'en') await assertNoEnglish(page, locale);
        await assertFitsWidth(page);
        await page.screenshot({ path: path.join(RESULTS, `${locale}-${label}-requests-downloading.png`), fullPage: true });
        await open(page, PAGES.find((p) => p.name === 'admin-downloaders'), locale);
        await page.getByTestId('downloaders-list').waitFor();
        if (locale !== 'en') await assertNoEnglish(page, locale);
        await assertFitsWidth(page);
        await page.screenshot({ path: path.join(RESULTS, `${locale}-${label}-downloaders.png`), fullPage: true });
      }
      await page.setViewportSize(DESKTOP);
    }
    await chooseLanguage(page, 'de'); // the admin's language for the tests after this one
    await page.context().close();
  } finally {
    await stopDownloaderFakes(radarr);
  }
});

// The scenarios of each part of the app (scenarios/*.mjs, in name order) share this server; they
// register their tests here, before the tour of every page.
const SCENARIOS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'scenarios');
for (const file of readdirSync(SCENARIOS).filter((f) => f.endsWith('.mjs')).sort()) {
  await import(pathToFileURL(path.join(SCENARIOS, file)).href);
}

test('every main page in all four languages: screenshots, translated, fits a phone', async () => {
  const admin = await apiLogin(ADMIN.username, ADMIN.password);
  await recordPlay(admin.access_token, 26);
  let profileLocale = 'de'; // chosen in the first test
  const shoot = (page, locale, label, name) =>
    page.screenshot({ path: path.join(RESULTS, `${locale}-${label}-${name}.png`), fullPage: true });
  for (const locale of LOCALES) {
    const page = await newPage(`${locale}-${locale.toUpperCase()}`);
    await page.goto(`${baseUrl}/login`);
    await expectHeading(page, msg(locale, 'ui.login.title'));
    await shoot(page, locale, 'desktop', 'login');
    await page.setViewportSize(PHONE);
    await assertFitsWidth(page);
    await shoot(page, locale, 'phone', 'login');
    await page.setViewportSize(DESKTOP);
    await loginThroughUi(page, ADMIN.username, ADMIN.password);
    await expectHeading(page, msg(profileLocale, 'ui.home.title'));
    await chooseLanguage(page, locale);
    profileLocale = locale;
    for (const [label, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
      await page.setViewportSize(viewport);
      for (const target of PAGES) {
        await open(page, target, locale);
        await page.locator(target.ready).first().waitFor();
        if (locale !== 'en') await assertNoEnglish(page, locale);
        await assertFitsWidth(page);
        await shoot(page, locale, label, target.name);
      }
    }
    await page.context().close();
  }
});
