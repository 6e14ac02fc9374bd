// A notice is rendered in the reader's language when it is read, not when it was made: made while
// the user read English, it reads German once she has switched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ADMIN, RESULTS, api, apiLogin, baseUrl, eventually, expectHeading, loginThroughUi, msg, newPage } from '../harness.mjs';

const LOTTE = { username: 'lotte_language', password: 'lotte-password' };

test('a notice made while the user read English reads German after she switched', async () => {
  const admin = (await apiLogin(ADMIN.username, ADMIN.password)).access_token;
  const created = await api('POST', '/admin/users', { token: admin, body: { ...LOTTE, display_name: 'Lotte' } });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const token = (await apiLogin(LOTTE.username, LOTTE.password)).access_token;
  assert.equal((await api('PATCH', '/users/me', { token, body: { locale: 'en' } })).status, 200);

  // Her request by title, approved by the admin: the approval notice is made now, in English times.
  const request = await api('POST', '/requests', {
    token,
    body: { media_type: 'movie', title: 'Nosferatu', year: 1922 },
  });
  assert.equal(request.status, 201, JSON.stringify(request.body));
  const approved = await api('POST', `/admin/requests/${request.body.id}/approve`, { token: admin, body: {} });
  assert.equal(approved.status, 200, JSON.stringify(approved.body));
  const inEnglish = await eventually('/users/me/notifications', token, (b) => b.items.some((n) => n.type === 'request_approved'));
  const englishTitle = inEnglish.items.find((n) => n.type === 'request_approved').title;
  assert.match(englishTitle, /Nosferatu/);

  // She switches to German; nothing about the stored notice changes.
  assert.equal((await api('PATCH', '/users/me', { token, body: { locale: 'de' } })).status, 200);
  const inGerman = (await api('GET', '/users/me/notifications', { token, lang: 'en' })).body.items.find(
    (n) => n.type === 'request_approved',
  );
  assert.notEqual(inGerman.title, englishTitle, 'the API renders it in her language now');
  assert.match(inGerman.title, /Nosferatu/);

  const page = await newPage('en-US');
  await page.goto(`${baseUrl}/login`);
  await loginThroughUi(page, LOTTE.username, LOTTE.password);
  await page.getByTestId('user-menu').waitFor();
  await page.goto(`${baseUrl}/notifications`);
  await expectHeading(page, msg('de', 'ui.notifications.title'));
  const notice = page.getByTestId('notification').filter({ hasText: 'Nosferatu' });
  await notice.waitFor();
  const shown = await notice.innerText();
  assert.ok(shown.includes(inGerman.title), `the inbox shows the German title: ${shown}`);
  assert.ok(!shown.includes(englishTitle), `and not the English one it was made with: ${shown}`);
  await page.screenshot({ path: path.join(RESULTS, 'de-desktop-notifications-rendered-at-read-time.png'), fullPage: true });
  await page.context().close();
});
