"""Asking for scans: by an admin, by the schedule, by the folder watcher, by a downloader.

A scan is a ``library_scans`` row (the durable work item) plus the library's scan job, which
runs every queued scan of its library in turn. A full scan covers the whole library; a targeted
scan one folder or file in it (``target_path``). Requests are coalesced while the scans wait:
a path already covered by a queued scan (a full one, or one of that path or a folder above it)
joins that scan instead of queueing another, and a queued targeted scan of a folder inside a
newly requested one is widened to it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core import clock
from revenge.core.errors import NotFound
from revenge.library import repository, tasks
from revenge.library.models import Library, LibraryScan
from revenge.library.scanner import STALE_SCAN_SECONDS

log = structlog.get_logger(__name__)

# A queued scan that has waited this long while nothing of its library runs lost its job.
STRANDED_AFTER = timedelta(minutes=10)


async def _new_scan(
    session: AsyncSession, library_id: uuid.UUID, target: Path | None = None
) -> LibraryScan:
    scan = LibraryScan(
        library_id=library_id,
        status="queued",
        target_path=str(target) if target is not None else None,
    )
    session.add(scan)
    await session.flush()
    await session.refresh(scan)
    return scan


async def create_scan(session: AsyncSession, library_id: uuid.UUID) -> tuple[LibraryScan, bool]:
    """A queued full scan of the library; a full scan already waiting is returned instead of
    a second one (returns the scan and whether it is new). No job: see ``request_scan``."""
    if await session.get(Library, library_id) is None:
        raise NotFound("library.not_found")
    waiting = await repository.waiting_scan(session, library_id)
    if waiting is not None:
        return waiting, False
    return await _new_scan(session, library_id), True


async def request_scan(session: AsyncSession, library_id: uuid.UUID) -> LibraryScan:
    """Queue a full scan of the library in the caller's transaction (a waiting one absorbs
    it)."""
    scan, created = await create_scan(session, library_id)
    if created:
        await tasks.schedule_scan(session, scan.id, library_id)
    return scan


async def get_scan(session: AsyncSession, scan_id: uuid.UUID) -> LibraryScan:
    scan = await session.get(LibraryScan, scan_id, populate_existing=True)
    if scan is None:
        raise NotFound("library.scan_not_found")
    return scan


def _as_server_path(raw: str) -> Path | None:
    """An absolute path with symlinks resolved as far as it exists (library folders are
    stored resolved); None for anything else."""
    if not raw or "\x00" in raw or not os.path.isabs(raw):
        return None
    return Path(os.path.realpath(raw))


async def _targeted_scan(
    session: AsyncSession, library_id: uuid.UUID, target: Path
) -> tuple[LibraryScan, bool]:
    for waiting in await repository.waiting_scans(session, library_id):
        if waiting.target_path is None:
            return waiting, False  # a full scan covers every path
        covered = Path(waiting.target_path)
        if covered == target or covered in target.parents:
            return waiting, False
        if target in covered.parents:
            waiting.target_path = str(target)  # widened; the row is locked, not yet started
            await session.flush()
            return waiting, False
    return await _new_scan(session, library_id, target), True


async def request_targeted_scan(session: AsyncSession, paths: Sequence[str]) -> list[LibraryScan]:
    """Scan these folders or files (absolute, as this server sees them) soon: for each, the
    library whose folder holds it gets a targeted scan of it (the library's folder itself: a
    full scan), queued with its job in the caller's transaction. A targeted scan applies the
    full scan's rules to its subtree: new items (``library.item_added``), changed files,
    renames, missing items (``library.item_removed``).

    Returns one scan per path inside a library, in order (paths covered by the same waiting
    scan share it); paths outside every library are left out.
    """
    libraries = [
        (library_id, Path(path)) for library_id, path in await repository.library_folders(session)
    ]
    scans: list[LibraryScan] = []
    for raw in paths:
        target = _as_server_path(raw)
        owner = next(
            (
                (library_id, root)
                for library_id, root in libraries
                if target is not None and (target == root or root in target.parents)
            ),
            None,
        )
        if target is None or owner is None:
            log.info("library.scan_path_outside_libraries", path=raw)
            continue
        library_id, root = owner
        if target == root:
            scans.append(await request_scan(session, library_id))
            continue
        scan, created = await _targeted_scan(session, library_id, target)
        if created:
            await tasks.schedule_scan(session, scan.id, library_id)
        scans.append(scan)
    return scans


async def next_queued_scan(session: AsyncSession, library_id: uuid.UUID) -> uuid.UUID | None:
    """The library's oldest queued scan (what its scan job runs next)."""
    return await repository.next_queued_scan_id(session, library_id)


def _busy_after(now: datetime) -> datetime:
    return now - timedelta(seconds=STALE_SCAN_SECONDS)


async def queue_due_scans(session: AsyncSession, now: datetime | None = None) -> list[LibraryScan]:
    """The schedule: a full scan for every library whose interval has passed since its last
    full scan ended (or that never had one), unless a scan of it waits or runs."""
    now = now or clock.utcnow()
    queued = []
    for library_id in await repository.libraries_due_for_scan(session, now, _busy_after(now)):
        queued.append(await request_scan(session, library_id))
    if queued:
        log.info("library.scheduled_scans_queued", libraries=len(queued))
    return queued


async def requeue_stranded_scans(session: AsyncSession, now: datetime | None = None) -> int:
    """Give a job back to libraries whose queued scans lost theirs (a job that failed on one
    scan leaves the ones behind it queued); the queueing lock makes this a no-op where a job
    still waits."""
    now = now or clock.utcnow()
    stranded = await repository.libraries_with_stranded_scans(
        session, now - STRANDED_AFTER, _busy_after(now)
    )
    for library_id, scan_id in stranded:
        await tasks.schedule_scan(session, scan_id, library_id)
    return len(stranded)


def next_scan_at(library: Library, last_full_scan_end: datetime | None) -> datetime | None:
    """When the schedule queues the library's next full scan (checked every 5 minutes);
    None when it is off. A library never scanned is due at once (its creation time)."""
    if library.scan_interval_minutes <= 0:
        return None
    if last_full_scan_end is None:
        return library.created_at
    return last_full_scan_end + timedelta(minutes=library.scan_interval_minutes)
