import { describe, expect, it } from 'vitest';
import { createApi, unwrap, type Tokens } from '../src/lib/api/client';
import { ApiError, NetworkError } from '../src/lib/api/problem';
import { fakeServer, json, problem, tokenPair, userRead } from './helpers';

function setup(routes: Parameters<typeof fakeServer>[0], tokens: Tokens = { access: 'access-1', refresh: 'refresh-1' }) {
  const server = fakeServer(routes);
  const state = { tokens, locale: 'de', renewed: [] as unknown[] };
  const { client } = createApi({
    baseUrl: 'http://app.test',
    locale: () => state.locale,
    tokens: () => state.tokens,
    onTokens: (pair) => {
      state.renewed.push(pair);
      state.tokens = pair ? { access: pair.access_token, refresh: pair.refresh_token } : { access: null, refresh: null };
    },
    fetch: server.fetch,
  });
  return { client, server, state };
}

describe('every request', () => {
  it('carries the UI language and the bearer token', async () => {
    const { client, server, state } = setup({ 'GET /api/v1/users/me': () => json(userRead()) });
    await unwrap(client.GET('/api/v1/users/me'));
    state.locale = 'fr';
    await unwrap(client.GET('/api/v1/users/me'));
    expect(server.seen.map((r) => r.headers.get('accept-language'))).toEqual(['de', 'fr']);
    expect(server.seen[0].headers.get('authorization')).toBe('Bearer access-1');
  });
});

describe('an expired access token', () => {
  it('is renewed once with the refresh token and the request retried, body intact', async () => {
    const { client, server, state } = setup({
      'PATCH /api/v1/users/me': (req) =>
        req.headers.get('authorization') === 'Bearer access-2'
          ? json(userRead({ display_name: (req.body as { display_name: string }).display_name }))
          : problem(401, 'auth.invalid_token', 'Token abgelaufen'),
      'POST /api/v1/auth/refresh': (req) =>
        (req.body as { refresh_token: string }).refresh_token === 'refresh-1'
          ? json(tokenPair(userRead(), 2))
          : problem(401, 'auth.invalid_refresh_token', 'Nein'),
    });
    const user = await unwrap(client.PATCH('/api/v1/users/me', { body: { display_name: 'Anna' } }));
    expect(user.display_name).toBe('Anna');
    expect(state.tokens).toEqual({ access: 'access-2', refresh: 'refresh-2' });
    expect(server.seen.map((r) => `${r.method} ${r.path}`)).toEqual([
      'PATCH /api/v1/users/me',
      'POST /api/v1/auth/refresh',
      'PATCH /api/v1/users/me',
    ]);
  });

  it('ends the login when the refresh token is refused too', async () => {
    const { client, state } = setup({
      'GET /api/v1/users/me': () => problem(401, 'auth.invalid_token', 'Sitzung abgelaufen'),
      'POST /api/v1/auth/refresh': () => problem(401, 'auth.invalid_refresh_token', 'Abgelaufen'),
    });
    const error = await unwrap(client.GET('/api/v1/users/me')).catch((e) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(401);
    expect(state.renewed).toEqual([null]);
    expect(state.tokens.access).toBeNull();
  });

  it('is renewed only once when several requests fail together', async () => {
    let refreshes = 0;
    const { client } = setup({
      'GET /api/v1/users/me': (req) =>
        req.headers.get('authorization') === 'Bearer access-2' ? json(userRead()) : problem(401, 'auth.invalid_token', 'x'),
      'POST /api/v1/auth/refresh': async () => {
        refreshes += 1;
        await new Promise((r) => setTimeout(r, 10));
        return json(tokenPair(userRead(), 2));
      },
    });
    await Promise.all([unwrap(client.GET('/api/v1/users/me')), unwrap(client.GET('/api/v1/users/me'))]);
    expect(refreshes).toBe(1);
  });

  it('is not retried for a failed login (wrong password stays a 401 with its message)', async () => {
    const { client, server } = setup({
      'POST /api/v1/auth/login': () => problem(401, 'auth.invalid_credentials', 'Anmeldung fehlgeschlagen'),
    });
    const error = await unwrap(client.POST('/api/v1/auth/login', { body: { username: 'a', password: 'b' } })).catch((e) => e);
    expect(error.problem.title).toBe('Anmeldung fehlgeschlagen');
    expect(server.seen).toHaveLength(1);
  });
});

describe('errors', () => {
  it('carry the problem+json body', async () => {
    const { client } = setup({
      'POST /api/v1/admin/users': () => problem(409, 'users.username_taken', 'Benutzername vergeben', 'Der Benutzername „anna“ ist bereits vergeben.'),
    });
    const error = await unwrap(
      client.POST('/api/v1/admin/users', { body: { username: 'anna', password: 'xxxxxxxx', is_admin: false, timezone: 'UTC' } }),
    ).catch((e) => e);
    expect(error.code).toBe('users.username_taken');
    expect(error.problem.detail).toContain('anna');
  });

  it('become a NetworkError when the server cannot be reached', async () => {
    const { createApi: make } = await import('../src/lib/api/client');
    const { client } = make({
      baseUrl: 'http://app.test',
      locale: () => 'en',
      tokens: () => ({ access: null, refresh: null }),
      onTokens: () => undefined,
      fetch: () => Promise.reject(new TypeError('fetch failed')),
    });
    await expect(client.GET('/api/v1/i18n/locales')).rejects.toBeInstanceOf(NetworkError);
  });
});
