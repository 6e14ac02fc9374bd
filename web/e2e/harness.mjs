// The end-to-end harness: a real `revenge serve` on an embedded PostgreSQL in a temp data dir, driven by
// playwright-core in Debian's Chromium (no browser download). Run with `npm run e2e`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const WEB = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ROOT = path.resolve(WEB, '..');
export const RESULTS = path.join(WEB, 'test-results');
export const UV = process.env.REVENGE_UV || 'uv';
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const LOCALES = ['en', 'de', 'es', 'fr'];
export const ADMIN = { username: 'admin', password: 'e2e-admin-password' };
export const DESKTOP = { width: 1280, height: 860 };
export const PHONE = { width: 390, height: 844 };
// Chromium on a machine without outside network: no background traffic, no first-run UI.
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // The players start on a click, but a test that reloads a page must not depend on it.
  '--autoplay-policy=no-user-gesture-required',
];

export const catalogues = Object.fromEntries(
  LOCALES.map((code) => [code, JSON.parse(readFileSync(path.join(ROOT, 'locales', `${code}.json`), 'utf8'))]),
);
/** A message from the same catalogue the server serves. */
export function msg(locale, key) {
  const value = key.split('.').reduce((node, part) => node?.[part], catalogues[locale]);
  assert.equal(typeof value, 'string', `missing ${locale}:${key}`);
  return value;
}
export function flatten(tree, prefix = '') {
  return Object.entries(tree).flatMap(([k, v]) =>
    typeof v === 'object' ? flatten(v, `${prefix}${k}.`) : [[`${prefix}${k}`, v]],
  );
}

export let dataDir;
export let server;
export let baseUrl;
export let browser;
export let seeded;
export let fakesProcess;
export let fakes; // URLs and credentials of tools/e2e_fakes.py (TMDB, ListenBrainz, Web Push)

export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

