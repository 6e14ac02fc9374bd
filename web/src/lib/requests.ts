/**
 * The request pages' logic that is not markup: typed seasons ("1-3, 5"), seasons shown as
 * ranges, which state's badge is loud for whom, and which picture a request or result shows.
 */

export type RequestStatus = 'pending' | 'approved' | 'processing' | 'denied' | 'available';

/** Badge tones: `attention` and `ready` are solid (loud), the rest tinted (calm). */
export type Tone = 'attention' | 'ready' | 'progress' | 'waiting' | 'done' | 'refused';

/**
 * The loud badge goes where the viewer has something to do: the admin on a pending request
 * (decide), the requester on an available one (watch it). What merely moves along (approved,
 * downloading) is calm blue; a request waiting for someone else is a quiet outline.
 */
export function statusTone(status: RequestStatus, admin: boolean): Tone {
  switch (status) {
    case 'pending':
      return admin ? 'attention' : 'waiting';
    case 'approved':
    case 'processing':
      return 'progress';
    case 'available':
      return admin ? 'done' : 'ready';
    case 'denied':
      return 'refused';
  }
}

/** The most seasons one request takes (the API's own limit). */
export const MAX_SEASONS = 200;
const MAX_SEASON_NUMBER = 999;

/**
 * Seasons typed by hand: numbers and ranges separated by commas or spaces ("1-3, 5", "2 4",
 * "1–3" with an en dash). Empty means the whole series ([]); anything unreadable, a range
 * backwards or too many seasons gives null. Sorted, without repeats.
 */
export function parseSeasons(text: string): number[] | null {
  const parts = text
    .split(/[,;\s]+/)
    .map((p) => p.trim())
    .filter(Boolean);
  const seasons = new Set<number>();
  for (const part of parts) {
    const range = /^(\d{1,3})\s*[-–]\s*(\d{1,3})$/.exec(part) ?? /^(\d{1,3})$/.exec(part);
    if (!range) return null;
    const from = Number(range[1]);
    const to = Number(range[2] ?? range[1]);
    if (to < from || to > MAX_SEASON_NUMBER) return null;
    for (let n = from; n <= to; n++) {
      seasons.add(n);
      if (seasons.size > MAX_SEASONS) return null;
    }
  }
  return [...seasons].sort((a, b) => a - b);
}

/** Seasons as short ranges: [1, 2, 3, 5] → "1–3, 5". */
export function formatSeasons(seasons: readonly number[]): string {
  const sorted = [...new Set(seasons)].sort((a, b) => a - b);
  const out: string[] = [];
  let start: number | null = null;
  let previous: number | null = null;
  for (const n of [...sorted, Number.NaN]) {
    if (previous !== null && n === previous + 1) {
      previous = n;
      continue;
    }
    if (start !== null && previous !== null) out.push(start === previous ? `${start}` : `${start}–${previous}`);
    start = n;
    previous = n;
  }
  return out.join(', ');
}

interface Pictured {
  artwork?: { thumb: string; poster: string; large: string } | null;
  poster_url?: string | null;
}

/**
 * The picture of a request or a search result: the library's own artwork once it is there
 * (served by this server), else TMDB's poster, else none (Artwork shows its placeholder).
 */
export function pictureOf(item: Pictured, size: 'thumb' | 'poster' = 'thumb'): string | null {
  return item.artwork?.[size] ?? item.poster_url ?? null;
}

/** The seasons a picker selection asks for: null = the whole series. */
export function chosenSeasons(all: boolean, picked: Iterable<number>): number[] | null {
  if (all) return null;
  return [...new Set(picked)].sort((a, b) => a - b);
}
