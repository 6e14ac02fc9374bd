import { beforeAll, describe, expect, it } from 'vitest';
import { _, addMessages, init, locale } from 'svelte-i18n';
import { get } from 'svelte/store';
import { ApiError, NetworkError, problemMessage, type Translate } from '../src/lib/api/problem';
import { catalogue } from './helpers';

let t: Translate;

beforeAll(async () => {
  for (const code of ['en', 'de']) addMessages(code, catalogue(code) as Parameters<typeof addMessages>[1]);
  init({ fallbackLocale: 'en', initialLocale: 'de' });
  await locale.set('de');
  t = get(_);
});

describe('what the user reads when something fails', () => {
  it("shows the server's own (already translated) title and detail", () => {
    const error = new ApiError(401, {
      title: 'Anmeldung fehlgeschlagen',
      detail: 'Benutzername oder Passwort ist falsch.',
      status: 401,
      code: 'auth.invalid_credentials',
    });
    expect(problemMessage(error, t)).toEqual({
      title: 'Anmeldung fehlgeschlagen',
      detail: 'Benutzername oder Passwort ist falsch.',
      fields: [],
    });
  });

  it('lists validation errors per field', () => {
    const error = new ApiError(422, {
      title: 'Ungültige Eingabe',
      detail: 'Ungültige Eingabe',
      status: 422,
      code: 'request.validation_failed',
      errors: [{ loc: ['body', 'password'], msg: 'Mindestens 8 Zeichen' }],
    });
    const message = problemMessage(error, t);
    expect(message.detail).toBeNull(); // not the title twice
    expect(message.fields).toEqual([{ field: 'password', message: 'Mindestens 8 Zeichen' }]);
  });

  it('explains an answer that is not problem+json (a proxy error page) in the UI language', () => {
    const message = problemMessage(new ApiError(502, null), t);
    expect(message.title).toBe(catalogueText('de', 'ui.errors.unexpected.title'));
    expect(message.detail).toContain('HTTP 502');
    expect(message.detail).not.toBe(catalogueText('en', 'ui.errors.unexpected.detail'));
  });

  it('says the server cannot be reached when fetch itself failed', () => {
    const message = problemMessage(new NetworkError(new TypeError('fetch failed')), t);
    expect(message.title).toBe('Keine Verbindung zum Server');
  });

  it('still says something for an unexpected exception', () => {
    expect(problemMessage(new Error('boom'), t).title).toBe('Etwas ist schiefgelaufen');
  });
});

function catalogueText(code: string, key: string): string {
  return key.split('.').reduce<any>((node, part) => node[part], catalogue(code)) as string;
}
