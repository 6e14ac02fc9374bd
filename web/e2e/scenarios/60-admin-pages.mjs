// Admin pages (issue 18): duplicates with artwork and sizes, dismissed and gone after a reload;
// the job list without the every-minute sweeps, with durations and readable arguments; a
// scheduled library scan whose time has come says "due now". English and German, desktop and phone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
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
  dataDir,
  expectHeading,
  loginThroughUi,
  msg,
  newPage,
  seeded,
} from '../harness.mjs';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** Serious and critical axe-core findings on the page as it is now, in light and dark. */
async function axeFindings(page) {
  const found = [];
  for (const colorScheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme });
    await page.addScriptTag({ path: AXE });
    const violations = await page.evaluate(async () => {
      // eslint-disable-next-line no-undef
      const result = await axe.run(document, { resultTypes: ['violations'] });
      return result.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => ({ id: v.id, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
    });
    found.push(...violations.map((v) => ({ colorScheme, ...v })));
  }
  await page.emulateMedia({ colorScheme: 'light' });
  return found;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(what, check, { tries = 120, every = 500 } = {}) {
  for (let i = 0; i < tries; i++) {
    const value = await check();
    if (value) return value;
    await sleep(every);
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function adminToken() {
  return (await apiLogin(ADMIN.username, ADMIN.password)).access_token;
}

/** The admin's profile language now (the tour after the scenarios expects it unchanged). */
async function profileLocale(token) {
  return (await api('GET', '/users/me', { token })).body.locale;
}

/** Signed in as the admin, the UI in `locale`, on `route`. */
async function adminPage(locale, viewport, route, title) {
  const page = await newPage(`${locale}-${locale.toUpperCase()}`, viewport);
  await page.goto(`${baseUrl}/login`);
  await loginThroughUi(page, ADMIN.username, ADMIN.password);
  await page.getByTestId('user-menu').waitFor(); // signed in (the login page has a heading too)
  if ((await page.evaluate(() => document.documentElement.lang)) !== locale) await chooseLanguage(page, locale);
  await page.goto(`${baseUrl}${route}`);
  try {
    await expectHeading(page, msg(locale, title));
  } catch (error) {
    await page.screenshot({ path: path.join(RESULTS, `debug-f2-${locale}.png`), fullPage: true });
    throw error;
  }
  return page;
}

const shot = (page, locale, label, name) =>
  page.screenshot({ path: path.join(RESULTS, `${locale}-${label}-${name}.png`), fullPage: true });

/** A still of ffmpeg's test picture as a poster (`size` like 300x450). */
function poster(target, size) {
  execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `testsrc=size=${size}:rate=1`, '-frames:v', '1', target]);
}

/** Two films with the same poster in two sizes, scanned (and so fingerprinted): one image group. */
async function duplicateGroup(token) {
  const { clip_id: clipId } = await seeded;
  assert.ok(clipId);
  const root = path.join(dataDir, 'dup-media');
  const films = [
    ['Poster Twin One (2020)', '300x450'],
    ['Poster Twin Two (2021)', '200x300'],
  ];
  for (const [name, size] of films) {
    mkdirSync(path.join(root, name), { recursive: true });
    copyFileSync(path.join(dataDir, 'e2e-media', 'Big Test Clip (2026).webm'), path.join(root, name, `${name}.webm`));
    poster(path.join(root, name, 'poster.jpg'), size);
  }
  const library = await api('POST', '/admin/libraries', {
    token,
    body: { name: 'Poster twins', kind: 'movies', path: root, scan_interval_minutes: 0, watch: false },
  });
  assert.equal(library.status, 201, JSON.stringify(library.body));
  const scan = await api('POST', `/admin/libraries/${library.body.id}/scan`, { token });
  assert.ok([200, 201, 202].includes(scan.status), JSON.stringify(scan.body));
  await until('the scan', async () => (await api('GET', `/admin/libraries/scans/${scan.body.id}`, { token })).body.status === 'done');
  const movies = (await api('GET', '/library/movies?q=Poster%20Twin', { token })).body.items;
  assert.equal(movies.length, 2, JSON.stringify(movies));
  // Items a scan adds are fingerprinted by the worker, and their duplicates detected.
  const ids = new Set(movies.map((m) => m.id));
  return until('the image duplicate group', async () => {
    const { body } = await api('GET', '/admin/fingerprint/duplicates?kind=image&limit=100', { token });
    return body.items.find((g) => g.members.length === 2 && g.members.every((m) => ids.has(m.media_id)));
  });
}

test('admin duplicates: a group shows its pictures and real sizes, "keep this one" dismisses it for good', async () => {
  const token = await adminToken();
  const before = await profileLocale(token);
  const group = await duplicateGroup(token);
  assert.ok(group.members.every((m) => m.size_bytes > 0 && m.artwork?.thumb), JSON.stringify(group.members));

  for (const [label, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
    for (const locale of ['en', 'de']) {
      const page = await adminPage(locale, viewport, '/admin/duplicates', 'ui.duplicates.title');
      const card = page.locator(`li[data-group="${group.id}"]`);
      await card.waitFor();
      const quality = await card.getByTestId('member-quality').allInnerTexts();
      for (const text of quality) {
        assert.doesNotMatch(text, /\b0 MB\b/, 'no image is "0 MB"');
        assert.match(text, /\d+([.,]\d)?\s?kB/, `an image's size in kB: ${text}`);
      }
      assert.equal(await card.locator('img').count(), 2, 'a thumbnail per member');
      if (locale === 'en') assert.deepEqual(await axeFindings(page), [], `axe on the duplicates page (${label})`);
      if (locale !== 'en') await assertNoEnglish(page, locale);
      await assertFitsWidth(page);
      await shot(page, locale, label, 'duplicates-group');
      await page.context().close();
    }
  }

  // German, desktop: keep the bigger poster; the group goes, and stays gone after a reload.
  const page = await adminPage('de', DESKTOP, '/admin/duplicates', 'ui.duplicates.title');
  const card = page.locator(`li[data-group="${group.id}"]`);
  await card.waitFor();
  const keep = group.members.find((m) => m.keep);
  await card
    .locator(`tr[data-member="${keep.subject_id}"]`)
    .getByRole('button', { name: msg('de', 'ui.duplicates.keep_this') })
    .click();
  await page.getByTestId('dismissed-status').waitFor();
  await card.waitFor({ state: 'detached' });
  await shot(page, 'de', 'desktop', 'duplicates-dismissed');
  await page.reload();
  await expectHeading(page, msg('de', 'ui.duplicates.title'));
  await page.locator('[data-testid=duplicates-list], [data-testid=duplicates-empty]').first().waitFor();
  assert.equal(await page.locator(`li[data-group="${group.id}"]`).count(), 0, 'still gone after a reload');
  const dismissed = (await api('GET', '/admin/fingerprint/duplicates?dismissed=true&limit=100', { token })).body.items;
  const mine = dismissed.find((g) => g.id === group.id);
  assert.equal(mine?.dismissal?.decision, 'keep');
  assert.equal(mine.dismissal.keep_subject_id, keep.subject_id);

  // Among the dismissed ones it can be shown again.
  await page.locator('input[name=dismissed]').check();
  await page.locator('form.filters button[type=submit]').click();
  const again = page.locator(`li[data-group="${group.id}"]`);
  await again.waitFor();
  await again.getByRole('button', { name: msg('de', 'ui.duplicates.restore') }).click();
  await again.waitFor({ state: 'detached' });
  const listed = (await api('GET', '/admin/fingerprint/duplicates?kind=image&limit=100', { token })).body.items;
  assert.ok(listed.some((g) => g.id === group.id), 'shown again after "show again"');
  await page.context().close();

  // "Not duplicates" through the API, then back, so the tour of every page shows a group.
  const ignore = await api('POST', `/admin/fingerprint/duplicates/${group.id}/dismiss`, { token, body: { decision: 'not_duplicates' } });
  assert.equal(ignore.status, 200);
  assert.equal((await api('DELETE', `/admin/fingerprint/duplicates/${group.id}/dismiss`, { token })).status, 204);
  await api('PATCH', '/users/me', { token, body: { locale: before } });
});

test('admin jobs: the every-minute sweeps that went well are hidden, each job shows its duration', async () => {
  const token = await adminToken();
  const before = await profileLocale(token);
  // The schedule defers its sweeps every minute: wait for one that has run.
  const routine = await until(
    'a periodic job that succeeded',
    async () => {
      const { body } = await api('GET', '/admin/jobs?routine=true&status=succeeded&limit=200', { token });
      return body.items.filter((j) => j.periodic).length ? body.items.filter((j) => j.periodic) : null;
    },
    { tries: 150, every: 1000 },
  );
  const shown = (await api('GET', '/admin/jobs?limit=200', { token })).body;
  assert.ok(shown.routine_hidden >= routine.length, 'counted as hidden');
  assert.ok(!shown.items.some((j) => j.periodic && j.status === 'succeeded'), 'no routine success listed by default');
  const finished = shown.items.find((j) => j.status === 'succeeded' && j.duration_ms != null);
  assert.ok(finished, 'a job that ran (the scan, the fingerprints) has a duration');

  for (const [label, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
    for (const locale of ['en', 'de']) {
      const page = await adminPage(locale, viewport, '/admin/jobs', 'ui.admin_jobs.title');
      const table = page.getByTestId('jobs-table');
      await table.waitFor();
      await page.getByTestId('routine-hidden').waitFor();
      for (const job of routine.slice(0, 5)) {
        assert.equal(await table.locator(`tr[data-job="${job.id}"]`).count(), 0, `routine job ${job.id} hidden`);
      }
      const row = table.locator(`tr[data-job="${finished.id}"]`);
      assert.match(await row.getByTestId('job-duration').innerText(), /\d/, 'its duration is shown');
      assert.equal(await table.locator('code.args').count(), 0, 'no raw JSON in the rows');
      if (locale === 'en') assert.deepEqual(await axeFindings(page), [], `axe on the jobs page (${label})`);
      // On a phone the rows are compact: nothing to scroll sideways, in or out of the table.
      const overflow = await page.locator('.table-wrap').evaluate((el) => el.scrollWidth - el.clientWidth);
      assert.ok(overflow <= 0, `the job table is ${overflow}px wider than its box on ${label}`);
      if (locale !== 'en') await assertNoEnglish(page, locale);
      await assertFitsWidth(page);
      await shot(page, locale, label, 'jobs-default');

      if (label === 'desktop') {
        await page.locator('input[name=routine]').check();
        await table.locator('tr[data-periodic=true][data-status=succeeded]').first().waitFor();
        await shot(page, locale, label, 'jobs-routine');
        // The full arguments stay one click away.
        const details = table.locator('details').first();
        await details.locator('summary').click();
        assert.match(await details.locator('pre').innerText(), /[{}]/);
      }
      await page.context().close();
    }
  }
  await api('PATCH', '/users/me', { token, body: { locale: before } });
});

test('admin libraries: a scheduled scan whose time has come says "due now", not "27 seconds ago"', async () => {
  const token = await adminToken();
  const before = await profileLocale(token);
  const folder = path.join(dataDir, 'empty-library');
  mkdirSync(folder, { recursive: true });
  // Never scanned with a schedule: due at once (until the schedule's next check picks it up).
  const created = await api('POST', '/admin/libraries', {
    token,
    body: { name: 'Due now', kind: 'movies', path: folder, scan_interval_minutes: 60, watch: false },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  let seenDue = 0;
  for (const [label, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
    for (const locale of ['en', 'de']) {
      const page = await adminPage(locale, viewport, '/admin/libraries', 'ui.libraries.title');
      const card = page.locator('li[data-library="Due now"]');
      await card.waitFor();
      const library = (await api('GET', '/admin/libraries?limit=500', { token })).body.items.find((l) => l.id === created.body.id);
      const next = card.getByTestId('next-scan');
      if (Date.parse(library.next_scan_at) <= Date.now()) {
        assert.equal(await next.innerText(), msg(locale, 'ui.libraries.next_scan_due'));
        seenDue += 1;
      } else {
        // The schedule's check ran in between and scanned it: then it is in the future.
        assert.doesNotMatch(await next.innerText(), new RegExp(msg(locale, 'ui.libraries.next_scan_due')));
      }
      assert.doesNotMatch(await page.locator('main').innerText(), /\b0 (of|von) 0\b/);
      if (locale === 'en') assert.deepEqual(await axeFindings(page), [], `axe on the libraries page (${label})`);
      if (locale !== 'en') await assertNoEnglish(page, locale);
      await assertFitsWidth(page);
      await shot(page, locale, label, 'libraries-due');
      await page.context().close();
    }
  }
  // The schedule checks every 5 minutes; the first look comes seconds after the library was made.
  assert.ok(seenDue >= 1, 'the overdue schedule was shown as due now');
  await api('PATCH', '/users/me', { token, body: { locale: before } });
});
