"""The job app's edge: imports every feature's jobs, registering their tasks, periodic
schedules and event subscribers, so `revenge serve` and `revenge worker` run the same jobs."""

from __future__ import annotations

from revenge.analytics import jobs as analytics_jobs
from revenge.content_requests import jobs as content_requests_jobs
from revenge.core.jobs import job_app
from revenge.downloaders import jobs as downloaders_jobs
from revenge.fingerprints import jobs as fingerprints_jobs
from revenge.ingest import jobs as ingest_jobs
from revenge.library import jobs as library_jobs
from revenge.notifications import jobs as notifications_jobs
from revenge.playback import jobs as playback_jobs
from revenge.scrobbling import jobs as scrobbling_jobs
from revenge.system import jobs as system_jobs

FEATURE_JOB_MODULES = [
    playback_jobs,
    scrobbling_jobs,
    system_jobs,
    notifications_jobs,
    analytics_jobs,
    library_jobs,
    fingerprints_jobs,
    content_requests_jobs,
    downloaders_jobs,
    ingest_jobs,
]

__all__ = ["FEATURE_JOB_MODULES", "job_app"]
