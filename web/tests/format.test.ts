import { describe, expect, it } from 'vitest';
import { formatCalendarDay, formatDateTime, formatDuration, formatNumber, formatRelative, hourLabel, weekdayName } from '../src/lib/format';

const MOMENT = '2026-03-01T18:30:00Z';

describe('dates in the locale and the user timezone', () => {
  it('formats the same instant per locale and timezone', () => {
    expect(formatDateTime(MOMENT, 'de', 'Europe/Berlin')).toBe('01.03.2026, 19:30');
    expect(formatDateTime(MOMENT, 'en', 'America/New_York')).toBe('Mar 1, 2026, 1:30 PM');
    expect(formatDateTime(MOMENT, 'fr', 'Europe/Paris')).toBe('1 mars 2026, 19:30');
    expect(formatDateTime(MOMENT, 'es', 'UTC')).toBe('1 mar 2026, 18:30');
  });

  it('moves the date across midnight with the timezone', () => {
    expect(formatDateTime('2026-03-01T23:30:00Z', 'de', 'Asia/Tokyo')).toBe('02.03.2026, 08:30');
  });
});

describe('numbers', () => {
  it('groups and marks decimals per locale', () => {
    expect(formatNumber(1234567.5, 'en')).toBe('1,234,567.5');
    expect(formatNumber(1234567.5, 'de')).toBe('1.234.567,5');
    expect(formatNumber(1234567.5, 'fr')).toBe('1\u202f234\u202f567,5');
    expect(formatNumber(1234567.5, 'es')).toBe('1.234.567,5');
  });
});

describe('relative times', () => {
  const now = Date.parse(MOMENT);
  it('picks the largest fitting unit in each language', () => {
    const twoHoursAgo = now - 2 * 3600_000;
    expect(formatRelative(twoHoursAgo, 'en', now)).toBe('2 hours ago');
    expect(formatRelative(twoHoursAgo, 'de', now)).toBe('vor 2 Stunden');
    expect(formatRelative(twoHoursAgo, 'es', now)).toBe('hace 2 horas');
    expect(formatRelative(twoHoursAgo, 'fr', now)).toBe('il y a 2 heures');
  });

  it('says yesterday / in 3 days', () => {
    expect(formatRelative(now - 86_400_000, 'de', now)).toBe('gestern');
    expect(formatRelative(now + 3 * 86_400_000, 'en', now)).toBe('in 3 days');
    expect(formatRelative(now - 40 * 86_400_000, 'fr', now)).toBe('le mois dernier');
  });
});

describe('durations', () => {
  it('shows hours and minutes, or seconds for short plays', () => {
    expect(formatDuration(65 * 60_000, 'en')).toBe('1 hr 5 min');
    expect(formatDuration(65 * 60_000, 'de')).toBe('1 Std., 5 Min.');
    expect(formatDuration(2 * 3600_000, 'fr')).toBe('2\u202fh');
    expect(formatDuration(42_000, 'es')).toBe('42 s');
  });
});

describe('chart labels', () => {
  it('show a calendar day as that day in every browser timezone', () => {
    expect(formatCalendarDay('2026-03-01', 'de')).toBe('1. März');
    expect(formatCalendarDay('2026-03-01', 'en', 'month')).toBe('Mar 2026');
  });

  it('name ISO weekdays and hours the way each language does', () => {
    expect(weekdayName(1, 'en')).toBe('Mon');
    expect(weekdayName(7, 'de')).toMatch(/^So\.?$/);
    expect(hourLabel(15, 'en')).toBe('3 PM');
    expect(hourLabel(15, 'de')).toBe('15 Uhr');
  });
});
