import { describe, expect, it } from 'vitest';
import { MEDIA_TYPE_COLOURS, hasPlayed, personName, playsByDayChart, playsOfType, popularState } from '../src/lib/analytics';

describe('the plays-over-time chart by media type', () => {
  it('has a label per day and a series per type, missing counts as zero', () => {
    const chart = playsByDayChart(
      [
        { day: '2026-03-01', movie: 2, episode: 0, track: 5 },
        { day: '2026-03-02', movie: 0, episode: 3 },
      ],
      (day) => `d:${day.slice(8)}`,
      (type) => type.toUpperCase(),
    );
    expect(chart.labels).toEqual(['d:01', 'd:02']);
    expect(chart.series).toEqual([
      { label: 'MOVIE', data: [2, 0], color: MEDIA_TYPE_COLOURS.movie },
      { label: 'EPISODE', data: [0, 3], color: MEDIA_TYPE_COLOURS.episode },
      { label: 'TRACK', data: [5, 0], color: MEDIA_TYPE_COLOURS.track },
    ]);
  });

  it('gives every type its own colour', () => {
    expect(new Set(Object.values(MEDIA_TYPE_COLOURS)).size).toBe(3);
  });
});

describe('a top list', () => {
  it('shows its items when it has some', () => {
    expect(popularState(3, 10, '2026-03-01T10:00:00Z')).toBe('list');
  });

  it('is being computed while the totals count plays the rankings lack', () => {
    expect(popularState(0, 82, null)).toBe('computing');
    expect(popularState(0, 0, '2026-03-01T10:00:00Z')).toBe('computing');
  });

  it('is empty only when nothing was played and nothing waits', () => {
    expect(popularState(0, 0, null)).toBe('empty');
    expect(popularState(0, 0, undefined)).toBe('empty');
  });

  it('reads the plays of its type from the overview', () => {
    const totals = [
      { media_type: 'movie', plays: 4 },
      { media_type: 'track', plays: 9 },
    ];
    expect(playsOfType(totals, 'track')).toBe(9);
    expect(playsOfType(totals, 'episode')).toBe(0);
  });
});

describe('my stats', () => {
  it('are empty for someone who never played anything', () => {
    const zero = { movies_watched: 0, episodes_watched: 0, music_tracks_played: 0, total_watch_time_ms: 0 };
    expect(hasPlayed(['day', 'week', 'month', 'year', 'all'].map((period) => ({ period, ...zero })))).toBe(false);
    expect(hasPlayed([])).toBe(false);
  });

  it('are not empty after a single play of any type', () => {
    expect(hasPlayed([{ period: 'all', music_tracks_played: 1 }])).toBe(true);
    expect(hasPlayed([{ period: 'day' }, { period: 'all', episodes_watched: 2 }])).toBe(true);
  });
});

describe('a person', () => {
  it('is called by their display name, else their login name', () => {
    expect(personName({ username: 'maria', display_name: 'Maria Müller' })).toBe('Maria Müller');
    expect(personName({ username: 'maria', display_name: null })).toBe('maria');
    expect(personName({ username: 'maria', display_name: '  ' })).toBe('maria');
    expect(personName({ username: 'maria' })).toBe('maria');
  });
});
