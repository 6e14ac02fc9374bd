// Users and the first run (issue 18): an admin edits a user, sets their request quota and
// resets their password; the user signs in with it and must choose a new one before anything
// else; the first-steps page; an API key created in the profile, shown once, used, revoked.
// English and German, desktop and phone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  ADMIN,
  DESKTOP,
  PHONE,
  RESULTS,
  api,
  apiLogin,
  assertFitsWidth,
  assertNoEnglish,
  baseUrl,
  chooseLanguage,
  expectHeading,
  loginThroughUi,
  msg,
  newPage,
} from '../harness.mjs';

const shot = (page, locale, label, name) =>
  page.screenshot({ path: path.join(RESULTS, `${locale}-${label}-${name}.png`), fullPage: true });

async function adminToken() {
  return (await apiLogin(ADMIN.username, ADMIN.password)).access_token;
}

/** Signed in as the admin with the UI in `locale` (saved to the profile: restore it after). */
async function adminPage(locale, viewport = DESKTOP) {
  const page = await newPage(`${locale}-${locale.toUpperCase()}`, viewport);
  await page.goto(`${baseUrl}/login`);
  await loginThroughUi(page, ADMIN.username, ADMIN.password);
  await page.getByTestId('user-menu').waitFor();
  if ((await page.evaluate(() => document.documentElement.lang)) !== locale) await chooseLanguage(page, locale);
  return page;
}

async function createUser(token, username, password) {
  const created = await api('POST', '/admin/users', { token, body: { username, password, timezone: 'Europe/Berlin' } });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  return created.body;
}

// Other scenarios create users of their own on the same server: these names are this run's.
const TAG = Date.now().toString(36).slice(-5);
const NORA = `nora-${TAG}`;
const OTTO = `otto-${TAG}`;

