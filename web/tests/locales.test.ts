import { describe, expect, it } from 'vitest';
import {
  detectBrowserLocale,
  initialLocale,
  localeAfterLogin,
  normalizeLocale,
} from '../src/lib/i18n/locales';

describe('browser language detection', () => {
  it('takes the first supported language in the browser order', () => {
    expect(detectBrowserLocale(['pt-BR', 'de-AT', 'en-US'])).toBe('de');
    expect(detectBrowserLocale(['fr-CA'])).toBe('fr');
    expect(detectBrowserLocale(['es_419'])).toBe('es');
  });

  it('falls back to English for unsupported or missing languages', () => {
    expect(detectBrowserLocale(['ja', 'pt-BR'])).toBe('en');
    expect(detectBrowserLocale([])).toBe('en');
    expect(detectBrowserLocale(undefined)).toBe('en');
  });

  it('normalizes tags', () => {
    expect(normalizeLocale('DE')).toBe('de');
    expect(normalizeLocale('de_CH')).toBe('de');
    expect(normalizeLocale('xx')).toBeNull();
    expect(normalizeLocale(null)).toBeNull();
  });
});

describe('which language the UI starts in', () => {
  it('uses the browser language on the first visit', () => {
    expect(initialLocale(null, ['es-MX'])).toBe('es');
  });

  it('uses what this device remembers afterwards, whatever the browser says', () => {
    expect(initialLocale({ code: 'fr', explicit: true }, ['de-DE'])).toBe('fr');
  });
});

describe('language after login', () => {
  it("lets the profile's language win on every device", () => {
    expect(localeAfterLogin('de', { code: 'fr', explicit: true }, 'fr')).toEqual({
      locale: 'de',
      saveToProfile: false,
    });
  });

  it('saves a language picked on this device to a profile that has none', () => {
    expect(localeAfterLogin(null, { code: 'es', explicit: true }, 'es')).toEqual({
      locale: 'es',
      saveToProfile: true,
    });
  });

  it('does not write a merely detected browser language to the profile', () => {
    expect(localeAfterLogin(null, null, 'fr')).toEqual({ locale: 'fr', saveToProfile: false });
    expect(localeAfterLogin(null, { code: 'fr', explicit: false }, 'fr').saveToProfile).toBe(false);
  });
});
