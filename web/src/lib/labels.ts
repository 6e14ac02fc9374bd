/**
 * Catalogue keys for values the API sends as codes. Spelled out (not built with templates)
 * so the catalogue test sees every key in use.
 */
export const MEDIA_TYPE_LABELS: Record<string, string> = {
  movie: 'ui.media_type.movie',
  episode: 'ui.media_type.episode',
  track: 'ui.media_type.track',
};

/** Where a play comes in (the activity page). */
export const PLAY_SOURCE_LABELS: Record<string, string> = {
  native: 'ui.activity.source_native',
  jellyfin: 'ui.activity.source_jellyfin',
  emby: 'ui.activity.source_emby',
  plex: 'ui.activity.source_plex',
  listenbrainz: 'ui.activity.source_listenbrainz',
};

export const JOB_STATUS_LABELS: Record<string, string> = {
  todo: 'ui.job_status.todo',
  doing: 'ui.job_status.doing',
  succeeded: 'ui.job_status.succeeded',
  failed: 'ui.job_status.failed',
  cancelled: 'ui.job_status.cancelled',
  aborting: 'ui.job_status.aborting',
  aborted: 'ui.job_status.aborted',
};

export function labelKey(map: Record<string, string>, code: string): string {
  return map[code] ?? 'ui.common.unknown';
}

export const NOTIFICATION_TYPE_LABELS: Record<string, string> = {
  new_content: 'ui.notification_type.new_content',
  request_approved: 'ui.notification_type.request_approved',
  request_denied: 'ui.notification_type.request_denied',
  request_available: 'ui.notification_type.request_available',
  request_pending: 'ui.notification_type.request_pending',
  request_handoff_failed: 'ui.notification_type.request_handoff_failed',
  system: 'ui.notification_type.system',
  webhook_disabled: 'ui.notification_type.webhook_disabled',
  test: 'ui.notification_type.test',
};

export const SHARE_STATE_LABELS: Record<string, string> = {
  active: 'ui.share_state.active',
  expired: 'ui.share_state.expired',
  revoked: 'ui.share_state.revoked',
  used_up: 'ui.share_state.used_up',
};

export const SHAREABLE_TYPE_LABELS: Record<string, string> = {
  movie: 'ui.media_type.movie',
  episode: 'ui.media_type.episode',
  series: 'ui.media_type.series',
  track: 'ui.media_type.track',
  album: 'ui.media_type.album',
};

export const PERIOD_LABELS: Record<string, string> = {
  day: 'ui.period.day',
  week: 'ui.period.week',
  month: 'ui.period.month',
  year: 'ui.period.year',
  all: 'ui.period.all',
};

export const LIBRARY_LABELS: Record<string, string> = {
  movies: 'ui.library_kind.movies',
  series: 'ui.library_kind.series',
  episodes: 'ui.library_kind.episodes',
  artists: 'ui.library_kind.artists',
  albums: 'ui.library_kind.albums',
  tracks: 'ui.library_kind.tracks',
};

export const LIBRARY_KIND_LABELS: Record<string, string> = {
  movies: 'ui.library_kind.movies',
  tv: 'ui.library_kind.tv',
  music: 'ui.library_kind.music',
};

export const SCAN_STATUS_LABELS: Record<string, string> = {
  queued: 'ui.scan_status.queued',
  running: 'ui.scan_status.running',
  done: 'ui.scan_status.done',
  failed: 'ui.scan_status.failed',
};

export const DUPLICATE_KIND_LABELS: Record<string, string> = {
  audio: 'ui.duplicate_kind.audio',
  video: 'ui.duplicate_kind.video',
  image: 'ui.duplicate_kind.image',
};

export const REQUEST_TYPE_LABELS: Record<string, string> = {
  movie: 'ui.media_type.movie',
  tv: 'ui.library_kind.tv',
  music: 'ui.library_kind.music',
};

export const REQUEST_STATUS_LABELS: Record<string, string> = {
  pending: 'ui.request_status.pending',
  approved: 'ui.request_status.approved',
  processing: 'ui.request_status.processing',
  denied: 'ui.request_status.denied',
  available: 'ui.request_status.available',
};

export const QUEUE_STATUS_LABELS: Record<string, string> = {
  pending: 'ui.queue_status.pending',
  sent: 'ui.queue_status.sent',
  failed: 'ui.queue_status.failed',
  skipped: 'ui.queue_status.skipped',
};

/** A request's download as its downloader's queue shows it. */
export const DOWNLOAD_STATUS_LABELS: Record<string, string> = {
  queued: 'ui.download_status.queued',
  paused: 'ui.download_status.paused',
  downloading: 'ui.download_status.downloading',
  importing: 'ui.download_status.importing',
  warning: 'ui.download_status.warning',
  failed: 'ui.download_status.failed',
};

export const DOWNLOADER_KIND_LABELS: Record<string, string> = {
  radarr: 'ui.downloaders.kind_radarr',
  sonarr: 'ui.downloaders.kind_sonarr',
  lidarr: 'ui.downloaders.kind_lidarr',
};

export const MINIMUM_AVAILABILITY_LABELS: Record<string, string> = {
  announced: 'ui.downloaders.availability_announced',
  inCinemas: 'ui.downloaders.availability_in_cinemas',
  released: 'ui.downloaders.availability_released',
};

export const SERIES_TYPE_LABELS: Record<string, string> = {
  standard: 'ui.downloaders.series_standard',
  daily: 'ui.downloaders.series_daily',
  anime: 'ui.downloaders.series_anime',
};
