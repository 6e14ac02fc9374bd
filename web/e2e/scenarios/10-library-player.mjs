// Library and player (issue 18, part 1): a user finds an album by its cover, plays a track in the
// mini-player, and the play reaches their history and their ListenBrainz account; a movie
// resumes where it was left after a reload. Screenshots of home, browse, album, movie, player
// and mini-player in English and German, on a desktop and a phone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import {
  ADMIN, DESKTOP, PHONE, RESULTS, api, apiLogin, assertFitsWidth, assertNoEnglish, baseUrl, chooseLanguage, dataDir,
  eventually, expectHeading, fakes, loginThroughUi, msg, newPage,
} from '../harness.mjs';

const ARTIST = 'Die Testband';
const ALBUM = 'Lieder aus dem Test';
const TRACKS = ['Erstes Lied', 'Zweites Lied', 'Drittes Lied'];
const TRACK_SECONDS = 12; // the e2e server counts tracks over 5 s (REVENGE_PLAY_MUSIC_MIN_TRACK_MS)
const MOVIE = 'Resume Clip';
const USER = { username: 'lena', password: 'lena-password' };

const run = promisify(execFile);
function ffmpeg(...args) {
  return run('ffmpeg', ['-loglevel', 'error', '-y', ...args]);
}

/** Artist/Album (year)/NN - Title.opus with tags, and a cover.jpg next to them. */
async function makeAlbum(root) {
  const folder = path.join(root, ARTIST, `${ALBUM} (2026)`);
  mkdirSync(folder, { recursive: true });
  await Promise.all(TRACKS.map((title, i) =>
    ffmpeg(
      '-f', 'lavfi', '-i', `sine=frequency=${330 + i * 110}:duration=${TRACK_SECONDS}`,
      '-c:a', 'libopus', '-b:a', '32k',
      '-metadata', `title=${title}`, '-metadata', `artist=${ARTIST}`, '-metadata', `album=${ALBUM}`,
      '-metadata', `track=${i + 1}`, '-metadata', 'date=2026',
      path.join(folder, `0${i + 1} - ${title}.opus`),
    ),
  ));
  await ffmpeg('-f', 'lavfi', '-i', 'testsrc2=size=600x600:rate=1', '-frames:v', '1', path.join(folder, 'cover.jpg'));
}

/** A 90-second film (long enough for "resume": positions under 30 s are not offered). */
async function makeMovie(root) {
  const folder = path.join(root, `${MOVIE} (2024)`);
  mkdirSync(folder, { recursive: true });
  await ffmpeg(
    '-f', 'lavfi', '-i', 'testsrc=size=160x90:rate=10:duration=90',
    '-f', 'lavfi', '-i', 'sine=frequency=220:duration=90',
    '-c:v', 'libvpx', '-b:v', '60k', '-c:a', 'libvorbis', '-shortest',
    path.join(folder, `${MOVIE} (2024).webm`),
  );
  await ffmpeg('-f', 'lavfi', '-i', 'testsrc2=size=400x600:rate=1', '-frames:v', '1', path.join(folder, 'poster.jpg'));
}

async function addLibrary(token, name, kind, folder) {
  let created;
  try {
    created = await api('POST', '/admin/libraries', { token, body: { name, kind, path: folder } });
  } catch (error) {
    throw new Error(`POST /admin/libraries: ${error.cause?.message ?? error.message}`);
  }
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const scan = await api('POST', `/admin/libraries/${created.body.id}/scan`, { token });
  assert.ok(scan.status < 300, JSON.stringify(scan.body));
}

async function listens() {
  return (await fetch(`${fakes.listenbrainz_api_url}/_listens`)).json();
}

async function openNav(page, locale, label) {
  const toggle = page.locator('.menu-toggle');
  if (await toggle.isVisible()) await toggle.click();
  await page.locator('#main-nav').getByRole('link', { name: msg(locale, label), exact: true }).click();
}

/** The album's card on the Albums tab, once its cover has really loaded. */
async function albumCard(page) {
  const card = page.getByTestId('library-card').filter({ hasText: ALBUM });
  await card.waitFor();
  await card.locator('img').waitFor();
  await page.waitForFunction((title) => {
    const img = document.querySelector(`[data-testid=library-card][data-title="${title}"] img`);
    return img && img.complete && img.naturalWidth > 0;
  }, ALBUM);
  return card;
}

let token;
let userToken;
let albumId;
let movieId;

test('library and player: prepare a music and a movie library, and a user with ListenBrainz', async () => {
  token = (await apiLogin(ADMIN.username, ADMIN.password)).access_token;
  const music = path.join(dataDir, 'player-music');
  const movies = path.join(dataDir, 'player-movies');
  await Promise.all([makeAlbum(music), makeMovie(movies)]);
  await addLibrary(token, 'Musik zum Abspielen', 'music', music);
  await addLibrary(token, 'Filme zum Fortsetzen', 'movies', movies);
  const albums = await eventually(`/library/albums?q=${encodeURIComponent(ALBUM)}`, token, (b) => b.total === 1 && b.items[0].track_count === 3);
  albumId = albums.items[0].id;
  assert.ok(albums.items[0].artwork, 'the album has its cover');
  const found = await eventually(`/library/movies?q=${encodeURIComponent(MOVIE)}`, token, (b) => b.total === 1);
  movieId = found.items[0].id;

  const created = await api('POST', '/admin/users', { token, body: { ...USER, display_name: 'Lena Lauscher' } });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  userToken = (await apiLogin(USER.username, USER.password)).access_token;
  const connected = await api('POST', '/users/me/scrobbling/connect/listenbrainz', { token: userToken, body: { token: fakes.listenbrainz_token } });
  assert.ok(connected.status < 300, JSON.stringify(connected.body));
});

