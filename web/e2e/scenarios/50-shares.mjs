// Share links (issue 18): Anna shares an album and a movie from her list of links (the form
// starts over after each create); a stranger reads "Anna shared an album with you" in their
// language, sees the cover and the track list, picks a track from the list and it plays; the
// movie's player is a 16:9 box on a phone (the 2:3 poster is beside the info, not the player's
// shape). Back in her list, Anna sees when each link was last opened, with its artwork, and a
// revoked link says when it ended instead of a future expiry; her inbox shows the covers of
// "new in the library" notices and opens their pages. English and German, desktop and phone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import {
  ADMIN,
  DESKTOP,
  PHONE,
  RESULTS,
  ROOT,
  UV,
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

const ANNA = { username: 'anna_shares', password: 'anna-share-password-1', display_name: 'Anna' };

/** tools/e2e_seed_shares.py against the running server's database: the album and the movie. */
function seedShares(username) {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, REVENGE_DATA_DIR: dataDir };
    delete env.REVENGE_DATABASE_URL;
    execFile(UV, ['run', '--frozen', 'python', 'tools/e2e_seed_shares.py', username], { cwd: ROOT, env }, (error, stdout, stderr) =>
      error ? reject(new Error(`share seed failed: ${stderr}`)) : resolve(JSON.parse(stdout.trim().split('\n').pop())),
    );
  });
}

const shot = (page, name) => page.screenshot({ path: path.join(RESULTS, name), fullPage: true });
const sentence = (locale, kind, name) => msg(locale, `ui.share_page.shared_by.${kind}`).replace('{name}', name);

/** Picks an item in the Shares page's form, creates a link without password, returns it. */
async function createLink(page, locale, kind, query, title) {
  const search = page.getByTestId('share-search');
  await search.locator('select[name=media_type]').selectOption(kind);
  await search.locator('input[name=q]').fill(query);
  await search.locator('button[type=submit]').click();
  await page.getByRole('radio', { name: new RegExp(title) }).check();
  const form = page.getByTestId('share-form');
  await form.locator('input[name=max_views]').fill('20');
  await form.locator('button[type=submit]').click();
  await page.getByTestId('share-created').filter({ hasText: title }).waitFor();
  const link = await page.getByTestId('share-link').inputValue();
  assert.match(link, new RegExp(`^${baseUrl}/s/[A-Za-z0-9_-]{20,}$`));
  // The form starts over: no item picked, no search left, the options back to their defaults.
  assert.equal(await page.getByTestId('share-form').count(), 0);
  assert.equal(await search.locator('input[name=q]').inputValue(), '');
  assert.equal(await page.getByRole('radio').count(), 0);
  return link;
}

