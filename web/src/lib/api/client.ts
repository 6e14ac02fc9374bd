/**
 * The typed API client: openapi-fetch over the generated `schema.d.ts`, with a fetch that
 * adds the bearer token and `Accept-Language` (so server errors come back in the UI's
 * language) to every request, and renews an expired access token once with the refresh token.
 */
import createClient from 'openapi-fetch';
import type { components, paths } from './schema';
import { ApiError, NetworkError, isProblem } from './problem';

export type Schemas = components['schemas'];
export type TokenPair = Schemas['TokenPair'];
export type User = Schemas['UserRead'];

export const API_BASE = '/api/v1';

export interface Tokens {
  access: string | null;
  refresh: string | null;
}

export interface ApiContext {
  /** The current UI locale, sent as Accept-Language. */
  locale: () => string;
  tokens: () => Tokens;
  /** Called with new tokens after a refresh, or null when the login has ended. */
  onTokens: (pair: TokenPair | null) => void;
  fetch?: (request: Request) => Promise<Response>;
  baseUrl?: string;
}

export function createApi(ctx: ApiContext) {
  const baseUrl = ctx.baseUrl ?? '';
  const send = ctx.fetch ?? ((request: Request) => globalThis.fetch(request));
  let refreshing: Promise<string | null> | null = null;

  async function transmit(request: Request, access: string | null): Promise<Response> {
    request.headers.set('Accept-Language', ctx.locale());
    if (access) request.headers.set('Authorization', `Bearer ${access}`);
    try {
      return await send(request);
    } catch (cause) {
      throw new NetworkError(cause);
    }
  }

  /** One refresh at a time, however many requests failed with 401 together. */
  function renewAccessToken(): Promise<string | null> {
    refreshing ??= (async () => {
      const refresh = ctx.tokens().refresh;
      if (!refresh) return null;
      const response = await transmit(
        new Request(`${baseUrl}${API_BASE}/auth/refresh`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ refresh_token: refresh }),
        }),
        null,
      );
      if (!response.ok) {
        ctx.onTokens(null);
        return null;
      }
      const pair = (await response.json()) as TokenPair;
      ctx.onTokens(pair);
      return pair.access_token;
    })().finally(() => {
      refreshing = null;
    });
    return refreshing;
  }

  async function authedFetch(request: Request): Promise<Response> {
    const { access } = ctx.tokens();
    const isAuthCall = new URL(request.url, 'http://x').pathname.startsWith(`${API_BASE}/auth/`);
    const retry = access && !isAuthCall ? request.clone() : null;
    const response = await transmit(request, access);
    if (response.status !== 401 || retry === null) return response;
    const renewed = await renewAccessToken();
    return renewed ? transmit(retry, renewed) : response;
  }

  const client = createClient<paths>({ baseUrl, fetch: authedFetch });
  return { client, fetch: authedFetch };
}

export type ApiClient = ReturnType<typeof createApi>['client'];

/** The data of a successful call, or an ApiError carrying the server's problem+json. */
export async function unwrap<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) throw new ApiError(response.status, isProblem(error) ? error : null);
  return data as T;
}
