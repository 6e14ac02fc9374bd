import { describe, expect, it } from 'vitest';
import { matchPath } from '../src/lib/router';
import { HOME, NOT_FOUND, resolveRoute, routes } from '../src/routes';

describe('routes', () => {
  it('match paths with parameters', () => {
    expect(matchPath('/s/:token', '/s/abc%20d')).toEqual({ token: 'abc d' });
    expect(matchPath('/s/:token', '/s/abc/extra')).toBeNull();
    expect(matchPath('/admin/users', '/admin/users/')).toEqual({});
  });

  it('send / home and unknown paths to the not-found page', () => {
    expect(resolveRoute('/').route.path).toBe(HOME);
    expect(resolveRoute('/nope').route).toBe(NOT_FOUND);
  });

  it('limit admin pages to admins; only login and the share page are public', () => {
    expect(routes.filter((r) => r.path.startsWith('/admin')).every((r) => r.admin)).toBe(true);
    expect(routes.filter((r) => r.public).map((r) => r.path)).toEqual(['/login', '/s/:token', '/share/:token']);
  });
});
