/** Dates, numbers, durations and relative times in the UI's locale and the user's timezone. */

export type DateInput = string | number | Date;

function toDate(value: DateInput): Date {
  return value instanceof Date ? value : new Date(value);
}

export function browserTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

export function formatDateTime(
  value: DateInput,
  locale: string,
  timeZone: string,
  style: 'short' | 'medium' | 'long' = 'medium',
): string {
  return new Intl.DateTimeFormat(locale, {
    dateStyle: style,
    timeStyle: 'short',
    timeZone,
  }).format(toDate(value));
}

export function formatDate(value: DateInput, locale: string, timeZone: string): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone }).format(toDate(value));
}

export function formatNumber(value: number, locale: string, options?: Intl.NumberFormatOptions): string {
  return new Intl.NumberFormat(locale, options).format(value);
}

const RELATIVE_STEPS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['second', 60],
  ['minute', 60],
  ['hour', 24],
  ['day', 7],
  ['week', 4.345],
  ['month', 12],
  ['year', Number.POSITIVE_INFINITY],
];

/** "2 hours ago", "vor 2 Stunden", "dans 3 jours": the largest unit that fits. */
export function formatRelative(value: DateInput, locale: string, now: DateInput = Date.now()): string {
  let amount = (toDate(value).getTime() - toDate(now).getTime()) / 1000;
  const formatter = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  for (const [unit, size] of RELATIVE_STEPS) {
    if (Math.abs(amount) < size) return formatter.format(Math.round(amount), unit);
    amount /= size;
  }
  return formatter.format(Math.round(amount), 'year');
}

/** A play length such as "1 h, 5 min" (Intl.DurationFormat is not everywhere yet). */
export function formatDuration(milliseconds: number, locale: string): string {
  const totalMinutes = Math.floor(milliseconds / 60000);
  const hours = Math.floor(totalMinutes / 60);
  const minutes = totalMinutes % 60;
  const seconds = Math.floor(milliseconds / 1000) % 60;
  const unit = (unitName: string, n: number) =>
    new Intl.NumberFormat(locale, { style: 'unit', unit: unitName, unitDisplay: 'short' }).format(n);
  const parts: string[] = [];
  if (hours) parts.push(unit('hour', hours));
  if (minutes) parts.push(unit('minute', minutes));
  if (!hours && !minutes) parts.push(unit('second', seconds));
  return new Intl.ListFormat(locale, { style: 'narrow', type: 'unit' }).format(parts);
}

/**
 * A calendar day the server already computed in the user's timezone ("2026-03-01"): shown
 * as that same day whatever the browser's zone, so it is formatted in UTC.
 */
export function formatCalendarDay(isoDate: string, locale: string, interval: 'day' | 'week' | 'month' = 'day'): string {
  const [y, m, d] = isoDate.split('-').map(Number);
  const options: Intl.DateTimeFormatOptions =
    interval === 'month' ? { month: 'short', year: 'numeric' } : { day: 'numeric', month: 'short' };
  return new Intl.DateTimeFormat(locale, { ...options, timeZone: 'UTC' }).format(Date.UTC(y, m - 1, d));
}

/** ISO weekday (1 = Monday … 7 = Sunday) as the locale's short name. */
export function weekdayName(isoDay: number, locale: string): string {
  // 1 January 2024 was a Monday.
  return new Intl.DateTimeFormat(locale, { weekday: 'short', timeZone: 'UTC' }).format(Date.UTC(2024, 0, isoDay));
}

/** An hour of the day (0–23) as the locale writes it: "3 PM", "15 Uhr". */
export function hourLabel(hour: number, locale: string): string {
  return new Intl.DateTimeFormat(locale, { hour: 'numeric', timeZone: 'UTC' }).format(Date.UTC(2024, 0, 1, hour));
}

/** A playback position as players show it: "4:05", "1:02:03". */
export function formatClock(milliseconds: number): string {
  const total = Math.max(0, Math.floor(milliseconds / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = String(total % 60).padStart(2, '0');
  return hours ? `${hours}:${String(minutes).padStart(2, '0')}:${seconds}` : `${minutes}:${seconds}`;
}
