"""The scan job: one per library at a time (queueing lock), progress committed per chunk; and
the periodic job that queues scheduled scans. Imported only by the worker; the names, retry
policies and scheduling are in ``tasks.py``."""

from __future__ import annotations

import uuid

import structlog

from revenge.core.config import get_settings
from revenge.core.db import session_scope
from revenge.core.jobs import implements, job_app
from revenge.library import scans, tasks
from revenge.library.scan_plan import ScanAlreadyRun, ScanError
from revenge.library.scanner import ScanBusy, run_scan

log = structlog.get_logger(__name__)


@implements(tasks.SCAN)
async def scan_library(scan_id: str, library_id: str) -> None:
    """Run the scan, then every other scan of the library queued meanwhile (the queueing lock
    lets only one job per library wait, so this job takes the ones queued behind it).

    Waiting for a running scan (``ScanBusy``) retries the job; a scan that fails is recorded
    on its row and the others still run, then the job reports the failure."""
    ffprobe = get_settings().ffprobe_path
    tried: set[uuid.UUID] = set()
    failure: ScanError | None = None
    next_id: uuid.UUID | None = uuid.UUID(scan_id)
    while next_id is not None and next_id not in tried:
        tried.add(next_id)
        try:
            await run_scan(next_id, ffprobe=ffprobe)
        except ScanAlreadyRun as exc:  # the CLI or an earlier job ran it: nothing left to do
            log.info("library.scan_skipped", scan=str(next_id), reason=str(exc))
        except ScanBusy:
            raise
        except ScanError as exc:
            failure = failure or exc
        async with session_scope() as session:
            next_id = await scans.next_queued_scan(session, uuid.UUID(library_id))
    if failure is not None:
        raise failure


@job_app.periodic(cron="*/5 * * * *", periodic_id="library.scheduled_scans")
@implements(tasks.SCHEDULED_SCANS)
async def queue_scheduled_scans(timestamp: int) -> int:
    """Every 5 minutes: a full scan for each library its interval makes due, and a job again
    for queued scans whose job was lost."""
    async with session_scope() as session:
        queued = await scans.queue_due_scans(session)
        await scans.requeue_stranded_scans(session)
    return len(queued)