export async function waitReady(url, ms) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`revenge serve exited with ${server.exitCode}`);
    try {
      if ((await fetch(`${url}/readyz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('revenge serve did not become ready');
}

export async function api(method, route, { token, body, lang = 'en' } = {}) {
  const response = await fetch(`${baseUrl}/api/v1${route}`, {
    method,
    headers: {
      'Accept-Language': lang,
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...(body ? { 'Content-Type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

export async function apiLogin(username, password) {
  const { status, body } = await api('POST', '/auth/login', { body: { username, password } });
  assert.equal(status, 200, JSON.stringify(body));
  return body;
}

/** A finished play, reported the way a player does: start, then stop an hour later. */
export async function recordPlay(token, hoursAgo) {
  const movieId = (await seeded).movie_id;
  const start = new Date(Date.now() - hoursAgo * 3600_000);
  const stop = new Date(start.getTime() + 3600_000);
  const first = await api('POST', '/playback/events', {
    token,
    body: { media_type: 'movie', media_id: movieId, event: 'start', position_ms: 0, occurred_at: start.toISOString(), client: 'E2E', device: 'Chromium' },
  });
  assert.equal(first.status, 200, JSON.stringify(first.body));
  const last = await api('POST', '/playback/events', {
    token,
    body: { session_id: first.body.session_id, media_type: 'movie', media_id: movieId, event: 'stop', position_ms: 3600_000, occurred_at: stop.toISOString() },
  });
  assert.equal(last.body.counted, true, JSON.stringify(last.body));
}

/** The tests' fakes of outside services (tools/e2e_fakes.py); resolves with its JSON line. */
export function startFakes() {
  fakesProcess = spawn(UV, ['run', '--frozen', 'python', '-m', 'tools.e2e_fakes'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    fakesProcess.once('exit', (code) => reject(new Error(`tools/e2e_fakes.py exited with ${code}`)));
    fakesProcess.stdout.on('data', (chunk) => {
      out += chunk;
      const newline = out.indexOf('\n');
      if (newline !== -1) resolve(JSON.parse(out.slice(0, newline)));
    });
  });
}

before(async () => {
  mkdirSync(RESULTS, { recursive: true });
  dataDir = mkdtempSync(path.join(tmpdir(), 'revenge-e2e-'));
  fakes = await startFakes();
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  const env = {
    ...process.env,
    REVENGE_DATA_DIR: dataDir,
    REVENGE_PORT: String(port),
    REVENGE_HOST: '127.0.0.1',
    REVENGE_ADMIN_USERNAME: ADMIN.username,
    REVENGE_ADMIN_PASSWORD: ADMIN.password,
    REVENGE_WORKERS: '1',
    REVENGE_TMDB_API_URL: fakes.tmdb_api_url,
    REVENGE_TMDB_API_KEY: fakes.tmdb_api_key,
    REVENGE_LISTENBRAINZ_API_URL: fakes.listenbrainz_api_url,
    // The fakes (Web Push service included) listen on loopback, which the SSRF guard refuses.
    REVENGE_WEBHOOK_ALLOW_LIST: '127.0.0.1',
    // Tracks of a few seconds count as plays (the default wants more than 30 s), so the
    // library-and-player scenario can play one to the rule without waiting half a minute.
    REVENGE_PLAY_MUSIC_MIN_TRACK_MS: '5000',
  };
  delete env.REVENGE_DATABASE_URL; // always the embedded server in the temp dir
  const log = openSync(path.join(RESULTS, 'server.log'), 'w');
  server = spawn(UV, ['run', '--frozen', 'revenge', 'serve'], { cwd: ROOT, env, stdio: ['ignore', log, log] });
  [browser] = await Promise.all([
    chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS }),
    waitReady(baseUrl, 180_000),
  ]);
  // Library items have no UI yet: the seed script adds a movie to the running server's
  // database, in the background while the first test runs (only the history test needs it).
  seeded = new Promise((resolve, reject) => {
    execFile(UV, ['run', '--frozen', 'python', 'tools/e2e_seed.py'], { cwd: ROOT, env }, (error, stdout, stderr) =>
      error ? reject(new Error(`seed failed: ${stderr}`)) : resolve(JSON.parse(stdout.trim().split('\n').pop())),
    );
  });
  seeded.catch(() => undefined); // reported where it is awaited
});

after(async () => {
  await browser?.close();
  if (fakesProcess && fakesProcess.exitCode === null) {
    fakesProcess.removeAllListeners('exit');
    fakesProcess.kill('SIGTERM');
    await new Promise((resolve) => fakesProcess.once('exit', resolve));
  }
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await new Promise((resolve) => server.once('exit', resolve));
  }
  // The embedded PostgreSQL outlives `revenge serve` by design; stop the one we started.
  const pidFile = dataDir && path.join(dataDir, 'pg', 'postmaster.pid');
  if (pidFile && existsSync(pidFile)) {
    const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    try {
      process.kill(pid, 'SIGINT');
      for (let i = 0; i < 100 && existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 100));
    } catch {
      // already gone
    }
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

export async function newPage(browserLocale, viewport = DESKTOP) {
  const context = await browser.newContext({ locale: browserLocale, viewport, timezoneId: 'Europe/Berlin' });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  return page;
}

export async function heading(page) {
  return (await page.locator('main h1').first().textContent()).trim();
}

export async function expectHeading(page, text) {
  await page.locator('main h1', { hasText: text }).first().waitFor();
  assert.equal(await heading(page), text);
}

export async function loginThroughUi(page, username, password) {
  await page.locator('input[name=username]').fill(username);
  await page.locator('input[name=password]').fill(password);
  await page.locator('form button[type=submit]').click();
}

export async function chooseLanguage(page, code) {
  const switcher = page.getByTestId('language-switcher');
  await switcher.selectOption(code);
  // Done when the UI speaks it and the profile update has returned (the switcher is enabled again).
  await page.waitForFunction(
    (c) => document.documentElement.lang === c && !document.querySelector('[data-testid=language-switcher]').disabled,
    code,
  );
}

export function containsWords(text, phrase) {
  const escaped = phrase.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  // Whole words only: the German "Filtern" does not leak the English "Filter".
  return new RegExp(`(^|[^\\p{L}])${escaped}($|[^\\p{L}])`, 'u').test(text);
}

/** No UI string that has its own translation shows up in English. */
export async function assertNoEnglish(page, locale) {
  const text = await page.locator('body').innerText();
  const english = flatten(catalogues.en.ui);
  const translated = Object.fromEntries(flatten(catalogues[locale].ui));
  // A word the language itself uses is no sign of English (French "File d'attente" is not
  // the English "File").
  const ownWords = Object.values(translated).join('\n');
  const leaks = english
    .filter(([key, en]) => en.length >= 4 && !en.includes('{') && translated[key] !== en)
    .filter(([, en]) => containsWords(text, en) && !containsWords(ownWords, en))
    .map(([key, en]) => `${key}=${en}`);
  assert.deepEqual(leaks, [], `English text on a ${locale} page (${page.url()})`);
}

export async function assertFitsWidth(page) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `${page.url()} is ${overflow}px wider than the screen`);
}


/** Runs tools/e2e_seed.py with `args` against the running server's database. */
export function seedTool(...args) {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, REVENGE_DATA_DIR: dataDir };
    delete env.REVENGE_DATABASE_URL;
    execFile(UV, ['run', '--frozen', 'python', 'tools/e2e_seed.py', ...args], { cwd: ROOT, env }, (error, stdout, stderr) =>
      error ? reject(new Error(`seed tool failed: ${stderr}`)) : resolve(JSON.parse(stdout.trim().split('\n').pop())),
    );
  });
}

/** Polls the API until `check(body)` holds (the analytics rollups are written by a job). */
export async function eventually(route, token, check) {
  for (let i = 0; i < 60; i++) {
    const { status, body } = await api('GET', route, { token });
    if (status === 200 && check(body)) return body;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${route} never showed the expected data`);
}
