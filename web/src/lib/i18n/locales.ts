/** Which language the UI speaks: browser detection, the remembered choice, the profile's. */

export const SUPPORTED_LOCALES = ['en', 'de', 'es', 'fr'] as const;
export type LocaleCode = (typeof SUPPORTED_LOCALES)[number];
export const FALLBACK_LOCALE: LocaleCode = 'en';

/** `de-AT`, `de_AT`, `DE` → `de`; anything unsupported → null. */
export function normalizeLocale(tag: string | null | undefined): LocaleCode | null {
  if (!tag) return null;
  const base = tag.replace('_', '-').split('-')[0].trim().toLowerCase();
  return (SUPPORTED_LOCALES as readonly string[]).includes(base) ? (base as LocaleCode) : null;
}

/** The first of the browser's preferred languages we support (navigator.languages order). */
export function detectBrowserLocale(languages: readonly string[] | undefined | null): LocaleCode {
  for (const tag of languages ?? []) {
    const found = normalizeLocale(tag);
    if (found) return found;
  }
  return FALLBACK_LOCALE;
}

/** What this device remembers; `explicit` = picked in the switcher, not just detected. */
export interface StoredLocale {
  code: LocaleCode;
  explicit: boolean;
}

/** First visit: the browser's language; later visits: what this device remembers. */
export function initialLocale(
  stored: StoredLocale | null,
  browserLanguages: readonly string[] | undefined | null,
): LocaleCode {
  return normalizeLocale(stored?.code) ?? detectBrowserLocale(browserLanguages);
}

/**
 * After login the profile's language wins on every device. A user without one adopts the
 * language they explicitly picked on this device (and it is saved to the profile); a merely
 * detected language is not written to the profile.
 */
export function localeAfterLogin(
  profileLocale: string | null | undefined,
  stored: StoredLocale | null,
  current: LocaleCode,
): { locale: LocaleCode; saveToProfile: boolean } {
  const fromProfile = normalizeLocale(profileLocale);
  if (fromProfile) return { locale: fromProfile, saveToProfile: false };
  if (stored?.explicit) return { locale: stored.code, saveToProfile: true };
  return { locale: current, saveToProfile: false };
}
