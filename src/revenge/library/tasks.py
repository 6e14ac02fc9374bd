"""The library's jobs as the rest of the feature sees them: declarations and ``schedule_…``.

A declaration is a procrastinate ``Task`` bound to the job app and carrying the name, retry
policy and default queueing lock, but not the body: services defer through it (in their own
transaction, via ``core.jobs.defer``) without importing ``jobs.py``, which only the worker
imports. ``jobs.py`` registers each body under its declaration with ``@implements(...)``, so a
name and its policy are written once, here.
"""

from __future__ import annotations

import uuid

from procrastinate import RetryDecision
from procrastinate.jobs import Job
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core.jobs import BackoffRetry, declare_task, defer


class ScanMustWait(Exception):
    """Raised by a scan job that has to wait for another scan of its library to end (the
    scanner's ``ScanBusy``): the job is retried under ``WaitForRunningScan``."""


class WaitForRunningScan(BackoffRetry):
    """Only a scan that must wait its turn is retried, at a fixed interval; any other failure
    is recorded on the scan row, and the admin starts a new scan (rescans are incremental and
    cheap). It derives from ``BackoffRetry`` only because ``declare_task`` takes one: it waits
    the same time before every attempt."""

    def __init__(self, *, max_attempts: int = 120, wait_seconds: int = 30) -> None:
        super().__init__(
            max_attempts=max_attempts, base_seconds=wait_seconds, cap_seconds=wait_seconds
        )

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        if job.attempts >= self.max_attempts or not isinstance(exception, ScanMustWait):
            return None
        return RetryDecision(retry_in={"seconds": int(self.base_seconds)})


SCAN = declare_task("library.scan", retry=WaitForRunningScan())
# Periodic: queues the full scans that libraries' intervals make due (jobs.py).
SCHEDULED_SCANS = declare_task("library.scheduled_scans", queueing_lock="library.scheduled_scans")

DECLARED = (SCAN, SCHEDULED_SCANS)


async def schedule_scan(session: AsyncSession, scan_id: uuid.UUID, library_id: uuid.UUID) -> None:
    """Coalesced: one waiting scan job per library absorbs the others (the job runs every
    queued scan of its library, so a scan queued behind a waiting job is not left behind)."""
    await defer(
        session,
        SCAN,
        queueing_lock=f"library.scan:{library_id}",
        scan_id=str(scan_id),
        library_id=str(library_id),
    )
