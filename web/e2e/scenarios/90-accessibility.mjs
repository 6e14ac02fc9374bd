// axe-core on every page, in light and dark mode, on a desktop and a phone: no serious or
// critical violation (contrast, names, landmarks, headings in order, scroll regions reachable
// by keyboard). Runs after the other scenarios, so the pages show their data, not just empty
// states.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ADMIN, DESKTOP, PHONE, RESULTS, api, apiLogin, baseUrl, browser, loginThroughUi, seeded } from '../harness.mjs';

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core/axe.min.js');

// Every page a signed-in admin can open, by address (the tour in app.e2e.test.mjs goes through
// the navigation; here every page counts, including those without a menu entry).
const ROUTES = [
  '/',
  '/history',
  '/library/movies',
  '/library/series',
  '/library/artists',
  '/library/albums',
  '/library/tracks',
  '/stats',
  '/requests',
  '/shares',
  '/scrobbling',
  '/notifications',
  '/profile',
  '/admin/activity',
  '/admin/users',
  '/admin/jobs',
  '/admin/libraries',
  '/admin/requests',
  '/admin/downloaders',
  '/admin/duplicates',
  '/admin/analytics',
];

/** Waits until the page has its heading and nothing says it is still loading. */
async function settled(page) {
  try {
    await page.locator('main h1').first().waitFor();
  } catch (error) {
    throw new Error(`${page.url()} never showed its heading`, { cause: error });
  }
  await page
    .waitForFunction(() => !document.querySelector('main [aria-busy=true], main .skeleton'), null, { timeout: 10_000 })
    .catch(() => undefined); // a page that keeps a spinner is still checked as it is
}

/** Serious and critical findings of axe-core on what the page shows now. */
async function violations(page) {
  await page.addScriptTag({ path: AXE });
  const found = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const result = await axe.run(document);
    return {
      rules: result.passes.length + result.violations.length,
      serious: result.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) })),
    };
  });
  // axe really looked: a page it could not check would pass every test vacuously.
  assert.ok(found.rules > 10, `axe-core checked only ${found.rules} rules on ${page.url()}`);
  return found.serious;
}

async function signedIn(colorScheme, viewport) {
  const context = await browser.newContext({ locale: 'en-US', viewport, colorScheme, timezoneId: 'Europe/Berlin' });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  await page.goto(`${baseUrl}/login`);
  await page.locator('input[name=username]').waitFor();
  // axe on the login page too, before signing in.
  const login = await violations(page);
  await loginThroughUi(page, ADMIN.username, ADMIN.password);
  await page.getByTestId('user-menu').waitFor(); // signed in (the login page has a heading too)
  return { page, login };
}

test('accessibility: no serious or critical axe-core finding on any page, light and dark, desktop and phone', async () => {
  // A share link, so the public share page is checked as well.
  const admin = await apiLogin(ADMIN.username, ADMIN.password);
  const share = await api('POST', '/users/me/grants', {
    token: admin.access_token,
    body: { media_type: 'movie', media_id: (await seeded).clip_id },
  });
  assert.equal(share.status, 201, JSON.stringify(share.body));
  const shareUrl = share.body.url;

  const findings = [];
  for (const colorScheme of ['light', 'dark']) {
    for (const [label, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
      const { page, login } = await signedIn(colorScheme, viewport);
      if (login.length) findings.push({ route: '/login', colorScheme, label, found: login });
      for (const route of ROUTES) {
        await page.goto(`${baseUrl}${route}`);
        await settled(page);
        assert.equal(new URL(page.url()).pathname, route, 'still signed in, on the page asked for');
        const found = await violations(page);
        if (found.length) {
          findings.push({ route, colorScheme, label, found });
          await page.screenshot({
            path: path.join(RESULTS, `a11y-${colorScheme}-${label}${route === '/' ? '-home' : route.replaceAll('/', '-')}.png`),
            fullPage: true,
          });
        }
      }
      await page.goto(`${baseUrl}${new URL(shareUrl, baseUrl).pathname}`);
      await settled(page);
      const onShare = await violations(page);
      if (onShare.length) findings.push({ route: 'share page', colorScheme, label, found: onShare });
      await page.context().close();
    }
  }
  assert.deepEqual(findings, [], JSON.stringify(findings, null, 1));
});
