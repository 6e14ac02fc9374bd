/**
 * Catalogue keys for values the API sends as codes. Spelled out (not built with templates)
 * so the catalogue test sees every key in use.
 */
export const MEDIA_TYPE_LABELS: Record<string, string> = {
  movie: 'ui.media_type.movie',
  episode: 'ui.media_type.episode',
  track: 'ui.media_type.track',
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
