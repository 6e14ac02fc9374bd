import { describe, expect, it } from 'vitest';
import { formatElapsed, shortId, summarizeArgs, type Translate } from '../src/lib/jobs';
import { formatBytes } from '../src/lib/bytes';

// A catalogue stand-in that shows which key was asked for with which values.
const t: Translate = (key, options) => {
  const values = options?.values;
  const words: Record<string, string> = {
    'ui.media_type.movie': 'Movie',
    'ui.admin_jobs.args.library': 'Library',
    'ui.admin_jobs.args.user': 'User',
    'ui.admin_jobs.args.scan': 'Scan',
  };
  if (words[key]) return words[key];
  return values ? `${key}(${Object.entries(values).map(([k, v]) => `${k}=${v}`).join(',')})` : key;
};
const time = (ms: number) => new Date(ms).toISOString();
const LIB = '9f8e7d6c-1111-2222-3333-444455556666';
const MOVIE = '1a2b3c4d-aaaa-bbbb-cccc-ddddeeeeffff';

describe('a summary of a job\'s arguments instead of JSON', () => {
  it('names the item and library by kind and short id', () => {
    expect(summarizeArgs({ media_type: 'movie', media_id: MOVIE, library_id: LIB }, t, time)).toBe(
      'Movie 1a2b3c4d · Library 9f8e7d6c',
    );
  });

  it('says a periodic run is scheduled, with its time', () => {
    expect(summarizeArgs({ timestamp: 1_780_000_000 }, t, time)).toBe(
      `ui.admin_jobs.args.scheduled(time=${new Date(1_780_000_000_000).toISOString()})`,
    );
  });

  it('counts lists and days, keeps unknown values short, and says how many parts are left out', () => {
    expect(summarizeArgs({ subjects: ['a', 'b', 'c'] }, t, time)).toBe('ui.admin_jobs.args.items(count=3)');
    expect(summarizeArgs({ timestamp: 0, lookback_days: 7 }, t, time)).toContain('ui.admin_jobs.args.days(count=7)');
    expect(summarizeArgs({ provider: 'listenbrainz' }, t, time)).toBe('provider: listenbrainz');
    const long = summarizeArgs({ note: 'x'.repeat(100) }, t, time);
    expect(long.length).toBeLessThan(50);
    expect(long.endsWith('…')).toBe(true);
    const many = summarizeArgs({ user_id: LIB, scan_id: MOVIE, library_id: LIB, a: 1, b: { c: 2 } }, t, time);
    expect(many).toBe('Library 9f8e7d6c · Scan 1a2b3c4d · User 9f8e7d6c ui.admin_jobs.args.more(count=2)');
  });

  it('is empty for a job without arguments, and ignores nulls', () => {
    expect(summarizeArgs({}, t, time)).toBe('');
    expect(summarizeArgs({ library_id: null, user_id: undefined }, t, time)).toBe('');
  });

  it('shortens UUIDs only', () => {
    expect(shortId(MOVIE)).toBe('1a2b3c4d');
    expect(shortId('listenbrainz')).toBe('listenbrainz');
    expect(shortId(42)).toBe('42');
  });
});

describe('how long a job ran', () => {
  it('uses milliseconds, tenths of seconds, then minutes and hours', () => {
    expect(formatElapsed(120, 'en')).toBe('120 ms');
    expect(formatElapsed(2_549, 'en')).toBe('2.5 sec');
    expect(formatElapsed(2_549, 'de')).toBe('2,5 Sek.');
    expect(formatElapsed(42_000, 'en')).toBe('42 sec');
    expect(formatElapsed(65_000, 'en')).toBe('1 min 5 sec');
    expect(formatElapsed(120_000, 'en')).toBe('2 min');
    expect(formatElapsed(7_380_000, 'de')).toBe('2 Std., 3 Min.');
    expect(formatElapsed(-5, 'en')).toBe('0 ms');
  });
});

describe('file sizes', () => {
  it('picks bytes, kB, MB or GB and the locale\'s decimal mark', () => {
    expect(formatBytes(812, 'en')).toBe('812 byte');
    expect(formatBytes(34_567, 'en')).toBe('34.6 kB');
    expect(formatBytes(345_678, 'en')).toBe('346 kB');
    expect(formatBytes(4_200_000, 'de')).toBe('4,2 MB');
    expect(formatBytes(1_300_000_000, 'fr')).toBe('1,3\u202fGo');
    expect(formatBytes(999_999, 'en')).toBe('1 MB');
    expect(formatBytes(0, 'en')).toBe('0 byte');
    expect(formatBytes(Number.NaN, 'en')).toBe('0 byte');
  });
});