test('library and player: find an album by its cover, play a track, see it in history and at ListenBrainz', async () => {
  const page = await newPage('en-US');
  await page.goto(`${baseUrl}/login`);
  await loginThroughUi(page, USER.username, USER.password);
  await expectHeading(page, msg('en', 'ui.home.title'));
  // A new user: a welcome pointing to the library, and what is new there.
  await page.getByTestId('home-empty').waitFor();
  await page.getByTestId('home-added').filter({ hasText: ALBUM }).waitFor();
  await page.screenshot({ path: path.join(RESULTS, 'en-desktop-home-new.png'), fullPage: true });

  await openNav(page, 'en', 'ui.nav.library');
  await expectHeading(page, msg('en', 'ui.library.title'));
  await page.getByRole('link', { name: msg('en', 'ui.library_kind.albums'), exact: true }).click();
  const card = await albumCard(page);
  await page.screenshot({ path: path.join(RESULTS, 'en-desktop-library-albums.png'), fullPage: true });
  await card.click();
  await expectHeading(page, ALBUM);
  const rows = page.getByTestId('track-list').locator('tbody tr');
  assert.equal(await rows.count(), 3);
  assert.deepEqual((await rows.locator('td.cell-primary').allInnerTexts()).map((t) => t.trim()), TRACKS);

  const started = Date.now();
  await rows.first().getByTestId('play-track').click();
  const mini = page.locator('[data-testid=mini-player][data-state=playing]');
  await mini.waitFor();
  assert.equal((await page.getByTestId('mini-title').innerText()).trim(), TRACKS[0]);
  // Past half the track (the play rule), then stop by closing the player.
  await page.waitForFunction(() => {
    const [m, s] = document.querySelector('[data-testid=mini-position]').textContent.split(':').map(Number);
    return m * 60 + s >= 8;
  }, null, { timeout: 20_000 });
  await page.screenshot({ path: path.join(RESULTS, 'en-desktop-mini-player.png'), fullPage: false });
  await page.getByTestId('mini-close').click();
  await page.getByTestId('mini-player').waitFor({ state: 'detached' });

  const trackId = (await api('GET', `/library/tracks?parent_id=${albumId}`, { token: userToken })).body.items.find((t) => t.title === TRACKS[0]).id;
  const history = await eventually(`/users/me/history?media_type=track&media_id=${trackId}`, userToken, (b) => b.total >= 1);
  const entry = history.items[0];
  assert.equal(entry.client, 'Revenge Web');
  assert.match(entry.device, /Chrom/);
  assert.ok(entry.played_ms >= 7000 && entry.played_ms <= Date.now() - started + 1000, `played ${entry.played_ms} ms`);

  await openNav(page, 'en', 'ui.nav.history');
  await expectHeading(page, msg('en', 'ui.history.title'));
  const row = page.getByTestId('history-table').locator('tr', { hasText: TRACKS[0] });
  await row.waitFor();
  assert.equal(await row.getByRole('link', { name: TRACKS[0] }).getAttribute('href'), `/library/tracks/${trackId}`);
  await page.screenshot({ path: path.join(RESULTS, 'en-desktop-history-played.png'), fullPage: true });

  let listen;
  for (let i = 0; i < 120 && !listen; i++) {
    listen = (await listens()).find((l) => l.track_metadata?.track_name === TRACKS[0]);
    if (!listen) await page.waitForTimeout(250);
  }
  assert.ok(listen, 'the ListenBrainz fake received the listen');
  assert.equal(listen.track_metadata.artist_name, ARTIST);
  assert.equal(listen.track_metadata.release_name, ALBUM);

  // The item page knows it now: played once, by this user.
  await page.goto(`${baseUrl}/library/tracks/${trackId}`);
  await expectHeading(page, TRACKS[0]);
  await page.getByTestId('my-plays').locator('li').first().waitFor();
  assert.match(await page.getByTestId('item-played').innerText(), new RegExp(msg('en', 'ui.library.played')));
  await page.context().close();
});

