// Times the admin analytics dashboard's first load in Debian's Chromium (playwright-core, as
// the e2e tests): from navigation start to the page having rendered everything it shows on
// arrival. Run by bench/dashboard.py; not a test (its name keeps `node --test e2e/` away).
//
// usage: node e2e/dashboard-timing.mjs '{"baseUrl": "...", "username": "...", "password": "...", "runs": 5}'
// Prints one JSON line: {cold: [...], warm: [...], api: [...], bars: n} (milliseconds).
import { chromium } from 'playwright-core';

const { baseUrl, username, password, runs = 5, trace = false } = JSON.parse(process.argv[2]);
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/**
 * Installed before the app's own scripts: on every animation frame until it holds, checks that
 * the overview cards, the top/trending lists and the per-user table are in the DOM and that both
 * chart canvases have pixels drawn; records `performance.now()` (ms since navigation start).
 */
function watchForDashboard() {
  const drawn = (testid) => {
    const canvas = document.querySelector(`[data-testid=${testid}] canvas`);
    if (!canvas || !canvas.width || !canvas.height) return false;
    const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) return true;
    return false;
  };
  const ready = () =>
    document.querySelector('[data-testid=analytics-overview]') &&
    document.querySelector('[data-testid=analytics-popular]') &&
    document.querySelector('[data-testid=usage-table]') &&
    drawn('chart-hours') &&
    drawn('chart-weekdays');
  // When each part first showed up (for --trace).
  window.__dashboardParts = {};
  const seen = (name, present) => {
    if (present && !(name in window.__dashboardParts)) window.__dashboardParts[name] = Math.round(performance.now());
    return present;
  };
  const check = () => {
    seen('app mounted', document.querySelector('main h1'));
    seen('overview', document.querySelector('[data-testid=analytics-overview]'));
    seen('popular', document.querySelector('[data-testid=analytics-popular]'));
    seen('users', document.querySelector('[data-testid=usage-table]'));
    if (ready()) window.__dashboardReady = performance.now();
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

/** One navigation to the dashboard; returns the time to "rendered" and the slowest API call. */
async function load(page) {
  await page.goto(`${baseUrl}/admin/analytics`);
  await page.waitForFunction(() => window.__dashboardReady, null, { timeout: 60_000, polling: 50 });
  return page.evaluate(() => {
    const api = performance
      .getEntriesByType('resource')
      .filter((e) => e.name.includes('/api/v1/admin/analytics/'))
      .map((e) => e.responseEnd - e.startTime);
    const bars = [...document.querySelectorAll('[data-testid=chart-hours] tbody td')]
      .reduce((sum, td) => sum + Number(td.textContent.replace(/[^0-9]/g, '')), 0);
    // Where the time went: every request of the load, in the order it started.
    const waterfall = [
      { name: 'document', start: 0, end: performance.getEntriesByType('navigation')[0]?.responseEnd ?? 0 },
      ...performance.getEntriesByType('resource').map((e) => ({ name: new URL(e.name).pathname, start: e.startTime, end: e.responseEnd })),
      ...Object.entries(window.__dashboardParts).map(([name, at]) => ({ name: `(${name})`, start: at, end: at })),
    ]
      .map((e) => ({ ...e, start: Math.round(e.start), end: Math.round(e.end) }))
      .sort((a, b) => a.start - b.start);
    return { ready: window.__dashboardReady, api: Math.max(0, ...api), bars, waterfall };
  });
}

const pair = await login();
const session = JSON.stringify({ access: pair.access_token, refresh: pair.refresh_token, user: pair.user });
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
const result = { cold: [], warm: [], api: [], bars: 0, waterfall: null };
try {
  for (let run = 0; run < runs; run++) {
    // Cold: a fresh context, so nothing is cached (HTML, scripts, catalogue all fetched).
    const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 860 } });
    await context.addInitScript(
      ([stored]) => {
        if (!localStorage.getItem('revenge.session')) localStorage.setItem('revenge.session', stored);
        localStorage.setItem('revenge.locale', JSON.stringify({ code: 'en', explicit: true }));
      },
      [session],
    );
    await context.addInitScript(watchForDashboard);
    const page = await context.newPage();
    const cold = await load(page);
    // Warm: the same page loaded again (browser cache and server caches warm).
    const warm = await load(page);
    result.cold.push(cold.ready);
    result.warm.push(warm.ready);
    result.api.push(cold.api, warm.api);
    result.bars = warm.bars;
    if (trace) result.waterfall = cold.waterfall; // the last cold load's
    await context.close();
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
