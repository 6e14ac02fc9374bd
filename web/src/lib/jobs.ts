/**
 * How the admin job list speaks about a job: a short summary of its arguments instead of raw
 * JSON (the full arguments stay one click away), and how long it ran.
 */

/** Translates a catalogue key with values (svelte-i18n's `$_`). */
export type Translate = (key: string, options?: { values?: Record<string, string | number> }) => string;

/** Argument names that point at a thing, and the words for that thing. */
const REFERENCE_LABELS: Record<string, string> = {
  library_id: 'ui.admin_jobs.args.library',
  scan_id: 'ui.admin_jobs.args.scan',
  run_id: 'ui.admin_jobs.args.run',
  user_id: 'ui.admin_jobs.args.user',
  session_id: 'ui.admin_jobs.args.session',
  source_id: 'ui.admin_jobs.args.source',
  handoff_id: 'ui.admin_jobs.args.handoff',
  request_id: 'ui.admin_jobs.args.request',
};
const MEDIA_TYPES = new Set(['movie', 'series', 'episode', 'album', 'track']);
/** Parts of a summary shown before "+N". */
export const SUMMARY_PARTS = 3;
const VALUE_CHARS = 40;

/** The first block of a UUID (enough to tell jobs apart at a glance); other values as they are. */
export function shortId(value: unknown): string {
  const text = String(value);
  return /^[0-9a-f]{8}-[0-9a-f]{4}-/i.test(text) ? text.slice(0, 8) : clip(text);
}

function clip(text: string): string {
  return text.length > VALUE_CHARS ? `${text.slice(0, VALUE_CHARS - 1)}…` : text;
}

function scalar(value: unknown): string {
  if (value === null || value === undefined) return '–';
  if (typeof value === 'object') return clip(JSON.stringify(value));
  return clip(String(value));
}

/**
 * "Movie 1a2b3c4d · Library 9f8e7d6c", "Scheduled run, 06.12.2026, 14:05", "12 items".
 * `formatTime` formats a periodic run's timestamp (seconds since the epoch).
 */
export function summarizeArgs(
  args: Record<string, unknown>,
  t: Translate,
  formatTime: (epochMs: number) => string,
): string {
  const parts: string[] = [];
  const rest = { ...args };
  if (typeof rest.timestamp === 'number') {
    parts.push(t('ui.admin_jobs.args.scheduled', { values: { time: formatTime(rest.timestamp * 1000) } }));
    delete rest.timestamp;
  }
  if (rest.media_type && rest.media_id) {
    const type = String(rest.media_type);
    const label = MEDIA_TYPES.has(type) ? t(`ui.media_type.${type}`) : type;
    parts.push(`${label} ${shortId(rest.media_id)}`);
    delete rest.media_type;
    delete rest.media_id;
  }
  for (const [key, label] of Object.entries(REFERENCE_LABELS)) {
    if (rest[key] !== undefined && rest[key] !== null) parts.push(`${t(label)} ${shortId(rest[key])}`);
    delete rest[key];
  }
  if (Array.isArray(rest.subjects)) {
    parts.push(t('ui.admin_jobs.args.items', { values: { count: rest.subjects.length } }));
    delete rest.subjects;
  }
  if (typeof rest.lookback_days === 'number') {
    parts.push(t('ui.admin_jobs.args.days', { values: { count: rest.lookback_days } }));
    delete rest.lookback_days;
  }
  for (const [key, value] of Object.entries(rest)) {
    if (value !== null && value !== undefined) parts.push(`${key}: ${scalar(value)}`);
  }
  if (!parts.length) return '';
  const shown = parts.slice(0, SUMMARY_PARTS).join(' · ');
  const more = parts.length - SUMMARY_PARTS;
  return more > 0 ? `${shown} ${t('ui.admin_jobs.args.more', { values: { count: more } })}` : shown;
}

/**
 * How long a job ran: "120 ms", "2.5 s", "1 min 5 s", "2 h 3 min" — short jobs need finer
 * steps than play lengths do.
 */
export function formatElapsed(milliseconds: number, locale: string): string {
  const unit = (name: string, n: number, digits = 0) =>
    new Intl.NumberFormat(locale, {
      style: 'unit',
      unit: name,
      unitDisplay: 'short',
      maximumFractionDigits: digits,
    }).format(n);
  const ms = Math.max(0, milliseconds);
  if (ms < 1000) return unit('millisecond', Math.round(ms));
  if (ms < 10_000) return unit('second', Math.floor(ms / 100) / 10, 1);
  const seconds = Math.floor(ms / 1000);
  const join = (parts: string[]) => new Intl.ListFormat(locale, { style: 'narrow', type: 'unit' }).format(parts);
  if (seconds < 60) return unit('second', seconds);
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return join([unit('minute', minutes), ...(seconds % 60 ? [unit('second', seconds % 60)] : [])]);
  const hours = Math.floor(minutes / 60);
  return join([unit('hour', hours), ...(minutes % 60 ? [unit('minute', minutes % 60)] : [])]);
}
