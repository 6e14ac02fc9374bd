/**
 * The library/playback shapes the player and the library pages use, as the issue-18 contract
 * describes them (`/playback/info`, `/users/me/home`, played marks, `artwork` on every item).
 * Written by hand so the pages do not depend on which of these the generated schema has yet.
 */
export type PlayableType = 'movie' | 'episode' | 'track';

export interface Artwork {
  thumb: string;
  poster: string;
  large: string;
}

export interface FileFacts {
  mime_type?: string | null;
  container?: string | null;
  video_codec?: string | null;
  audio_codec?: string | null;
  width?: number | null;
  height?: number | null;
  size_bytes?: number | null;
  duration_ms?: number | null;
}

export interface PlaybackInfo {
  media_type: PlayableType;
  media_id: string;
  title: string;
  subtitle: string | null;
  duration_ms: number | null;
  file: FileFacts;
  stream_url: string;
  stream_expires_at?: string | null;
  resume_position_ms: number | null;
  played: boolean;
  play_count: number;
  artwork: Artwork | null;
}

export interface HomeEntry {
  media_type: PlayableType;
  media_id: string;
  title: string;
  subtitle: string | null;
  position_ms: number | null;
  duration_ms: number | null;
  last_played_at: string | null;
  artwork: Artwork | null;
}

export interface AddedEntry {
  media_type: 'movie' | 'series' | 'album';
  media_id: string;
  title: string;
  subtitle: string | null;
  year: number | null;
  added_at: string | null;
  artwork: Artwork | null;
}

export interface HomeData {
  continue: HomeEntry[];
  recent_plays: HomeEntry[];
  recently_added: AddedEntry[];
}

export interface PlayedState {
  played: boolean;
  play_count: number;
}

/** The `artwork` of any API item, whether or not the generated schema knows the field yet. */
export function artworkOf(item: unknown): Artwork | null {
  const value = (item as { artwork?: Artwork | null } | null)?.artwork;
  return value && typeof value.thumb === 'string' ? value : null;
}

/** Where an item's own page is. */
export function itemPath(mediaType: string, id: string): string {
  const folder: Record<string, string> = {
    movie: 'movies',
    series: 'series',
    episode: 'episodes',
    artist: 'artists',
    album: 'albums',
    track: 'tracks',
  };
  return `/library/${folder[mediaType] ?? mediaType}/${encodeURIComponent(id)}`;
}
