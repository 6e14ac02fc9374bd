/** Reads of the library for the item pages (any kind, by folder name), loosely typed. */
import { unwrap } from '../api/client';
import type { Artwork, FileFacts } from './types';
import type { QueueTrack } from './audio';
import { artworkOf } from './types';

type Call = Promise<{ data?: unknown; error?: unknown; response: Response }>;
interface LooseClient {
  GET(path: string, init?: object): Call;
  POST(path: string, init?: object): Call;
}

export interface LibraryItem {
  id: string;
  title?: string | null;
  name?: string;
  year?: number | null;
  overview?: string | null;
  genres?: string[];
  duration_ms?: number | null;
  file?: (FileFacts & { id?: string; bitrate?: number | null }) | null;
  artwork?: Artwork | null;
  // episodes
  series_id?: string;
  series_title?: string;
  season_number?: number;
  episode_number?: number;
  // tracks and albums
  album_id?: string;
  album_title?: string;
  artist_id?: string;
  artist_name?: string;
  track_number?: number | null;
  disc_number?: number | null;
  track_count?: number;
  album_count?: number;
  episode_count?: number;
  seasons?: { id: string; season_number: number; title: string | null; episode_count: number }[];
}

export interface ItemPage {
  items: LibraryItem[];
  total: number;
}

export function libraryApi(client: unknown) {
  const api = client as LooseClient;
  return {
    get: (folder: string, id: string) =>
      unwrap(api.GET(`/api/v1/library/${folder}/${encodeURIComponent(id)}`)) as Promise<LibraryItem>,
    children: (folder: string, parentId: string, limit = 500) =>
      unwrap(api.GET(`/api/v1/library/${folder}`, { params: { query: { parent_id: parentId, limit } } })) as Promise<ItemPage>,
  };
}

export function queueTrack(track: LibraryItem): QueueTrack {
  return {
    id: track.id,
    title: track.title ?? '',
    artist: track.artist_name ?? '',
    album: track.album_title ?? '',
    album_id: track.album_id ?? null,
    duration_ms: track.duration_ms ?? null,
    artwork: artworkOf(track),
  };
}

/** "S01E02". */
export function episodeCode(season: number | undefined, episode: number | undefined): string {
  const two = (n: number | undefined) => String(n ?? 0).padStart(2, '0');
  return `S${two(season)}E${two(episode)}`;
}