test('share links: an album picked track by track, a 16:9 movie on a phone, last opened in the list', async () => {
  await seeded;
  const admin = await apiLogin(ADMIN.username, ADMIN.password);
  const made = await api('POST', '/admin/users', { token: admin.access_token, body: { ...ANNA, locale: 'en' } });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  const media = await seedShares(ANNA.username);

  const owner = await newPage('en-US');
  await owner.goto(`${baseUrl}/login`);
  await loginThroughUi(owner, ANNA.username, ANNA.password);
  await owner.locator('main h1').first().waitFor();
  await owner.locator('#main-nav').getByRole('link', { name: msg('en', 'ui.nav.shares') }).click();
  await expectHeading(owner, msg('en', 'ui.shares.title'));
  const albumLink = await createLink(owner, 'en', 'album', 'dummy', 'Dummy');
  const movieLink = await createLink(owner, 'en', 'movie', 'lichtspiel', 'Lichtspiel');

  // A stranger opens the album: who shared what, the cover, the tracks as rows to play.
  for (const locale of ['en', 'de']) {
    const stranger = await newPage(`${locale}-${locale.toUpperCase()}`);
    await stranger.goto(albumLink);
    await expectHeading(stranger, 'Dummy');
    assert.equal((await stranger.getByTestId('share-sentence').innerText()).trim(), sentence(locale, 'album', 'Anna'));
    const cover = stranger.getByTestId('share-preview').locator('img');
    await stranger.waitForFunction(() => document.querySelector('[data-testid=share-preview] img')?.naturalWidth > 0);
    assert.equal(await cover.getAttribute('alt'), msg(locale, 'ui.share_page.cover_of').replace('{title}', 'Dummy'));
    const rows = stranger.getByTestId('share-item');
    assert.equal(await rows.count(), 3);
    assert.equal(await stranger.locator('main select').count(), 0, 'no <select> to pick a track');
    assert.match(await rows.nth(0).innerText(), /Mysterons/);
    await rows.filter({ hasText: 'Sour Times' }).click();
    assert.equal(await rows.nth(1).getAttribute('aria-current'), 'true');
    const audio = stranger.locator('audio[data-testid=share-player]');
    assert.match(await audio.getAttribute('src'), new RegExp(`item=${media.track_ids[1]}`));
    // The click started it: no play() from the test.
    await stranger.waitForFunction(() => document.querySelector('audio')?.currentTime > 0.3, null, { timeout: 15_000 });
    if (locale !== 'en') await assertNoEnglish(stranger, locale);
    await shot(stranger, `${locale}-desktop-share-album-playing.png`);
    await stranger.setViewportSize(PHONE);
    await assertFitsWidth(stranger);
    await shot(stranger, `${locale}-phone-share-album-playing.png`);
    await stranger.context().close();
  }

  // The movie on a phone: the player is 16:9 whatever the poster's shape.
  for (const locale of ['en', 'de']) {
    const phone = await newPage(`${locale}-${locale.toUpperCase()}`, PHONE);
    await phone.goto(movieLink);
    await expectHeading(phone, 'Lichtspiel');
    assert.equal((await phone.getByTestId('share-sentence').innerText()).trim(), sentence(locale, 'movie', 'Anna'));
    const video = phone.locator('video[data-testid=share-player]');
    await video.waitFor();
    const box = await video.boundingBox();
    assert.ok(Math.abs(box.width / box.height - 16 / 9) < 0.03, `video box ${box.width}×${box.height} is not 16:9`);
    assert.ok(box.width > box.height);
    assert.match(await phone.getByTestId('share-preview').innerText(), /four seconds long/);
    await assertFitsWidth(phone);
    await shot(phone, `${locale}-phone-share-movie.png`);
    await phone.setViewportSize(DESKTOP);
    const wide = await video.boundingBox();
    assert.ok(Math.abs(wide.width / wide.height - 16 / 9) < 0.03, `desktop video box ${wide.width}×${wide.height}`);
    await shot(phone, `${locale}-desktop-share-movie.png`);
    await phone.context().close();
  }

  // Back in Anna's list: both opened just now; the revoked movie link says when it ended.
  await owner.reload();
  const table = owner.getByTestId('shares-table');
  const albumRow = table.locator('tr', { hasText: 'Dummy' });
  const movieRow = table.locator('tr', { hasText: 'Lichtspiel' });
  await albumRow.waitFor();
  for (const row of [albumRow, movieRow]) {
    const opened = await row.getByTestId('share-last-opened').innerText();
    assert.doesNotMatch(opened, new RegExp(msg('en', 'ui.shares.never_opened')));
    assert.ok(await row.locator('td.cell-thumb img').count(), 'the row shows its artwork');
  }
  assert.match(await albumRow.getByTestId('share-availability').innerText(), new RegExp(msg('en', 'ui.shares.valid_until').replace('{date}', '')));
  owner.once('dialog', (dialog) => dialog.accept());
  await movieRow.getByRole('button', { name: msg('en', 'ui.shares.revoke') }).click();
  await movieRow.filter({ hasText: msg('en', 'ui.share_state.revoked') }).waitFor();
  const ended = await movieRow.getByTestId('share-availability').innerText();
  assert.match(ended, new RegExp(msg('en', 'ui.shares.ended_on').replace('{date}', '')));
  assert.doesNotMatch(ended, new RegExp(msg('en', 'ui.shares.valid_until').replace('{date}', '')));

  for (const locale of ['en', 'de']) {
    if (locale !== 'en') await chooseLanguage(owner, locale);
    await expectHeading(owner, msg(locale, 'ui.shares.title'));
    await owner.setViewportSize(DESKTOP);
    await shot(owner, `${locale}-desktop-shares-list.png`);
    await owner.setViewportSize(PHONE);
    await assertFitsWidth(owner);
    if (locale !== 'en') await assertNoEnglish(owner, locale);
    await shot(owner, `${locale}-phone-shares-list.png`);
  }

  // Her inbox: the "new in the library" notices show the item's cover and open its page.
  for (const locale of ['de', 'en']) {
    if (locale === 'en') await chooseLanguage(owner, 'en');
    await owner.setViewportSize(DESKTOP);
    await owner.goto(`${baseUrl}/notifications`);
    await expectHeading(owner, msg(locale, 'ui.notifications.title'));
    const notice = owner.getByTestId('notification').filter({ hasText: 'Dummy' });
    await notice.waitFor();
    await owner.waitForFunction(() =>
      [...document.querySelectorAll('[data-testid=notification] img')].some((img) => img.naturalWidth > 0),
    );
    assert.equal(await notice.getByTestId('notification-link').getAttribute('href'), `/library/albums/${media.album_id}`);
    assert.equal(
      await notice.getByRole('link', { name: msg(locale, 'ui.notifications.open') }).getAttribute('href'),
      `/library/albums/${media.album_id}`,
    );
    assert.match(await notice.locator('img').getAttribute('src'), /^\/api\/v1\/artwork\/album\/.+sig=/);
    await shot(owner, `${locale}-desktop-notifications-artwork.png`);
    await owner.setViewportSize(PHONE);
    await assertFitsWidth(owner);
    await shot(owner, `${locale}-phone-notifications-artwork.png`);
  }
  await owner.context().close();
});
