// Requests (issue 18): a request by title when search is not set up or TMDB fails, the season
// picker of a series, discovery (TMDB's popular and upcoming lists as poster cards with their
// state), and the admin queue with the requester's name, "+N also want this" and the seasons.
// English and German, desktop and phone.
//
// The shared server has a TMDB key (tools/e2e_fakes.py), so the server itself offers search.
// Whether the page offers search is decided by the server's GET /requests/options (a provider
// configured per media type; tested without a key in tests/content_requests/test_discovery.py).
// The "no key" page is shown here by answering that one call as a server without a key does;
// everything else, the request by title included, goes to the real server. The "TMDB down" path
// is the real thing: the TMDB fake is told to fail, and the page falls back to the title form.
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
  fakes,
  loginThroughUi,
  msg,
  newPage,
  seeded,
} from '../harness.mjs';

const USER = { username: 'rita_requests', password: 'rita-requests-password', display_name: 'Rita Lindqvist' };
const NO_SEARCH = { search: [], discover: false, manual: true };

const shot = (page, locale, label, name) =>
  page.screenshot({ path: path.join(RESULTS, `${locale}-${label}-${name}.png`), fullPage: true });

/** A message with its ICU placeholders filled the simple way (no plurals). */
const fill = (text, values) => Object.entries(values).reduce((t, [k, v]) => t.replaceAll(`{${k}}`, v), text);

/** Past the sign-in page (its own h1 is there at once, so that alone proves nothing). */
async function signedIn(page) {
  await page.waitForURL((url) => !url.pathname.startsWith('/login'));
  await page.locator('main h1').first().waitFor();
}

