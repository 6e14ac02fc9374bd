import { readFileSync } from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');

export function catalogue(locale: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(ROOT, 'locales', `${locale}.json`), 'utf8'));
}

export function flatten(tree: Record<string, unknown>, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(tree)) {
    if (value && typeof value === 'object') Object.assign(out, flatten(value as Record<string, unknown>, `${prefix}${key}.`));
    else out[`${prefix}${key}`] = String(value);
  }
  return out;
}

export interface Recorded {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Headers;
  body: unknown;
}

type Handler = (req: Recorded) => Response | Promise<Response>;

/** A fake server: routes "METHOD /path" to handlers and records every request it saw. */
export function fakeServer(routes: Record<string, Handler>) {
  const seen: Recorded[] = [];
  async function fetch(request: Request): Promise<Response> {
    const url = new URL(request.url, 'http://app.test');
    const text = request.body ? await request.text() : '';
    const recorded: Recorded = {
      method: request.method,
      path: url.pathname,
      query: url.searchParams,
      headers: request.headers,
      body: text ? JSON.parse(text) : null,
    };
    seen.push(recorded);
    const handler = routes[`${request.method} ${url.pathname}`];
    if (!handler) return problem(404, 'resource.not_found', 'Not found');
    return handler(recorded);
  }
  return { fetch, seen };
}

export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

export function problem(status: number, code: string, title: string, detail = title, extra = {}): Response {
  return new Response(JSON.stringify({ type: `x:${code}`, title, detail, status, code, params: {}, ...extra }), {
    status,
    headers: { 'Content-Type': 'application/problem+json' },
  });
}

export function userRead(overrides: Record<string, unknown> = {}) {
  return {
    id: '00000000-0000-0000-0000-000000000001',
    username: 'anna',
    email: null,
    display_name: null,
    is_admin: false,
    is_active: true,
    locale: null,
    timezone: 'Europe/Berlin',
    last_login_at: null,
    created_at: '2026-01-01T00:00:00Z',
    ...overrides,
  };
}

export function tokenPair(user = userRead(), n = 1) {
  return { user, access_token: `access-${n}`, refresh_token: `refresh-${n}`, token_type: 'bearer', expires_in: 3600 };
}
