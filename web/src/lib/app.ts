/** The app's single instances: the session (with its API client) and the formatting store. */
import { locale } from 'svelte-i18n';
import { derived, writable } from 'svelte/store';
import { createSession } from './stores/session';
import { createNotificationFeed } from './stores/notifications';
import { createWebPush } from './stores/webpush';
import { storage } from './storage';
import { currentUiLocale, setUiLocale } from './i18n/setup';
import { formatDate, formatDateTime, formatDuration, formatNumber, formatRelative } from './format';
import type { DateInput } from './format';
import { SUPPORTED_LOCALES, type LocaleCode } from './i18n/locales';
import { API_BASE, type Schemas } from './api/client';

export const session = createSession({
  storage,
  i18n: { current: currentUiLocale, set: setUiLocale },
});
export const api = session.client;
export const user = session.user;

/** Formatting bound to the UI locale and the user's timezone; use as `$fmt.dateTime(x)`. */
export const fmt = derived([locale, session.timeZone], ([$locale, $timeZone]) => {
  const code = $locale ?? 'en';
  return {
    locale: code,
    timeZone: $timeZone,
    dateTime: (v: DateInput, style?: 'short' | 'medium' | 'long') =>
      formatDateTime(v, code, $timeZone, style),
    date: (v: DateInput) => formatDate(v, code, $timeZone),
    number: (n: number, o?: Intl.NumberFormatOptions) => formatNumber(n, code, o),
    relative: (v: DateInput) => formatRelative(v, code),
    duration: (ms: number) => formatDuration(ms, code),
  };
});

export type LocaleInfo = Schemas['LocaleInfo'];

/** The switcher's choices with native names from the server (codes until they arrive). */
export const availableLocales = writable<LocaleInfo[]>(
  SUPPORTED_LOCALES.map((code) => ({ code, native_name: code, completeness: 1 })),
);

export async function loadAvailableLocales(): Promise<void> {
  const response = await fetch(`${API_BASE}/i18n/locales`);
  if (response.ok) availableLocales.set((await response.json()) as LocaleInfo[]);
}

export type { LocaleCode };

/** The header badge's unread count, live from the notification stream. */
export const notifications = createNotificationFeed(api);

/** Browser push on this device (Notifications → channels). */
export const webPush = createWebPush(api);
