"""The scan job: one per library at a time (queueing lock), progress committed per chunk."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core.config import get_settings
from revenge.core.jobs import defer, job_app
from revenge.library import service
from revenge.library.models import LibraryScan
from revenge.library.scanner import run_scan


@job_app.task(name="library.scan")
async def scan_library(scan_id: str, library_id: str) -> None:
    # No automatic retry: a failed scan records its error on the scan row, and the admin
    # (or the next scheduled scan) starts a new one; rescans are incremental and cheap.
    await run_scan(uuid.UUID(scan_id), ffprobe=get_settings().ffprobe_path)


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
