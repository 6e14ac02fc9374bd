"""The scan job: one per library at a time (queueing lock), progress committed per chunk."""

from __future__ import annotations

import uuid

import procrastinate
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core.config import get_settings
from revenge.core.jobs import defer, job_app
from revenge.library import service
from revenge.library.models import LibraryScan
from revenge.library.scanner import ScanAlreadyRun, ScanBusy, run_scan

log = structlog.get_logger(__name__)

# Only "another scan of this library is running" is retried (the scan waits its turn); any
# other failure is recorded on the scan row, and the admin starts a new scan (rescans are
# incremental and cheap).
WAIT_FOR_RUNNING_SCAN = procrastinate.RetryStrategy(
    max_attempts=120, wait=30, retry_exceptions={ScanBusy}
)


@job_app.task(name="library.scan", retry=WAIT_FOR_RUNNING_SCAN)
async def scan_library(scan_id: str, library_id: str) -> None:
    try:
        await run_scan(uuid.UUID(scan_id), ffprobe=get_settings().ffprobe_path)
    except ScanAlreadyRun as exc:  # the CLI ran it first: nothing left to do
        log.info("library.scan_skipped", scan=scan_id, reason=str(exc))


async def request_scan(session: AsyncSession, library_id: uuid.UUID) -> LibraryScan:
    """Queue a scan of the library in the caller's transaction (a waiting scan absorbs it)."""
    scan, created = await service.create_scan(session, library_id)
    if created:
        await defer(
            session,
            scan_library,
            queueing_lock=f"library.scan:{library_id}",
            scan_id=str(scan.id),
            library_id=str(library_id),
        )
    return scan
