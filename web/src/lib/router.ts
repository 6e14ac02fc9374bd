/**
 * A small history-API router: paths like `/s/:token`, same-origin link clicks intercepted,
 * back/forward honoured. The route table lives in `routes.ts`.
 */
import { writable, type Readable } from 'svelte/store';

export interface Location {
  path: string;
  query: URLSearchParams;
}

export type Params = Record<string, string>;

/** `/admin/users/:id` against `/admin/users/42` → `{id: "42"}`; null when it does not match. */
export function matchPath(pattern: string, path: string): Params | null {
  const want = pattern.split('/').filter(Boolean);
  const have = path.split('/').filter(Boolean);
  if (want.length !== have.length) return null;
  const params: Params = {};
  for (let i = 0; i < want.length; i++) {
    if (want[i].startsWith(':')) params[want[i].slice(1)] = decodeURIComponent(have[i]);
    else if (want[i] !== have[i]) return null;
  }
  return params;
}

function readLocation(): Location {
  if (typeof window === 'undefined') return { path: '/', query: new URLSearchParams() };
  return { path: window.location.pathname, query: new URLSearchParams(window.location.search) };
}

const current = writable<Location>(readLocation());
export const location: Readable<Location> = { subscribe: current.subscribe };

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (options.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  current.set(readLocation());
}

/** Call once at start: intercepts plain left-clicks on same-origin links. */
export function startRouter(): () => void {
  const onPop = () => current.set(readLocation());
  const onClick = (event: MouseEvent) => {
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const anchor = (event.target as Element | null)?.closest?.('a');
    if (!anchor || anchor.target || anchor.hasAttribute('download')) return;
    const url = new URL(anchor.href, window.location.href);
    if (url.origin !== window.location.origin || url.pathname.startsWith('/api/')) return;
    event.preventDefault();
    navigate(url.pathname + url.search);
  };
  window.addEventListener('popstate', onPop);
  document.addEventListener('click', onClick);
  return () => {
    window.removeEventListener('popstate', onPop);
    document.removeEventListener('click', onClick);
  };
}
