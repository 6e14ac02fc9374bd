/**
 * Who is logged in, their tokens, and the language rules that depend on them.
 * A factory so tests can give it a fake fetch, memory storage and a fake i18n.
 */
import { derived, get, writable, type Readable } from 'svelte/store';
import { createApi, unwrap, type TokenPair, type Tokens, type User } from '../api/client';
import type { Schemas } from '../api/client';
import { readJson, writeJson, type KeyValueStorage } from '../storage';
import { localeAfterLogin, type LocaleCode, type StoredLocale } from '../i18n/locales';
import { browserTimeZone } from '../format';

const SESSION_KEY = 'revenge.session';
const LOCALE_KEY = 'revenge.locale';

interface StoredSession {
  access: string;
  refresh: string;
  user: User;
}

export interface I18nPort {
  current(): LocaleCode;
  set(code: LocaleCode): Promise<void>;
}

export interface SessionDeps {
  storage: KeyValueStorage;
  i18n: I18nPort;
  fetch?: (request: Request) => Promise<Response>;
  baseUrl?: string;
}

export function createSession(deps: SessionDeps) {
  const saved = readJson<StoredSession>(SESSION_KEY, deps.storage);
  const tokens = writable<Tokens>({ access: saved?.access ?? null, refresh: saved?.refresh ?? null });
  const user = writable<User | null>(saved?.user ?? null);

  function persist(): void {
    const t = get(tokens);
    const u = get(user);
    writeJson(
      SESSION_KEY,
      t.access && t.refresh && u ? { access: t.access, refresh: t.refresh, user: u } : null,
      deps.storage,
    );
  }

  function setSession(pair: TokenPair): void {
    tokens.set({ access: pair.access_token, refresh: pair.refresh_token });
    user.set(pair.user);
    persist();
  }

  function clearSession(): void {
    tokens.set({ access: null, refresh: null });
    user.set(null);
    persist();
  }

  const { client } = createApi({
    locale: () => deps.i18n.current(),
    tokens: () => get(tokens),
    onTokens: (pair) => (pair ? setSession(pair) : clearSession()),
    fetch: deps.fetch,
    baseUrl: deps.baseUrl,
  });

  function storedLocale(): StoredLocale | null {
    return readJson<StoredLocale>(LOCALE_KEY, deps.storage);
  }

  /** The profile's language wins; see `localeAfterLogin`. */
  async function applyProfileLocale(profile: User): Promise<void> {
    const decision = localeAfterLogin(profile.locale, storedLocale(), deps.i18n.current());
    if (decision.locale !== deps.i18n.current()) await deps.i18n.set(decision.locale);
    if (profile.locale || decision.saveToProfile) {
      writeJson(LOCALE_KEY, { code: decision.locale, explicit: true }, deps.storage);
    }
    if (decision.saveToProfile) await updateMe({ locale: decision.locale });
  }

  async function login(username: string, password: string): Promise<User> {
    const pair = await unwrap(
      client.POST('/api/v1/auth/login', { body: { username, password } }),
    );
    // Switch language before the user is set (and the app shows their first page), so the
    // page does not flash in the previous language.
    tokens.set({ access: pair.access_token, refresh: pair.refresh_token });
    await applyProfileLocale(pair.user);
    if (!get(user)) setSession(pair);
    return get(user) ?? pair.user;
  }

  async function logout(): Promise<void> {
    try {
      if (get(tokens).access) await client.POST('/api/v1/auth/logout');
    } finally {
      clearSession();
    }
  }

  /** On start: refresh who we are (the profile may have changed on another device). */
  async function reload(): Promise<void> {
    if (!get(tokens).access) return;
    const { data, response } = await client.GET('/api/v1/users/me');
    if (data) {
      user.set(data);
      persist();
      await applyProfileLocale(data);
    } else if (response.status === 401) {
      clearSession();
    }
  }

  async function updateMe(changes: Schemas['UserUpdateMe']): Promise<User> {
    const updated = await unwrap(client.PATCH('/api/v1/users/me', { body: changes }));
    user.set(updated);
    persist();
    return updated;
  }

  /** The switcher: change the UI now, remember it here, and save it to the profile. */
  async function chooseLocale(code: LocaleCode): Promise<void> {
    await deps.i18n.set(code);
    writeJson(LOCALE_KEY, { code, explicit: true }, deps.storage);
    if (get(user)) await updateMe({ locale: code });
  }

  const timeZone: Readable<string> = derived(user, ($user) => $user?.timezone || browserTimeZone());

  return {
    client,
    user: { subscribe: user.subscribe } as Readable<User | null>,
    timeZone,
    storedLocale,
    login,
    logout,
    reload,
    updateMe,
    chooseLocale,
  };
}

export type Session = ReturnType<typeof createSession>;
