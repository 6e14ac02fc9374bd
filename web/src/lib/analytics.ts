/** What the statistics pages decide from the API's numbers, kept apart so it can be tested. */

export type Playable = 'movie' | 'episode' | 'track';
export const PLAYABLE_TYPES: Playable[] = ['movie', 'episode', 'track'];

/** One colour per media type, the same in every chart (readable on light and dark cards). */
export const MEDIA_TYPE_COLOURS: Record<Playable, string> = {
  movie: '#0b5fff',
  episode: '#e8710a',
  track: '#12b5cb',
};

export interface DailyPlays {
  day: string;
  movie?: number;
  episode?: number;
  track?: number;
}

/** The stacked plays-over-time chart: one label per day, one series per media type. */
export function playsByDayChart(
  points: DailyPlays[],
  dayLabel: (isoDay: string) => string,
  typeLabel: (type: Playable) => string,
): { labels: string[]; series: { label: string; data: number[]; color: string }[] } {
  return {
    labels: points.map((p) => dayLabel(p.day)),
    series: PLAYABLE_TYPES.map((type) => ({
      label: typeLabel(type),
      data: points.map((p) => p[type] ?? 0),
      color: MEDIA_TYPE_COLOURS[type],
    })),
  };
}

export type PopularState = 'list' | 'computing' | 'empty';

/**
 * What a top list shows. The totals count a play at once, the rankings only after their
 * batched refresh: a list that is empty while the totals have plays of its type is being
 * computed, not empty.
 */
export function popularState(rankedItems: number, playsInWindow: number, refreshDueAt: string | null | undefined): PopularState {
  if (rankedItems > 0) return 'list';
  return playsInWindow > 0 || refreshDueAt ? 'computing' : 'empty';
}

/** Plays of one media type in the overview's window (0 when none). */
export function playsOfType(byMediaType: { media_type: string; plays: number }[], type: string): number {
  return byMediaType.find((t) => t.media_type === type)?.plays ?? 0;
}

interface PeriodTotals {
  period: string;
  movies_watched?: number;
  episodes_watched?: number;
  music_tracks_played?: number;
  total_watch_time_ms?: number;
}

/** Whether a user has ever played anything (else My stats shows its empty state). */
export function hasPlayed(periods: PeriodTotals[]): boolean {
  return periods.some(
    (p) => (p.movies_watched ?? 0) + (p.episodes_watched ?? 0) + (p.music_tracks_played ?? 0) > 0 || (p.total_watch_time_ms ?? 0) > 0,
  );
}

/** A person as people know them: the display name, else the login name. */
export function personName(user: { username: string; display_name?: string | null }): string {
  return user.display_name?.trim() || user.username;
}
