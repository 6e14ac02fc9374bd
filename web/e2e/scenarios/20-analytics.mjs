// The statistics pages with plays of different kinds: the admin dashboard's plays per day by
// media type, its top lists per media type (with covers, "being computed" until the rankings
// have run), display names and "playing now"; My stats for a newcomer (an empty state) and for
// someone with plays (whole words on the cards, no blank scroll from the screen-reader tables);
// and Chart.js loaded only where a chart is drawn. English and German, desktop and phone.
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
  eventually,
  expectHeading,
  loginThroughUi,
  msg,
  newPage,
  recordPlay,
  seedTool,
  seeded,
} from '../harness.mjs';

const CHART_CHUNK = /\/assets\/chart-[^/]*\.js$/;

async function openFromMenu(page, locale, navKey, titleKey) {
  const toggle = page.locator('.menu-toggle');
  if (await toggle.isVisible()) await toggle.click();
  const link = page.locator('#main-nav').getByRole('link', { name: msg(locale, navKey), exact: true });
  try {
    await link.click();
  } catch (error) {
    // What the page showed instead, for the failure report.
    await page.screenshot({ path: path.join(RESULTS, `failed-menu-${locale}-${navKey}.png`), fullPage: true });
    throw new Error(`no "${msg(locale, navKey)}" in the menu of ${page.url()}`, { cause: error });
  }
  await expectHeading(page, msg(locale, titleKey));
}

/** Signs in and waits until the app speaks the profile's language (it switches after login). */
async function signIn(page, username, password) {
  await page.goto(`${baseUrl}/login`);
  await loginThroughUi(page, username, password);
  // The login page has a heading too: wait until the app has left it (signed in), or a language
  // chosen next would be undone by the profile's arriving a moment later.
  await page.waitForURL((url) => url.pathname !== '/login');
  const token = (await apiLogin(username, password)).access_token;
  const profile = (await api('GET', '/users/me', { token })).body.locale;
  await page.locator('main h1').waitFor();
  if (profile) await page.waitForFunction((code) => document.documentElement.lang === code, profile);
}

const openAnalytics = (page, locale) => openFromMenu(page, locale, 'ui.nav.admin_analytics', 'ui.analytics.title');
const openStats = (page, locale) => openFromMenu(page, locale, 'ui.nav.stats', 'ui.stats.title');

/** The seeded track (made by the activity test's seed; made here when that did not run). */
async function seededTrack(token) {
  await seeded; // the movie the activity seed gives a poster
  const find = async () => (await api('GET', '/library/tracks?q=teardrop', { token })).body?.items?.[0];
  return (await find()) ?? (await seedTool('activity'), await find());
}

/** A whole listen of `track`, reported the way a player does. */
async function listen(token, track, minutesAgo) {
  const start = new Date(Date.now() - minutesAgo * 60_000);
  const duration = track.duration_ms ?? 331_000;
  const first = await api('POST', '/playback/events', {
    token,
    body: { media_type: 'track', media_id: track.id, event: 'start', position_ms: 0, occurred_at: start.toISOString(), client: 'E2E', device: 'Chromium' },
  });
  assert.equal(first.status, 200, JSON.stringify(first.body));
  const last = await api('POST', '/playback/events', {
    token,
    body: {
      session_id: first.body.session_id,
      media_type: 'track',
      media_id: track.id,
      event: 'stop',
      position_ms: duration,
      occurred_at: new Date(start.getTime() + duration).toISOString(),
    },
  });
  assert.equal(last.body.counted, true, JSON.stringify(last.body));
}

