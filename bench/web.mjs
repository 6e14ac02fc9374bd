// First load of the web app on an emulated slow 4G link, in Debian's Chromium (playwright-core,
// as the e2e tests): bytes over the wire and time until the page is drawn. Run by
// bench/web.py, which starts `revenge serve`; not a test.
//
// "Slow 4G" is Lighthouse's mobile preset (150 ms round trip, 1.6 Mbit/s down, 750 kbit/s up),
// applied with the DevTools protocol. Each page is loaded cold (a fresh browser context:
// nothing cached) and then warm (the same page again). The baseline is the same loads with
// `Accept-Encoding: identity` (what the app sent before compression): its bytes and times are
// printed beside, with the ratio.
//
// usage: node bench/web.mjs '{"baseUrl": "...", "username": "...", "password": "...", "runs": 5,
//                             "pages": ["/admin/analytics", "/"]}'
// Prints one JSON line: {"<page>": {"compressed": {...}, "identity": {...}}} (bytes, ms).
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// playwright-core is installed with the web UI's packages (web/node_modules).
const require = createRequire(path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'web', 'package.json'));
const { chromium } = require('playwright-core');

const { baseUrl, username, password, runs = 5, pages = ['/admin/analytics', '/'] } = JSON.parse(process.argv[2]);
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const SLOW_4G = {
  offline: false,
  latency: 150,
  downloadThroughput: (1.6 * 1024 * 1024) / 8,
  uploadThroughput: (750 * 1024) / 8,
};

/**
 * Installed before the app's own scripts: on every animation frame until it holds, checks that
 * the page has its heading, nothing is still loading (no `aria-busy` element, no skeleton) and
 * every chart canvas in it has pixels drawn; records `performance.now()`.
 */
function watchForDrawn() {
  const drawn = (canvas) => {
    if (!canvas.width || !canvas.height) return false;
    const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) return true;
    return false;
  };
  const check = () => {
    const main = document.querySelector('main');
    const ready =
      main &&
      main.querySelector('h1') &&
      !main.querySelector('[aria-busy=true], .skeleton') &&
      [...main.querySelectorAll('canvas')].every(drawn);
    if (ready) window.__drawnAt = performance.now();
    else requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
}

async function login() {
  const response = await fetch(`${baseUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (!response.ok) throw new Error(`login failed: ${response.status} ${await response.text()}`);
  return response.json();
}

/** One cold and one warm load of `route`; bytes are what crossed the (emulated) wire. */
async function loadTwice(browser, session, route, encoding) {
  const context = await browser.newContext({ locale: 'en-US', viewport: { width: 390, height: 844 } });
  await context.addInitScript(
    ([stored]) => {
      if (!localStorage.getItem('revenge.session')) localStorage.setItem('revenge.session', stored);
      localStorage.setItem('revenge.locale', JSON.stringify({ code: 'en', explicit: true }));
    },
    [session],
  );
  await context.addInitScript(watchForDrawn);
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', SLOW_4G);
  if (encoding) await cdp.send('Network.setExtraHTTPHeaders', { headers: { 'Accept-Encoding': encoding } });
  let bytes = 0;
  cdp.on('Network.loadingFinished', (event) => {
    bytes += event.encodedDataLength;
  });
  const result = [];
  for (let i = 0; i < 2; i++) {
    bytes = 0;
    await page.goto(`${baseUrl}${route}`);
    await page.waitForFunction(() => window.__drawnAt, null, { timeout: 60_000, polling: 50 });
    // Requests still in flight when the page is drawn (a lazy image) count to the load; the
    // notification stream never ends, so "network idle" never comes: a short settle instead.
    await page.waitForTimeout(1000);
    result.push({ ms: await page.evaluate(() => window.__drawnAt), bytes });
  }
  await context.close();
  return { cold: result[0], warm: result[1] };
}

const pair = await login();
const session = JSON.stringify({ access: pair.access_token, refresh: pair.refresh_token, user: pair.user });
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
const out = {};
try {
  for (const route of pages) {
    out[route] = {};
    for (const [label, encoding] of [['compressed', null], ['identity', 'identity']]) {
      const loads = [];
      for (let run = 0; run < runs; run++) loads.push(await loadTwice(browser, session, route, encoding));
      out[route][label] = loads;
    }
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