test('an admin edits a user and resets their password; the user must choose a new one', async () => {
  const token = await adminToken();
  const before = (await api('GET', '/users/me', { token })).body.locale;
  const nora = await createUser(token, NORA, 'nora-first-password');
  await createUser(token, OTTO, 'otto-first-password');
  let newPassword;
  try {
    for (const [locale, viewport, label] of [
      ['en', DESKTOP, 'desktop'],
      ['de', PHONE, 'phone'],
    ]) {
      const page = await adminPage(locale, viewport);
      await page.goto(`${baseUrl}/admin/users`);
      await expectHeading(page, msg(locale, 'ui.admin_users.title'));
      const row = page.locator(`tr[data-username="${NORA}"]`);
      await row.waitFor();
      await assertFitsWidth(page);
      await shot(page, locale, label, 'admin-users-list');

      // Edit: display name, email, language; then a request quota and auto-approve.
      await row.getByTestId('edit-user').click();
      const editor = page.getByTestId('user-editor');
      await editor.waitFor();
      const details = editor.getByTestId('user-details-form');
      await details.locator('input[name=display_name]').fill(locale === 'en' ? 'Nora North' : 'Nora Nord');
      await details.locator('input[name=email]').fill('nora@example.org');
      await details.locator('select[name=locale]').selectOption('de');
      await details.locator('button[type=submit]').click();
      await editor.getByRole('status').filter({ hasText: msg(locale, 'ui.admin_users.saved') }).first().waitFor();

      const requests = editor.getByTestId('user-requests-form');
      await requests.locator('button[type=submit]:not([disabled])').waitFor();
      await requests.locator('input[name=quota_movie]').fill(locale === 'en' ? '3' : '4');
      await requests.locator('input[name=auto_approve]').check();
      await requests.locator('button[type=submit]').click();
      await editor.getByRole('status').filter({ hasText: msg(locale, 'ui.admin_users.saved') }).nth(1).waitFor();
      await assertNoEnglish(page, locale);
      await assertFitsWidth(page);
      await shot(page, locale, label, 'admin-users-editor');

      const settings = await api('GET', `/admin/users/${nora.id}/request-settings`, { token });
      assert.equal(settings.body.quota_movie, locale === 'en' ? 3 : 4);
      assert.equal(settings.body.auto_approve, true);
      const saved = (await api('GET', '/admin/users?limit=200', { token })).body.items.find((u) => u.id === nora.id);
      assert.equal(saved.display_name, locale === 'en' ? 'Nora North' : 'Nora Nord');
      assert.equal(saved.locale, 'de');

      // Reset the password: confirmed first, then shown once.
      await editor.getByRole('button', { name: msg(locale, 'ui.admin_users.reset_password') }).click();
      await editor.getByRole('button', { name: msg(locale, 'ui.admin_users.reset_password') }).click();
      const shown = editor.getByTestId('new-password-value');
      await shown.waitFor();
      newPassword = await shown.inputValue();
      assert.ok(newPassword.length >= 16);
      await shot(page, locale, label, 'admin-users-reset');
      await editor.getByRole('button', { name: msg(locale, 'ui.common.close') }).click();
      await editor.waitFor({ state: 'hidden' });
      await row.filter({ hasText: msg(locale, 'ui.admin_users.must_change_password') }).waitFor();

      // One's own account: no reset, no delete, role and status locked.
      await page.locator(`tr[data-username=${ADMIN.username}]`).getByTestId('edit-user').click();
      await editor.waitFor();
      assert.equal(await editor.getByRole('button', { name: msg(locale, 'ui.admin_users.delete_user') }).count(), 0);
      assert.equal(await editor.locator('input[name=is_admin]').isDisabled(), true);
      await page.keyboard.press('Escape');
      await editor.waitFor({ state: 'hidden' });
      await page.context().close();
    }

    // Delete, after a confirmation: Otto is gone.
    const page = await adminPage('en');
    await page.goto(`${baseUrl}/admin/users`);
    const otto = page.locator(`tr[data-username="${OTTO}"]`);
    await otto.getByTestId('edit-user').click();
    const editor = page.getByTestId('user-editor');
    await editor.getByRole('button', { name: msg('en', 'ui.admin_users.delete_user') }).click();
    await editor.getByTestId('confirm-delete').click();
    await otto.waitFor({ state: 'detached' });
    await page.getByRole('status').filter({ hasText: OTTO }).waitFor();
    assert.equal((await api('POST', '/auth/login', { body: { username: OTTO, password: 'otto-first-password' } })).status, 401);
    await page.context().close();
  } finally {
    await api('PATCH', '/users/me', { token, body: { locale: before } });
  }

  // Nora signs in with the generated password (her profile says German): before anything
  // else, she is asked to choose her own.
  for (const [viewport, label] of [
    [PHONE, 'phone'],
    [DESKTOP, 'desktop'],
  ]) {
    const hers = await newPage('en-GB', viewport);
    await hers.goto(`${baseUrl}/stats`);
    await loginThroughUi(hers, NORA, newPassword);
    await expectHeading(hers, msg('de', 'ui.change_password.title'));
    assert.match(new URL(hers.url()).search, /next=%2Fstats/);
    // Any other page leads back here until the password is changed.
    await hers.goto(`${baseUrl}/history`);
    await expectHeading(hers, msg('de', 'ui.change_password.title'));
    await assertNoEnglish(hers, 'de');
    await assertFitsWidth(hers);
    await shot(hers, 'de', label, 'change-password');
    if (label === 'phone') {
      await hers.context().close();
      continue;
    }
    const form = hers.getByTestId('change-password-form');
    await form.locator('input[name=current_password]').fill(newPassword);
    await form.locator('input[name=new_password]').fill('noras-own-password');
    await form.locator('input[name=repeat_password]').fill('noras-own-password-typo');
    await form.locator('button[type=submit]').click();
    await hers.getByRole('alert').filter({ hasText: msg('de', 'ui.profile.password_mismatch') }).waitFor();
    await form.locator('input[name=repeat_password]').fill('noras-own-password');
    await form.locator('button[type=submit]').click();
    // Not an admin: on to where she was going.
    await expectHeading(hers, msg('de', 'ui.history.title'));
    await hers.context().close();
  }
  const mine = await apiLogin(NORA, 'noras-own-password');
  assert.equal(mine.user.must_change_password, false);
  assert.equal((await api('POST', '/auth/login', { body: { username: NORA, password: newPassword } })).status, 401);
});

