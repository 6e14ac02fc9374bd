/**
 * Every page of the app. Adding a page = one file in src/pages/ + one entry here; the entry's
 * `nav` puts it in the header (section "main" or "admin"), `admin` limits it to admins and
 * `public` lets anonymous visitors in (e.g. a future share page at `/s/:token`).
 */
import type { Component } from 'svelte';
import { matchPath, type Params } from './lib/router';
import NotificationBadge from './components/NotificationBadge.svelte';
import PasswordGate from './components/PasswordGate.svelte';
import { CHANGE_PASSWORD, FIRST_STEPS } from './lib/firstRun';

export interface RouteDef {
  path: string;
  // Pages may take `params` (path parameters) or nothing at all.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  page: () => Promise<{ default: Component<any> }>;
  /** Catalogue key of the page title (the <h1> and the document title). */
  title: string;
  nav?: { section: 'main' | 'admin'; label: string };
  admin?: boolean;
  public?: boolean;
}

export const HOME = '/';
export const LOGIN = '/login';

export const routes: RouteDef[] = [
  { path: LOGIN, page: () => import('./pages/Login.svelte'), title: 'ui.login.title', public: true },
  {
    path: HOME,
    page: () => import('./pages/library/Home.svelte'),
    title: 'ui.home.title',
    nav: { section: 'main', label: 'ui.nav.home' },
  },
  {
    path: '/library',
    page: () => import('./pages/library/Browse.svelte'),
    title: 'ui.library.title',
    nav: { section: 'main', label: 'ui.nav.library' },
  },
  { path: '/library/:kind', page: () => import('./pages/library/Browse.svelte'), title: 'ui.library.title' },
  { path: '/library/:kind/:id', page: () => import('./pages/library/Item.svelte'), title: 'ui.library.title' },
  { path: '/watch/:media_type/:id', page: () => import('./pages/library/Watch.svelte'), title: 'ui.player.title' },
  {
    path: '/history',
    page: () => import('./pages/History.svelte'),
    title: 'ui.history.title',
    nav: { section: 'main', label: 'ui.nav.history' },
  },
  {
    path: '/notifications',
    page: () => import('./pages/Notifications.svelte'),
    title: 'ui.notifications.title',
  },
  {
    path: '/shares',
    page: () => import('./pages/Shares.svelte'),
    title: 'ui.shares.title',
    nav: { section: 'main', label: 'ui.nav.shares' },
  },
  // The public share page (no login). `/share/:token` is the form the API's `url` uses.
  { path: '/s/:token', page: () => import('./pages/SharePage.svelte'), title: 'ui.share_page.title', public: true },
  { path: '/share/:token', page: () => import('./pages/SharePage.svelte'), title: 'ui.share_page.title', public: true },
  {
    path: '/requests',
    page: () => import('./pages/Requests.svelte'),
    title: 'ui.requests.title',
    nav: { section: 'main', label: 'ui.nav.requests' },
  },
  {
    path: '/scrobbling',
    page: () => import('./pages/Scrobbling.svelte'),
    title: 'ui.scrobbling.title',
    nav: { section: 'main', label: 'ui.nav.scrobbling' },
  },
  // Where Trakt / Last.fm send the browser back after authorisation (the API's redirect_uri).
  {
    path: '/scrobbling/callback/:provider',
    page: () => import('./pages/ScrobblingCallback.svelte'),
    title: 'ui.scrobbling.title',
  },
  {
    path: '/stats',
    page: () => import('./pages/Stats.svelte'),
    title: 'ui.stats.title',
    nav: { section: 'main', label: 'ui.nav.stats' },
  },
  { path: '/profile', page: () => import('./pages/Profile.svelte'), title: 'ui.profile.title' },
  // The first run: a generated password is replaced first, then an admin gets the first steps.
  { path: CHANGE_PASSWORD, page: () => import('./pages/ChangePassword.svelte'), title: 'ui.change_password.title' },
  { path: FIRST_STEPS, page: () => import('./pages/FirstSteps.svelte'), title: 'ui.first_steps.title', admin: true },
  {
    path: '/admin/activity',
    page: () => import('./pages/admin/Activity.svelte'),
    title: 'ui.activity.title',
    nav: { section: 'admin', label: 'ui.nav.admin_activity' },
    admin: true,
  },
  {
    path: '/admin/users',
    page: () => import('./pages/admin/Users.svelte'),
    title: 'ui.admin_users.title',
    nav: { section: 'admin', label: 'ui.nav.admin_users' },
    admin: true,
  },
  {
    path: '/admin/libraries',
    page: () => import('./pages/admin/Libraries.svelte'),
    title: 'ui.libraries.title',
    nav: { section: 'admin', label: 'ui.nav.admin_libraries' },
    admin: true,
  },
  {
    path: '/admin/downloaders',
    page: () => import('./pages/admin/Downloaders.svelte'),
    title: 'ui.downloaders.title',
    nav: { section: 'admin', label: 'ui.nav.admin_downloaders' },
    admin: true,
  },
  {
    path: '/admin/requests',
    page: () => import('./pages/admin/Requests.svelte'),
    title: 'ui.admin_requests.title',
    nav: { section: 'admin', label: 'ui.nav.admin_requests' },
    admin: true,
  },
  {
    path: '/admin/duplicates',
    page: () => import('./pages/admin/Duplicates.svelte'),
    title: 'ui.duplicates.title',
    nav: { section: 'admin', label: 'ui.nav.admin_duplicates' },
    admin: true,
  },
  {
    path: '/admin/analytics',
    page: () => import('./pages/admin/Analytics.svelte'),
    title: 'ui.analytics.title',
    nav: { section: 'admin', label: 'ui.nav.admin_analytics' },
    admin: true,
  },
  {
    path: '/admin/analytics/:media_type/:media_id',
    page: () => import('./pages/admin/MediaAnalytics.svelte'),
    title: 'ui.media_analytics.title',
    admin: true,
  },
  {
    path: '/admin/jobs',
    page: () => import('./pages/admin/Jobs.svelte'),
    title: 'ui.admin_jobs.title',
    nav: { section: 'admin', label: 'ui.nav.admin_jobs' },
    admin: true,
  },
];

/**
 * Small components shown in the header next to the language switcher for logged-in users
 * (e.g. the unread-notifications badge): one import and one entry each.
 */
export const headerWidgets: Component[] = [NotificationBadge, PasswordGate];

export const NOT_FOUND: RouteDef = {
  path: '*',
  page: () => import('./pages/NotFound.svelte'),
  title: 'ui.not_found.title',
  public: true,
};

export function resolveRoute(path: string): { route: RouteDef; params: Params } {
  if (path === '/' || path === '') return { route: routes.find((r) => r.path === HOME)!, params: {} };
  for (const route of routes) {
    const params = matchPath(route.path, path);
    if (params) return { route, params };
  }
  return { route: NOT_FOUND, params: {} };
}
