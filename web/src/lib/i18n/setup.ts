/**
 * svelte-i18n wired to the server's catalogues: `GET /api/v1/i18n/{locale}` returns the same
 * locales/*.json the server uses (UI strings under `ui.`), so server and UI never disagree.
 */
import { getLocaleFromNavigator, init, locale, register, waitLocale } from 'svelte-i18n';
import { get } from 'svelte/store';
import { API_BASE } from '../api/client';
import { FALLBACK_LOCALE, SUPPORTED_LOCALES, normalizeLocale, type LocaleCode } from './locales';

export async function fetchCatalogue(
  code: LocaleCode,
  fetcher: typeof fetch = globalThis.fetch,
): Promise<Record<string, unknown>> {
  const response = await fetcher(`${API_BASE}/i18n/${code}`, {
    headers: { Accept: 'application/json' },
  });
  if (!response.ok) throw new Error(`catalogue ${code}: HTTP ${response.status}`);
  return (await response.json()) as Record<string, unknown>;
}

export function setupI18n(initial: LocaleCode, fetcher?: typeof fetch): Promise<void> {
  for (const code of SUPPORTED_LOCALES) register(code, () => fetchCatalogue(code, fetcher));
  init({ fallbackLocale: FALLBACK_LOCALE, initialLocale: initial });
  applyDocumentLanguage(initial);
  return waitLocale();
}

/** Switch the UI language and wait until its catalogue is loaded. */
export async function setUiLocale(code: LocaleCode): Promise<void> {
  await locale.set(code);
  await waitLocale(code);
  applyDocumentLanguage(code);
}

export function currentUiLocale(): LocaleCode {
  return normalizeLocale(get(locale)) ?? normalizeLocale(getLocaleFromNavigator()) ?? FALLBACK_LOCALE;
}

// <html lang> drives screen readers and CSS hyphenation (German's long words).
function applyDocumentLanguage(code: string): void {
  if (typeof document !== 'undefined') document.documentElement.lang = code;
}
