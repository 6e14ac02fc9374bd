import { describe, expect, it } from 'vitest';
import { get } from 'svelte/store';
import { createSession } from '../src/lib/stores/session';
import { memoryStorage } from '../src/lib/storage';
import type { LocaleCode } from '../src/lib/i18n/locales';
import { fakeServer, json, problem, tokenPair, userRead } from './helpers';

function setup(routes: Parameters<typeof fakeServer>[0], uiLocale: LocaleCode = 'en', storage = memoryStorage()) {
  const server = fakeServer(routes);
  const i18n = {
    code: uiLocale,
    current: () => i18n.code,
    set: async (code: LocaleCode) => {
      i18n.code = code;
    },
  };
  const session = createSession({ storage, i18n, fetch: server.fetch, baseUrl: 'http://app.test' });
  return { session, server, i18n, storage };
}

const patchMe = (req: { body: unknown }) => json(userRead(req.body as Record<string, unknown>));

describe('login', () => {
  it('keeps the user and tokens across a reload of the page', async () => {
    const storage = memoryStorage();
    const first = setup({ 'POST /api/v1/auth/login': () => json(tokenPair(userRead({ locale: 'en' }))) }, 'en', storage);
    await first.session.login('anna', 'pw');
    const again = setup({}, 'en', storage);
    expect(get(again.session.user)?.username).toBe('anna');
  });

  it("switches the UI to the profile's language", async () => {
    const { session, i18n, server } = setup(
      { 'POST /api/v1/auth/login': () => json(tokenPair(userRead({ locale: 'de' }))) },
      'fr',
    );
    await session.login('anna', 'pw');
    expect(i18n.code).toBe('de');
    expect(server.seen.filter((r) => r.method === 'PATCH')).toHaveLength(0);
  });

  it('saves the language picked before login to a profile without one', async () => {
    const { session, server } = setup(
      {
        'POST /api/v1/auth/login': () => json(tokenPair(userRead({ locale: null }))),
        'PATCH /api/v1/users/me': patchMe,
      },
      'en',
    );
    await session.chooseLocale('es');
    await session.login('anna', 'pw');
    const patch = server.seen.find((r) => r.method === 'PATCH');
    expect(patch?.body).toEqual({ locale: 'es' });
    expect(get(session.user)?.locale).toBe('es');
  });

  it('surfaces the server error and stays logged out', async () => {
    const { session } = setup({
      'POST /api/v1/auth/login': () => problem(401, 'auth.invalid_credentials', 'Anmeldung fehlgeschlagen'),
    });
    await expect(session.login('anna', 'wrong')).rejects.toMatchObject({ status: 401 });
    expect(get(session.user)).toBeNull();
  });
});

describe('the language switcher when logged in', () => {
  it('changes the UI and saves the choice to the profile', async () => {
    const { session, server, i18n } = setup({
      'POST /api/v1/auth/login': () => json(tokenPair(userRead({ locale: 'en' }))),
      'PATCH /api/v1/users/me': patchMe,
    });
    await session.login('anna', 'pw');
    await session.chooseLocale('fr');
    expect(i18n.code).toBe('fr');
    expect(server.seen.at(-1)).toMatchObject({ method: 'PATCH', body: { locale: 'fr' } });
    expect(server.seen.at(-1)?.headers.get('accept-language')).toBe('fr');
  });
});

describe('start-up and logout', () => {
  it("reload picks up a language changed on another device", async () => {
    const storage = memoryStorage();
    const before = setup({ 'POST /api/v1/auth/login': () => json(tokenPair(userRead({ locale: 'en' }))) }, 'en', storage);
    await before.session.login('anna', 'pw');
    const after = setup({ 'GET /api/v1/users/me': () => json(userRead({ locale: 'fr' })) }, 'en', storage);
    await after.session.reload();
    expect(after.i18n.code).toBe('fr');
  });

  it('logout ends the session on the server and forgets it here', async () => {
    const { session, server, storage } = setup({
      'POST /api/v1/auth/login': () => json(tokenPair(userRead())),
      'POST /api/v1/auth/logout': () => new Response(null, { status: 204 }),
    });
    await session.login('anna', 'pw');
    await session.logout();
    expect(server.seen.at(-1)?.path).toBe('/api/v1/auth/logout');
    expect(get(session.user)).toBeNull();
    expect(storage.getItem('revenge.session')).toBeNull();
  });

  it("uses the user's timezone for dates", async () => {
    const { session } = setup({ 'POST /api/v1/auth/login': () => json(tokenPair(userRead({ timezone: 'Asia/Tokyo' }))) });
    await session.login('anna', 'pw');
    expect(get(session.timeZone)).toBe('Asia/Tokyo');
  });
});
