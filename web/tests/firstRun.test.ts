import { describe, expect, it } from 'vitest';
import { CHANGE_PASSWORD, dismissFirstSteps, offerFirstSteps, passwordGate, safeNext } from '../src/lib/firstRun';
import { memoryStorage } from '../src/lib/storage';

const at = (path: string, query = '') => ({ path, query: new URLSearchParams(query) });

describe('the password gate', () => {
  it('sends a user with a generated password to the password page, remembering the way', () => {
    expect(passwordGate({ must_change_password: true }, at('/admin/users', 'page=2'))).toBe(
      `${CHANGE_PASSWORD}?next=${encodeURIComponent('/admin/users?page=2')}`,
    );
    expect(passwordGate({ must_change_password: true }, at('/history'))).toBe(
      `${CHANGE_PASSWORD}?next=%2Fhistory`,
    );
  });

  it('leaves everyone else, the password page itself and exempt pages alone', () => {
    expect(passwordGate(null, at('/history'))).toBeNull();
    expect(passwordGate({ must_change_password: false }, at('/history'))).toBeNull();
    expect(passwordGate({ must_change_password: true }, at(CHANGE_PASSWORD, 'next=%2F'))).toBeNull();
    expect(passwordGate({ must_change_password: true }, at('/login'), ['/login'])).toBeNull();
  });
});

describe('where to go next', () => {
  it('keeps paths of this app and refuses other sites', () => {
    expect(safeNext('/stats?x=1', '/home')).toBe('/stats?x=1');
    for (const bad of [null, '', 'https://evil.example', '//evil.example', '/\\evil.example', `${CHANGE_PASSWORD}?next=/`]) {
      expect(safeNext(bad, '/home')).toBe('/home');
    }
  });
});

describe('the first steps', () => {
  it('are offered to an admin of a server without libraries until dismissed', () => {
    const storage = memoryStorage();
    expect(offerFirstSteps({ is_admin: true }, 0, storage)).toBe(true);
    expect(offerFirstSteps({ is_admin: false }, 0, storage)).toBe(false);
    expect(offerFirstSteps({ is_admin: true }, 2, storage)).toBe(false);
    dismissFirstSteps(storage);
    expect(offerFirstSteps({ is_admin: true }, 0, storage)).toBe(false);
  });
});