let userReady;
/** Rita, an ordinary user whose profile language is English (created once, by the admin). */
function ensureUser() {
  userReady ??= (async () => {
    const admin = (await apiLogin(ADMIN.username, ADMIN.password)).access_token;
    const created = await api('POST', '/admin/users', { token: admin, body: { ...USER, locale: 'en' } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return created.body;
  })();
  return userReady;
}

/** Signed in as Rita, the UI in `locale`, on the requests page; `options` answers that call. */
async function requestsPage(locale, viewport, { options } = {}) {
  await ensureUser();
  const page = await newPage(`${locale}-${locale.toUpperCase()}`, viewport);
  if (options) {
    await page.route('**/api/v1/requests/options', (route) => route.fulfill({ json: options }));
  }
  await page.goto(`${baseUrl}/login`);
  await loginThroughUi(page, USER.username, USER.password);
  await signedIn(page);
  if ((await page.evaluate(() => document.documentElement.lang)) !== locale) await chooseLanguage(page, locale);
  await page.goto(`${baseUrl}/requests`);
  await expectHeading(page, msg(locale, 'ui.requests.title'));
  return page;
}

async function ritaToken() {
  await ensureUser();
  return (await apiLogin(USER.username, USER.password)).access_token;
}

async function mine(token) {
  return (await api('GET', '/requests?limit=100', { token })).body.items;
}

test('requests by title: the form when search is not set up, and when TMDB fails', async () => {
  const page = await requestsPage('en', DESKTOP, { options: NO_SEARCH });
  const note = page.getByTestId('search-off');
  await note.waitFor();
  assert.match(await note.innerText(), new RegExp(msg('en', 'ui.media_type.movie')));
  assert.equal(await page.locator('input[name=q]').count(), 0, 'no search box without search');
  assert.equal(await page.getByTestId('request-discovery').count(), 0, 'no discovery without a key');
  await page.getByRole('heading', { level: 3, name: msg('en', 'ui.requests.manual_title') }).waitFor();

  // A series by title, with some seasons typed by hand.
  const form = page.getByTestId('manual-request');
  await form.locator('select[name=media_type]').selectOption('tv');
  await form.locator('input[name=title]').fill('Severance');
  await form.locator('input[name=year]').fill('2022');
  await form.locator('input[name=seasons]').fill('2-1');
  assert.equal(await form.locator('button[type=submit]').isDisabled(), true, 'a backwards range is refused');
  await form.locator('input[name=seasons]').fill('1-2');
  await form.locator('button[type=submit]').click();
  await page.getByRole('status').filter({ hasText: 'Severance' }).waitFor();
  const card = page.getByTestId('my-requests').locator('li', { hasText: 'Severance' });
  await card.waitFor();
  // "Severance (2022)", with its space; the seasons; why no downloader is told.
  assert.equal((await card.locator('.request-title').innerText()).trim(), 'Severance (2022)');
  assert.match(await card.getByTestId('request-seasons').innerText(), /Seasons 1–2/);
  assert.match(await card.innerText(), new RegExp(msg('en', 'content_requests.status_reason.manual').slice(0, 30)));
  assert.match(await card.innerText(), new RegExp(msg('en', 'ui.request_status.pending')));
  const saved = (await mine(await ritaToken())).find((r) => r.title === 'Severance');
  assert.deepEqual([saved.external_source, saved.seasons, saved.year], ['manual', [1, 2], 2022]);
  await shot(page, 'en', 'desktop', 'requests-by-title');
  await page.context().close();

  // German on a phone: the same page, translated, fitting the screen.
  const phone = await requestsPage('de', PHONE, { options: NO_SEARCH });
  await phone.getByTestId('search-off').waitFor();
  await phone.getByTestId('my-requests').locator('li', { hasText: 'Severance' }).waitFor();
  assert.match(await phone.getByTestId('my-requests').innerText(), /Staffeln 1–2/);
  await assertFitsWidth(phone);
  await assertNoEnglish(phone, 'de');
  await shot(phone, 'de', 'phone', 'requests-by-title');
  await phone.context().close();

  // Search is set up, but TMDB fails: the problem is shown and the title form opens.
  const real = await requestsPage('en', DESKTOP);
  await real.getByTestId('discover-cards').waitFor(); // its call to TMDB is done before TMDB fails
  const tmdb = new URL(fakes.tmdb_api_url);
  const failing = await fetch(`${tmdb.origin}/_fail_next?status=500&api_key=${fakes.tmdb_api_key}`, { method: 'POST' });
  assert.equal(failing.status, 200);
  const search = real.getByTestId('request-search');
  await search.locator('input[name=q]').fill('matrix');
  await search.locator('button[type=submit]').click();
  await real.getByTestId('request-search').locator('..').getByTestId('problem').filter({ hasText: fill(msg('en', 'errors.content_request.metadata_unavailable.title'), { provider: 'TMDB' }) }).waitFor();
  const manual = real.getByTestId('manual-request');
  await manual.waitFor(); // the <details> opened by itself
  await manual.locator('input[name=title]').fill('A Very Obscure Film');
  await manual.locator('input[name=year]').fill('1961');
  await manual.locator('button[type=submit]').click();
  await real.getByTestId('my-requests').locator('li', { hasText: 'A Very Obscure Film' }).waitFor();
  assert.equal((await real.getByTestId('my-requests').locator('li', { hasText: 'A Very Obscure Film' }).locator('.request-title').innerText()).trim(), 'A Very Obscure Film (1961)');
  await real.context().close();
});

test('the season picker asks which seasons of a series to request', async () => {
  const page = await requestsPage('en', DESKTOP);
  const search = page.getByTestId('request-search');
  await search.locator('select[name=media_type]').selectOption('tv');
  await search.locator('input[name=q]').fill('dark');
  await search.locator('button[type=submit]').click();
  const result = page.getByTestId('request-results').locator('li', { has: page.locator('strong', { hasText: /^Dark$/ }) });
  await result.getByRole('button', { name: msg('en', 'ui.requests.request') }).click();

  const picker = page.getByTestId('season-picker');
  await picker.getByRole('heading', { name: fill(msg('en', 'ui.requests.seasons_title'), { title: 'Dark' }) }).waitFor();
  const seasons = picker.locator('input[name=season]');
  await seasons.nth(2).waitFor();
  assert.equal(await seasons.count(), 3);
  const all = picker.locator('input[name=all_seasons]');
  assert.equal(await all.isChecked(), true, 'the whole series unless seasons are ticked');
  await picker.getByRole('button', { name: msg('en', 'ui.requests.request_all_seasons') }).waitFor();
  await picker.getByLabel(fill(msg('en', 'ui.requests.season_n'), { number: '1' })).check();
  assert.equal(await all.isChecked(), false, 'a ticked season means "only these"');
  await picker.getByLabel(fill(msg('en', 'ui.requests.season_n'), { number: '3' })).check();
  await shot(page, 'en', 'desktop', 'requests-season-picker');
  await picker.getByRole('button', { name: 'Request 2 seasons' }).click();
  await picker.waitFor({ state: 'detached' });

  const card = page.getByTestId('my-requests').locator('li', { hasText: 'Dark' });
  await card.waitFor();
  assert.match(await card.getByTestId('request-seasons').innerText(), /Seasons 1, 3/);
  const saved = (await mine(await ritaToken())).find((r) => r.title === 'Dark');
  assert.deepEqual([saved.external_source, saved.external_id, saved.seasons], ['tmdb', '70523', [1, 3]]);
  await page.context().close();

  // German on a phone: the dialog fits, and closing it requests nothing.
  const phone = await requestsPage('de', PHONE);
  await phone.getByTestId('request-discovery').getByRole('button', { name: msg('de', 'ui.requests.discover_popular_tv') }).click();
  const severance = phone.getByTestId('discover-cards').locator('li[data-title=Severance]');
  await severance.getByRole('button').click();
  const dialog = phone.getByTestId('season-picker');
  await dialog.locator('input[name=season]').nth(1).waitFor();
  await assertFitsWidth(phone);
  await assertNoEnglish(phone, 'de');
  await shot(phone, 'de', 'phone', 'requests-season-picker');
  await dialog.getByRole('button', { name: msg('de', 'ui.requests.cancel') }).click();
  await dialog.waitFor({ state: 'detached' });
  assert.equal(await severance.getByRole('button', { name: msg('de', 'ui.requests.request_title').replace('{title}', 'Severance') }).count(), 1);
  assert.equal((await mine(await ritaToken())).filter((r) => r.external_id === '95396').length, 0);
  await phone.context().close();
});

test('discovery: popular and upcoming titles from TMDB as poster cards with their state', async () => {
  await seeded; // Heat is in the library with its TMDB id
  // Quiet Harbour (upcoming) was asked for already: its card shows the request's state.
  const asked = await api('POST', '/requests', { token: await ritaToken(), body: { media_type: 'movie', external_id: '20002' } });
  assert.equal(asked.status, 201, JSON.stringify(asked.body));
  const page = await requestsPage('en', DESKTOP);
  const discovery = page.getByTestId('request-discovery');
  const cards = discovery.getByTestId('discover-cards');
  const card = (title) => cards.locator(`li[data-title="${title}"]`);
  await card('Inception').waitFor();
  assert.deepEqual(await cards.locator('li h3').allInnerTexts(), ['Inception (2010)', 'The Matrix (1999)', 'Interstellar (2014)', 'Heat (1995)']);
  // Heat is in the library: no button, its state instead.
  assert.equal(await card('Heat').getByRole('button').count(), 0);
  assert.match(await card('Heat').innerText(), new RegExp(msg('en', 'ui.requests.in_library')));
  await card('Inception').getByRole('button', { name: 'Request Inception' }).click();
  await card('Inception').locator('[data-status=pending]').waitFor();
  await page.getByTestId('my-requests').locator('li', { hasText: 'Inception' }).waitFor();
  await shot(page, 'en', 'desktop', 'requests-discover');

  // Upcoming: what is requested already shows its state instead of a button.
  await discovery.getByRole('button', { name: msg('en', 'ui.requests.discover_upcoming_movies') }).click();
  await card('Northern Lights').getByRole('button', { name: 'Request Northern Lights' }).waitFor();
  assert.equal(await card('Quiet Harbour').getByRole('button').count(), 0, 'requested already');
  assert.match(await card('Quiet Harbour').locator('[data-status=pending]').innerText(), new RegExp(msg('en', 'ui.request_status.pending')));
  assert.equal(await discovery.getByRole('button', { name: msg('en', 'ui.requests.discover_upcoming_movies') }).getAttribute('aria-pressed'), 'true');
  await page.context().close();

  // The list reads the server's state, not the page's memory: a reload still says "pending".
  const phone = await requestsPage('de', PHONE);
  const phoneCards = phone.getByTestId('discover-cards');
  await phoneCards.locator('li[data-title=Inception] [data-status=pending]').waitFor();
  assert.match(await phoneCards.locator('li[data-title=Inception]').innerText(), new RegExp(msg('de', 'ui.request_status.pending')));
  await assertFitsWidth(phone);
  await assertNoEnglish(phone, 'de');
  await shot(phone, 'de', 'phone', 'requests-discover');
  await phone.context().close();

  const enPhone = await requestsPage('en', PHONE);
  await enPhone.getByTestId('discover-cards').locator('li[data-title=Inception]').waitFor();
  await assertFitsWidth(enPhone);
  await shot(enPhone, 'en', 'phone', 'requests-discover');
  await enPhone.context().close();

  const deDesktop = await requestsPage('de', DESKTOP);
  await deDesktop.getByTestId('discover-cards').locator('li[data-title=Inception]').waitFor();
  await assertNoEnglish(deDesktop, 'de');
  await shot(deDesktop, 'de', 'desktop', 'requests-discover');
  await deDesktop.context().close();
});

test('the admin queue shows who asked, who else wants it, the seasons, and approves as before', async () => {
  // Theo wants Inception too.
  const token = (await apiLogin(ADMIN.username, ADMIN.password)).access_token;
  const theo = { username: 'theo_requests', password: 'theo-requests-password' };
  assert.equal((await api('POST', '/admin/users', { token, body: theo })).status, 201);
  const theoToken = (await apiLogin(theo.username, theo.password)).access_token;
  const metoo = await api('POST', '/requests', { token: theoToken, body: { media_type: 'movie', external_id: '27205' } });
  assert.equal(metoo.status, 200, JSON.stringify(metoo.body));

  const before = (await api('GET', '/users/me', { token })).body.locale;
  try {
    for (const [locale, viewport, label] of [['de', DESKTOP, 'desktop'], ['de', PHONE, 'phone'], ['en', DESKTOP, 'desktop'], ['en', PHONE, 'phone']]) {
      const page = await newPage(`${locale}-${locale.toUpperCase()}`, viewport);
      await page.goto(`${baseUrl}/login`);
      await loginThroughUi(page, ADMIN.username, ADMIN.password);
      await signedIn(page);
      if ((await page.evaluate(() => document.documentElement.lang)) !== locale) await chooseLanguage(page, locale);
      await page.goto(`${baseUrl}/admin/requests`);
      await expectHeading(page, msg(locale, 'ui.admin_requests.title'));
      const queue = page.getByTestId('request-queue');
      const inception = queue.locator('li', { hasText: 'Inception' });
      await inception.waitFor();
      const text = await inception.innerText();
      assert.match(text, new RegExp(fill(msg(locale, 'ui.requests.requested_by'), { name: USER.display_name })));
      assert.match(await inception.getByTestId('request-interest').innerText(), /^\+1 /);
      assert.match(await inception.locator('[data-status=pending]').innerText(), new RegExp(msg(locale, 'ui.request_status.pending')));
      const dark = queue.locator('li', { hasText: 'Dark' });
      assert.match(await dark.getByTestId('request-seasons').innerText(), locale === 'de' ? /Staffeln 1, 3/ : /Seasons 1, 3/);
      // A request by title cannot be sent to a downloader; the queue says why.
      assert.match(await queue.locator('li', { hasText: 'Severance' }).innerText(), new RegExp(msg(locale, 'content_requests.status_reason.manual').slice(0, 20)));
      if (viewport === PHONE) await assertFitsWidth(page);
      if (locale === 'de') await assertNoEnglish(page, 'de');
      await shot(page, locale, label, 'admin-requests-queue');
      if (locale === 'en' && viewport === PHONE) {
        await inception.getByRole('button', { name: msg('en', 'ui.requests.approve') }).click();
        await page.getByRole('status').filter({ hasText: 'Inception' }).waitFor();
        await inception.waitFor({ state: 'detached' }); // the pending filter no longer lists it
      }
      await page.context().close();
    }
  } finally {
    await api('PATCH', '/users/me', { token, body: { locale: before } });
  }
  const approved = (await api('GET', '/admin/requests?status=approved&limit=100', { token })).body.items;
  assert.ok(approved.some((r) => r.title === 'Inception'), 'approved');
});
