/**
 * The first run: a password the server generated (the first admin's, an admin's reset) is
 * replaced before anything else; then an admin of a server without a library is offered the
 * first steps (add a library, connect a media server, invite people), until they dismiss it.
 */
import type { KeyValueStorage } from './storage';

export const CHANGE_PASSWORD = '/change-password';
export const FIRST_STEPS = '/first-steps';
const DISMISSED_KEY = 'revenge.first_steps_dismissed';

interface GateUser {
  must_change_password?: boolean;
  is_admin?: boolean;
}

interface Place {
  path: string;
  query: URLSearchParams;
}

/**
 * Where a signed-in user must go before anything else: the password page (remembering where
 * they were going), or null. `exempt` paths are left alone (the sign-in page moves on itself).
 */
export function passwordGate(user: GateUser | null, place: Place, exempt: string[] = []): string | null {
  if (!user?.must_change_password) return null;
  if (place.path === CHANGE_PASSWORD || exempt.includes(place.path)) return null;
  const query = place.query.toString();
  const next = place.path + (query ? `?${query}` : '');
  return `${CHANGE_PASSWORD}?next=${encodeURIComponent(next)}`;
}

/** A `?next=` target inside this app, else `fallback` (never another site: `//host`, `http:`). */
export function safeNext(next: string | null, fallback: string): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return fallback;
  if (next.startsWith(CHANGE_PASSWORD)) return fallback;
  return next;
}

/** After the new password: the first steps for an admin whose server has no library yet. */
export function offerFirstSteps(user: GateUser | null, libraries: number, storage: KeyValueStorage): boolean {
  return !!user?.is_admin && libraries === 0 && storage.getItem(DISMISSED_KEY) === null;
}

export function dismissFirstSteps(storage: KeyValueStorage): void {
  storage.setItem(DISMISSED_KEY, new Date().toISOString());
}
