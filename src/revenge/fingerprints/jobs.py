"""FingerprintGenerateJob (per item, and library-wide runs in chunks), DuplicateDetectionJob
(incremental: only the new fingerprints are looked up) and the optional AcoustID look-ups that
fill missing MusicBrainz recording ids. Imported only by the worker; names, retry policies and
scheduling are in ``tasks.py``.

Each body opens its own transaction and calls the use cases, which schedule their own
follow-up jobs (duplicate detection and look-ups after generating, the next chunk, …).
"""

from __future__ import annotations

import uuid

import structlog

from revenge.core import events
from revenge.core.config import get_settings
from revenge.core.db import session_scope
from revenge.core.errors import NotFound
from revenge.core.jobs import implements, job_app
from revenge.fingerprints import acoustid_drain, duplicates, recording_ids, service, tasks
from revenge.fingerprints.schemas import GenerateTarget

log = structlog.get_logger(__name__)


@events.subscribe(events.LibraryItemAdded)
@implements(tasks.GENERATE)
async def generate(media_type: str, media_id: str, library_id: str | None = None) -> None:
    """Fingerprint one item (its file and its images); unchanged files are skipped."""
    try:
        target = GenerateTarget(media_type)
    except ValueError:
        return  # nothing of this type is fingerprinted
    async with session_scope() as session:
        try:
            await service.generate_item(session, get_settings(), target, uuid.UUID(media_id))
        except NotFound:
            log.info("fingerprints.item_gone", media_type=media_type, media_id=media_id)


@events.subscribe(events.LibraryItemRemoved)
@implements(tasks.FORGET_ITEM)
async def forget_item(media_type: str, media_id: str, library_id: str | None = None) -> None:
    """Drop a removed item's fingerprints and duplicate-group memberships."""
    async with session_scope() as session:
        await duplicates.forget_media(session, media_type, uuid.UUID(media_id))
        if media_type == "track":
            await recording_ids.forget_track(session, uuid.UUID(media_id))


@implements(tasks.DETECT_DUPLICATES)
async def detect_duplicates(subjects: list[str]) -> int:
    """Look the given subjects' fingerprints up in the index and join duplicate groups."""
    linked = 0
    async with session_scope() as session:
        for key in subjects:
            subject_type, _, subject_id = key.partition(":")
            linked += await duplicates.detect_for_subject(
                session, get_settings(), subject_type, uuid.UUID(subject_id)
            )
    return linked


@implements(tasks.RUN_LIBRARY)
async def run_library(run_id: str) -> None:
    """One chunk of a library-wide run, then the next chunk as a new job (so progress is
    committed chunk by chunk and a restart resumes from the cursor)."""
    async with session_scope() as session:
        await service.run_chunk(session, get_settings(), uuid.UUID(run_id))


@job_app.periodic(cron="*/10 * * * *")
@implements(tasks.RESUME_RUNS)
async def resume_runs(timestamp: int) -> None:
    """Re-queue a run whose chain of chunk jobs broke (worker killed, retries exhausted)."""
    async with session_scope() as session:
        await service.resume_stalled_runs(session)


@implements(tasks.ACOUSTID_LOOKUP)
async def acoustid_lookup() -> dict[str, int | str | None]:
    """Send the due AcoustID look-ups (spaced by the shared rate limit); the drain hands over
    to a fresh job if more are due or AcoustID asked us to wait."""
    report = await acoustid_drain.drain(get_settings())
    return {
        "looked_up": report.looked_up,
        "filled": report.filled,
        "stopped_because": report.stopped_because,
    }


@job_app.periodic(cron="* * * * *")
@implements(tasks.ACOUSTID_SWEEP)
async def acoustid_sweep(timestamp: int) -> bool:
    """Look-ups whose retry time came, tracks fingerprinted before the key was set, look-ups
    refused for a key since replaced: all get a drain job. Does nothing without a key."""
    async with session_scope() as session:
        return await recording_ids.sweep(session, get_settings())