test('library and player: a movie resumes where it was left, after a reload', async () => {
  const page = await newPage('en-US');
  await page.goto(`${baseUrl}/login`);
  await loginThroughUi(page, USER.username, USER.password);
  await expectHeading(page, msg('en', 'ui.home.title'));
  await page.goto(`${baseUrl}/library/movies/${movieId}`);
  await expectHeading(page, MOVIE);
  await page.getByTestId('file-facts').filter({ hasText: 'vp8' }).waitFor();
  await page.getByTestId('play').click();
  const video = page.getByTestId('video-player');
  await video.waitFor();
  await page.waitForFunction(() => {
    const v = document.querySelector('[data-testid=video-player]');
    return v && !v.paused && v.currentTime > 0.2;
  }).catch(async (error) => {
    await page.screenshot({ path: path.join(RESULTS, 'en-desktop-player-failed.png'), fullPage: true });
    const state = await video.evaluate((v) => ({ paused: v.paused, t: v.currentTime, err: v.error?.code, src: v.currentSrc, ready: v.readyState }));
    throw new Error(`${error.message}: ${JSON.stringify(state)}`);
  });
  assert.doesNotMatch(page.url(), /play=1/, 'a reload must not start a new play by itself');
  await video.evaluate((v) => {
    v.currentTime = 50;
  });
  await page.waitForFunction(() => document.querySelector('[data-testid=video-player]').currentTime > 52);
  await page.screenshot({ path: path.join(RESULTS, 'en-desktop-player.png'), fullPage: true });

  // The tab reloads mid-film: the stop goes out on pagehide with keepalive.
  await page.reload();
  await page.getByTestId('video-player').waitFor();
  assert.equal(await page.getByTestId('video-player').evaluate((v) => v.paused), true);
  await page.getByRole('link', { name: msg('en', 'ui.player.back_to_item') }).click();
  await expectHeading(page, MOVIE);
  const resume = page.getByTestId('resume');
  await resume.waitFor();
  const label = await resume.innerText();
  const [, minutes, seconds] = label.match(/(\d+):(\d\d)/);
  const at = Number(minutes) * 60 + Number(seconds);
  assert.ok(at >= 52 && at <= 60, `resume offered at ${label}`);
  assert.equal(label, msg('en', 'ui.player.resume_from').replace('{time}', `${minutes}:${seconds}`));
  await page.screenshot({ path: path.join(RESULTS, 'en-desktop-movie-resume.png'), fullPage: true });
  await resume.click();
  await page.waitForFunction((from) => {
    const v = document.querySelector('[data-testid=video-player]');
    return v && !v.paused && v.currentTime >= from;
  }, at);
  const position = await page.getByTestId('video-player').evaluate((v) => v.currentTime);
  assert.ok(position >= at && position < at + 5, `resumed at ${position}`);
  await page.context().close();
});

test('library and player: screenshots in English and German, desktop and phone', async () => {
  const page = await newPage('en-US');
  await page.goto(`${baseUrl}/login`);
  await loginThroughUi(page, USER.username, USER.password);
  await expectHeading(page, msg('en', 'ui.home.title'));
  for (const locale of ['en', 'de']) {
    if (locale !== 'en') await chooseLanguage(page, locale);
    for (const [label, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
      await page.setViewportSize(viewport);
      const check = async (name) => {
        if (locale !== 'en') await assertNoEnglish(page, locale);
        await assertFitsWidth(page);
        await page.screenshot({ path: path.join(RESULTS, `${locale}-${label}-${name}.png`), fullPage: true });
      };
      await openNav(page, locale, 'ui.nav.home');
      await expectHeading(page, msg(locale, 'ui.home.title'));
      await page.getByTestId('home-recent').filter({ hasText: TRACKS[0] }).waitFor();
      await page.getByTestId('home-continue').filter({ hasText: MOVIE }).waitFor();
      await check('home-data');

      await openNav(page, locale, 'ui.nav.library');
      await page.getByRole('link', { name: msg(locale, 'ui.library_kind.albums'), exact: true }).click();
      const card = await albumCard(page);
      await check('library-albums');
      await page.getByRole('link', { name: msg(locale, 'ui.library_kind.tracks'), exact: true }).click();
      await page.getByTestId('library-list').locator('tr', { hasText: TRACKS[2] }).waitFor();
      await check('library-tracks');
      await page.getByRole('link', { name: msg(locale, 'ui.library_kind.albums'), exact: true }).click();
      await (await albumCard(page)).click();
      void card;
      await expectHeading(page, ALBUM);
      await check('album');
      await page.getByTestId('play-album').click();
      await page.locator('[data-testid=mini-player][data-state=playing]').waitFor();
      await page.getByTestId('mini-next').click();
      await page.getByTestId('mini-title').filter({ hasText: TRACKS[1] }).waitFor();
      await page.locator('[data-testid=mini-player][data-state=playing]').waitFor();
      await check('mini-player');
      await page.getByTestId('mini-close').click();

      await page.goto(`${baseUrl}/library/movies/${movieId}`);
      await expectHeading(page, MOVIE);
      await page.getByTestId('resume').waitFor();
      await check('movie');
      await page.getByTestId('resume').click();
      await page.waitForFunction(() => {
        const v = document.querySelector('[data-testid=video-player]');
        return v && !v.paused;
      });
      await check('player');
      await page.getByTestId('video-player').evaluate((v) => v.pause());
    }
    await page.setViewportSize(DESKTOP);
  }
  await chooseLanguage(page, 'en');
  await page.context().close();
});