test('the first steps: add a library, connect a media server, invite users; dismissable', async () => {
  const token = await adminToken();
  const before = (await api('GET', '/users/me', { token })).body.locale;
  try {
    for (const [locale, viewport, label] of [
      ['en', DESKTOP, 'desktop'],
      ['en', PHONE, 'phone'],
      ['de', DESKTOP, 'desktop'],
      ['de', PHONE, 'phone'],
    ]) {
      const page = await adminPage(locale, viewport);
      await page.goto(`${baseUrl}/first-steps?next=%2Fadmin%2Fusers`);
      await expectHeading(page, msg(locale, 'ui.first_steps.title'));
      const steps = page.getByTestId('first-steps');
      assert.equal(await steps.getByTestId('first-step-library').getAttribute('href'), '/admin/libraries');
      assert.equal(await steps.getByTestId('first-step-users').getAttribute('href'), '/admin/users');
      assert.match(await steps.getByTestId('first-step-media_server').getAttribute('href'), /^\/api\/v1\/docs/);
      assert.deepEqual(
        await page.locator('main h1, main h2').evaluateAll((hs) => hs.map((h) => h.tagName)),
        ['H1', 'H2', 'H2', 'H2'],
      );
      await assertNoEnglish(page, locale);
      await assertFitsWidth(page);
      await shot(page, locale, label, 'first-steps');
      if (locale === 'de' && label === 'phone') {
        await page.getByTestId('first-steps-dismiss').click();
        await expectHeading(page, msg(locale, 'ui.admin_users.title'));
        assert.ok(await page.evaluate(() => localStorage.getItem('revenge.first_steps_dismissed')));
      } else {
        await page.getByTestId('first-step-library').click();
        await expectHeading(page, msg(locale, 'ui.libraries.title'));
      }
      await page.context().close();
    }
  } finally {
    await api('PATCH', '/users/me', { token, body: { locale: before } });
  }
});

test('an API key is created in the profile, shown once, works, and is revoked', async () => {
  const token = await adminToken();
  const before = (await api('GET', '/users/me', { token })).body.locale;
  try {
    for (const [locale, viewport, label] of [
      ['de', DESKTOP, 'desktop'],
      ['en', PHONE, 'phone'],
    ]) {
      const page = await adminPage(locale, viewport);
      await page.getByTestId('user-menu').click();
      await page.getByRole('link', { name: msg(locale, 'ui.nav.profile') }).click();
      await expectHeading(page, msg(locale, 'ui.profile.title'));
      const name = `E2E script ${locale}`;
      const form = page.getByTestId('api-key-form');
      await form.locator('input[name=name]').fill(name);
      await form.locator('button[type=submit]').click();
      const value = page.getByTestId('api-key-value');
      await value.waitFor();
      const key = await value.inputValue();
      assert.match(key, /^rvk_/);
      await assertNoEnglish(page, locale);
      await assertFitsWidth(page);
      await shot(page, locale, label, 'profile-api-key-created');

      // The key works (and is then shown as used); after a reload it is never shown again.
      const me = await fetch(`${baseUrl}/api/v1/users/me`, { headers: { 'X-API-Key': key } });
      assert.equal(me.status, 200);
      await page.reload();
      await expectHeading(page, msg(locale, 'ui.profile.title'));
      const item = page.locator(`li[data-key-name="${name}"]`);
      await item.waitFor();
      assert.equal(await page.getByTestId('api-key-value').count(), 0);
      assert.ok(!(await page.locator('main').innerText()).includes(key));
      assert.ok(!(await item.innerText()).includes(msg(locale, 'ui.api_keys.never_used')));
      await shot(page, locale, label, 'profile-api-keys');

      await item.getByRole('button', { name: msg(locale, 'ui.api_keys.revoke_named').replace('{name}', name) }).click();
      await item.getByTestId('confirm-revoke').click();
      await item.waitFor({ state: 'detached' });
      const refused = await fetch(`${baseUrl}/api/v1/users/me`, { headers: { 'X-API-Key': key } });
      assert.equal(refused.status, 401);
      await page.context().close();
    }
  } finally {
    await api('PATCH', '/users/me', { token, body: { locale: before } });
  }
});