/** The numbers of a chart as its screen-reader table gives them, once the bars are drawn. */
async function chartTable(page, testid) {
  await page.locator(`[data-testid=${testid}][data-drawn]`).waitFor();
  return page.getByTestId(testid).evaluate((figure) => {
    const canvas = figure.querySelector('canvas');
    const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let drawn = 0;
    for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) drawn++;
    return {
      series: [...figure.querySelectorAll('thead th')].map((th) => th.textContent),
      rows: [...figure.querySelectorAll('tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => Number(td.textContent.replace(/[^0-9]/g, '')))),
      drawn,
    };
  });
}

function panel(page) {
  return page.getByTestId('analytics-popular');
}

/** Picks a top-list tab and waits until its list (or its state) has arrived. */
async function pickTab(page, locale, type, key) {
  await page.getByTestId('popular-tabs').getByRole('tab', { name: msg(locale, key), exact: true }).click();
  await page.locator(`[data-testid=analytics-popular][data-type=${type}]:not([data-state=loading])`).waitFor();
}

/** A top-list entry whose cover came from the server. */
async function assertCoverLoaded(page, title) {
  const entry = panel(page).getByTestId('popular-list').locator('li', { hasText: title }).first();
  await entry.waitFor();
  const image = entry.locator('img');
  assert.equal(await image.count(), 1, `${title} has artwork`);
  await image.evaluate((img) => (img.complete ? null : new Promise((resolve) => img.addEventListener('load', resolve, { once: true }))));
  assert.ok((await image.evaluate((img) => img.naturalWidth)) > 0, `the cover of ${title} loaded`);
}

test('analytics: plays per day by media type, top lists per media type with covers, in English and German, on a desktop and a phone', async () => {
  const token = (await apiLogin(ADMIN.username, ADMIN.password)).access_token;
  const track = await seededTrack(token);
  assert.ok(track, 'a track to listen to');
  await recordPlay(token, 1); // Heat
  await listen(token, track, 20);
  await eventually('/admin/analytics/overview?window=7d', token, (b) =>
    ['movie', 'track'].every((t) => b.by_media_type.some((m) => m.media_type === t && m.plays >= 1)),
  );
  const rankedBefore = (await api('GET', '/admin/analytics/popular?media_type=track', { token })).body;

  const page = await newPage('en-US');
  await signIn(page, ADMIN.username, ADMIN.password);
  await chooseLanguage(page, 'en');
  // Chart.js is not part of the app's code: nothing loads it before a chart is drawn.
  const loaded = () => page.evaluate(() => performance.getEntriesByType('resource').map((r) => new URL(r.name).pathname));
  assert.deepEqual((await loaded()).filter((p) => CHART_CHUNK.test(p)), [], 'no Chart.js before a chart');
  await openAnalytics(page, 'en');

  // Plays per day, stacked by media type: the same numbers as the API, every day of the window.
  const daily = await chartTable(page, 'chart-daily');
  assert.equal((await loaded()).filter((p) => CHART_CHUNK.test(p)).length, 1, 'Chart.js loaded for the charts');
  const overview = (await api('GET', '/admin/analytics/overview?window=30d', { token })).body;
  assert.deepEqual(daily.series, ['ui.stats.movies', 'ui.stats.episodes', 'ui.stats.tracks'].map((k) => msg('en', k)));
  assert.deepEqual(daily.rows, overview.plays_by_day.map((d) => [d.movie, d.episode, d.track]));
  assert.equal(daily.rows.length, 30);
  const today = daily.rows.at(-1);
  assert.ok(today[0] >= 1 && today[2] >= 1, `today has a movie and a track: ${today}`);
  assert.ok(daily.drawn > 500, 'the bars are drawn');

  // "Playing now" counts what the activity page lists, and leads there.
  const activity = (await api('GET', '/admin/activity', { token })).body;
  const playing = page.getByTestId('now-playing');
  await playing.locator('a[href="/admin/activity"]').waitFor();
  assert.match(await playing.innerText(), new RegExp(`\\b${activity.total}\\b`));

  // Tracks are ranked apart from films. Before the batched refresh the list says it is being
  // computed (not "no plays"); "Rank them now" brings the refresh forward.
  await pickTab(page, 'en', 'track', 'ui.analytics.tab_tracks');
  if (!rankedBefore.items.some((i) => i.media_id === track.id)) {
    const state = await panel(page).getAttribute('data-state');
    if (state === 'computing') {
      assert.equal(await page.getByTestId('popular-computing').innerText(), msg('en', 'ui.analytics.computing'));
      assert.doesNotMatch(await panel(page).innerText(), new RegExp(msg('en', 'ui.analytics.no_plays')));
      await page.screenshot({ path: path.join(RESULTS, 'en-desktop-analytics-computing.png'), fullPage: true });
    }
    const rankNow = page.getByTestId('rank-now');
    if (await rankNow.isVisible()) await rankNow.click();
  }
  await page.locator('[data-testid=analytics-popular][data-type=track][data-state=list]').waitFor({ timeout: 90_000 });
  await assertCoverLoaded(page, 'Teardrop');
  const trackList = await panel(page).getByTestId('popular-list').innerText();
  assert.doesNotMatch(trackList, /Heat/, 'no film among the tracks');

  await pickTab(page, 'en', 'movie', 'ui.analytics.tab_movies');
  await page.locator('[data-testid=analytics-popular][data-type=movie][data-state=list]').waitFor({ timeout: 90_000 });
  await assertCoverLoaded(page, 'Heat');
  assert.doesNotMatch(await panel(page).getByTestId('popular-list').innerText(), /Teardrop/, 'no track among the films');

  await pickTab(page, 'en', 'episode', 'ui.analytics.tab_episodes');
  assert.equal(await panel(page).getAttribute('data-state'), 'empty', 'no episode was played');
  assert.match(await panel(page).innerText(), new RegExp(msg('en', 'ui.analytics.no_plays')));

  // People by the name they go by.
  const users = (await api('GET', '/admin/analytics/users?limit=100', { token })).body.items;
  const named = users.find((u) => u.display_name && u.display_name !== u.username);
  if (named) {
    const row = page.getByTestId('usage-table').locator(`tr[data-username="${named.username}"]`);
    assert.match(await row.locator('td').first().innerText(), new RegExp(`^${named.display_name}`));
  }

  for (const locale of ['en', 'de']) {
    await chooseLanguage(page, locale);
    for (const [label, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
      await page.setViewportSize(viewport);
      await openAnalytics(page, locale);
      await page.locator('[data-testid=chart-daily][data-drawn]').waitFor();
      await pickTab(page, locale, 'track', 'ui.analytics.tab_tracks');
      await assertCoverLoaded(page, 'Teardrop');
      assert.deepEqual((await chartTable(page, 'chart-daily')).series, ['ui.stats.movies', 'ui.stats.episodes', 'ui.stats.tracks'].map((k) => msg(locale, k)));
      if (locale !== 'en') await assertNoEnglish(page, locale);
      await assertFitsWidth(page);
      await page.screenshot({ path: path.join(RESULTS, `${locale}-${label}-analytics-by-type.png`), fullPage: true });

      // The item page counts the days in bars.
      await panel(page).getByTestId('popular-list').getByRole('link', { name: /Teardrop/ }).first().click();
      await page.locator('[data-testid=media-chart][data-drawn]').waitFor();
      assert.ok((await chartTable(page, 'media-chart')).rows.some(([plays]) => plays >= 1));
      if (locale !== 'en') await assertNoEnglish(page, locale);
      await assertFitsWidth(page);
      await page.screenshot({ path: path.join(RESULTS, `${locale}-${label}-media-analytics.png`), fullPage: true });
    }
    await page.setViewportSize(DESKTOP);
  }
  await chooseLanguage(page, 'de'); // the admin's language for the tests after this one
  await page.context().close();
});

/** Label lines of the period cards: a label breaks between words, never inside one. */
async function labelBreaks(page) {
  return page.getByTestId('stats-totals').evaluate((cards) =>
    [...cards.querySelectorAll('dt')].map((dt) => {
      const range = document.createRange();
      range.selectNodeContents(dt);
      const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
      return { text: dt.textContent, lines, words: dt.textContent.trim().split(/\s+/).length };
    }),
  );
}

test('my stats: an empty state for a newcomer, whole words on the cards and no blank scroll, in English and German', async () => {
  const token = (await apiLogin(ADMIN.username, ADMIN.password)).access_token;
  const created = await api('POST', '/admin/users', {
    token,
    body: { username: 'newcomer', password: 'newcomer-password', display_name: 'Nina Neu' },
  });
  assert.ok([201, 409].includes(created.status), JSON.stringify(created.body));

  const page = await newPage('en-US');
  await signIn(page, 'newcomer', 'newcomer-password');
  for (const locale of ['en', 'de']) {
    await chooseLanguage(page, locale);
    for (const [label, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
      await page.setViewportSize(viewport);
      await openStats(page, locale);
      const empty = page.getByTestId('stats-empty');
      await empty.waitFor();
      assert.match(await empty.innerText(), new RegExp(msg(locale, 'ui.stats.empty_title')));
      assert.equal(await page.getByTestId('stats-totals').count(), 0, 'no cards of zeros');
      if (locale !== 'en') await assertNoEnglish(page, locale);
      await assertFitsWidth(page);
      await page.screenshot({ path: path.join(RESULTS, `${locale}-${label}-stats-empty.png`), fullPage: true });
    }
    await page.setViewportSize(DESKTOP);
  }
  await page.context().close();

  // Someone with plays: the cards, the chart and its hidden table.
  await recordPlay(token, 2);
  await eventually('/users/me/stats', token, (b) => b.periods.some((p) => p.movies_watched > 0));
  const admin = await newPage('de-DE');
  await signIn(admin, ADMIN.username, ADMIN.password);
  for (const locale of ['en', 'de']) {
    await chooseLanguage(admin, locale);
    for (const [label, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
      await admin.setViewportSize(viewport);
      await openStats(admin, locale);
      await admin.locator('[data-testid=stats-history-chart][data-drawn]').waitFor();
      for (const dt of await labelBreaks(admin)) {
        assert.ok(dt.lines <= dt.words, `"${dt.text}" breaks inside a word (${dt.lines} lines)`);
      }
      // The screen-reader table is hidden in a 1 px box: the page ends where its content does.
      const extra = await admin.evaluate(() => {
        const hidden = [...document.querySelectorAll('figure.chart .visually-hidden')].map((el) => el.getBoundingClientRect().height);
        const content = Math.max(...[...document.querySelectorAll('main > *')].map((el) => el.getBoundingClientRect().bottom + window.scrollY));
        return { hidden, below: document.documentElement.scrollHeight - content };
      });
      assert.ok(extra.hidden.length >= 1 && extra.hidden.every((h) => h <= 1), `hidden tables take no room: ${extra.hidden}`);
      assert.ok(extra.below < 200, `no blank scroll below the content (${extra.below} px)`);
      const streak = await admin.locator('main p.muted').first().innerText();
      assert.doesNotMatch(streak, /Serie/, 'a streak is not a TV series');
      if (locale !== 'en') await assertNoEnglish(admin, locale);
      await assertFitsWidth(admin);
      await admin.screenshot({ path: path.join(RESULTS, `${locale}-${label}-stats-cards.png`), fullPage: true });
    }
    await admin.setViewportSize(DESKTOP);
  }
  await chooseLanguage(admin, 'de'); // the admin's language for the tests after this one
  await admin.context().close();
});
