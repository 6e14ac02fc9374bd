/**
 * Errors as the user sees them. The server answers every error with RFC 9457 problem+json
 * whose `title`/`detail` are already translated into the request's Accept-Language (the
 * current UI locale); anything else (network down, a proxy's HTML page) gets a UI message.
 */

export interface FieldError {
  loc: string[];
  msg: string;
}

export interface ProblemBody {
  type?: string;
  title: string;
  detail?: string;
  status: number;
  code: string;
  params?: Record<string, unknown>;
  errors?: FieldError[] | null;
}

export class ApiError extends Error {
  readonly status: number;
  readonly problem: ProblemBody | null;

  constructor(status: number, problem: ProblemBody | null, message?: string) {
    super(message ?? problem?.title ?? `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.problem = problem;
  }

  get code(): string | null {
    return this.problem?.code ?? null;
  }
}

export function isProblem(value: unknown): value is ProblemBody {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.title === 'string' && typeof v.code === 'string' && typeof v.status === 'number';
}

/** An error thrown by `fetch` itself: no answer from the server at all. */
export class NetworkError extends Error {
  constructor(cause: unknown) {
    super('network error', { cause });
    this.name = 'NetworkError';
  }
}

export interface ProblemMessage {
  title: string;
  detail: string | null;
  fields: { field: string; message: string }[];
}

export type Translate = (key: string, options?: { values?: Record<string, string | number> }) => string;

/** What to show for any error: the server's translated words when it sent them. */
export function problemMessage(error: unknown, t: Translate): ProblemMessage {
  if (error instanceof ApiError && error.problem) {
    const p = error.problem;
    return {
      title: p.title,
      detail: p.detail && p.detail !== p.title ? p.detail : null,
      fields: (p.errors ?? []).map((e) => ({
        // loc is e.g. ["body", "password"]: the field name is the last part.
        field: e.loc.filter((part) => part !== 'body').join('.'),
        message: e.msg,
      })),
    };
  }
  if (error instanceof ApiError) {
    return {
      title: t('ui.errors.unexpected.title'),
      detail: t('ui.errors.unexpected.detail', { values: { status: error.status } }),
      fields: [],
    };
  }
  if (error instanceof NetworkError) {
    return { title: t('ui.errors.network.title'), detail: t('ui.errors.network.detail'), fields: [] };
  }
  return { title: t('ui.errors.unexpected.title'), detail: null, fields: [] };
}
