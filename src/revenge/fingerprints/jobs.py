"""FingerprintGenerateJob (per item, and library-wide runs in chunks), DuplicateDetectionJob
(incremental: only the new fingerprints are looked up) and the optional AcoustID look-ups that
fill missing MusicBrainz recording ids."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

import structlog
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core import events
from revenge.core.config import Settings, get_settings
from revenge.core.db import session_scope
from revenge.core.errors import NotFound
from revenge.core.jobs import DEFAULT_RETRY, defer, job_app
from revenge.fingerprints import duplicates, recording_ids, service
from revenge.fingerprints.schemas import GenerateItemResult, GenerateTarget

log = structlog.get_logger(__name__)


def _subject_key(subject_type: str, subject_id: uuid.UUID) -> str:
    return f"{subject_type}:{subject_id}"


async def defer_detection(session: AsyncSession, subjects: Iterable[tuple[str, uuid.UUID]]) -> None:
    keys = [_subject_key(*subject) for subject in subjects]
    if keys:
        await defer(session, detect_duplicates, subjects=keys)


def generated_subjects(result: GenerateItemResult) -> list[tuple[str, uuid.UUID]]:
    return [(o.subject_type, o.subject_id) for o in result.outcomes if o.status == "generated"]


async def after_generation(
    session: AsyncSession, settings: Settings, subjects: list[tuple[str, uuid.UUID]]
) -> None:
    """In the transaction that stored new fingerprints: queue duplicate detection, and an
    AcoustID look-up for new track fingerprints without a recording id (if a key is set)."""
    await defer_detection(session, subjects)
    tracks = [subject_id for subject_type, subject_id in subjects if subject_type == "track"]
    if tracks and await recording_ids.queue_lookups(session, settings, tracks):
        await schedule_acoustid(session)


async def schedule_acoustid(session: AsyncSession, *, in_seconds: int | None = None) -> None:
    """Coalesced: one waiting drain job absorbs the others (it sees every pending row)."""
    await defer(
        session,
        acoustid_lookup,
        queueing_lock="fingerprints.acoustid",
        schedule_in={"seconds": in_seconds} if in_seconds else None,
    )


@events.subscribe(events.LIBRARY_ITEM_ADDED)
@job_app.task(name="fingerprints.generate", retry=DEFAULT_RETRY)
async def generate(media_type: str, media_id: str, library_id: str | None = None) -> None:
    """Fingerprint one item (its file and its images); unchanged files are skipped."""
    try:
        target = GenerateTarget(media_type)
    except ValueError:
        return  # nothing of this type is fingerprinted
    async with session_scope() as session:
        settings = get_settings()
        try:
            result = await service.generate_item(session, settings, target, uuid.UUID(media_id))
        except NotFound:
            log.info("fingerprints.item_gone", media_type=media_type, media_id=media_id)
            return
        await after_generation(session, settings, generated_subjects(result))


@events.subscribe(events.LIBRARY_ITEM_REMOVED)
@job_app.task(name="fingerprints.forget_item", retry=DEFAULT_RETRY)
async def forget_item(media_type: str, media_id: str, library_id: str | None = None) -> None:
    """Drop a removed item's fingerprints and duplicate-group memberships."""
    async with session_scope() as session:
        await duplicates.forget_media(session, media_type, uuid.UUID(media_id))
        if media_type == "track":
            await recording_ids.forget_track(session, uuid.UUID(media_id))


@job_app.task(name="fingerprints.detect_duplicates", retry=DEFAULT_RETRY)
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


@job_app.task(name="fingerprints.run_library", retry=DEFAULT_RETRY)
async def run_library(run_id: str) -> None:
    """One chunk of a library-wide run, then the next chunk as a new job (so progress is
    committed chunk by chunk and a restart resumes from the cursor)."""
    settings = get_settings()
    async with session_scope() as session:
        more, generated = await service.run_chunk(session, settings, uuid.UUID(run_id))
        await after_generation(session, settings, generated)
        if more:
            # No queueing lock here: chunks lock the run row, so a stray duplicate job only
            # finds the cursor moved on.
            await defer(session, run_library, run_id=run_id)


@job_app.periodic(cron="*/10 * * * *")
@job_app.task(name="fingerprints.resume_runs", queueing_lock="fingerprints.resume_runs")
async def resume_runs(timestamp: int) -> None:
    """Re-queue a run whose chain of chunk jobs broke (worker killed, retries exhausted)."""
    async with session_scope() as session:
        stalled = await session.execute(
            text(
                "SELECT CAST(r.id AS text) FROM fingerprint_runs r WHERE r.status IN ('queued', 'running') "
                "AND NOT EXISTS (SELECT 1 FROM procrastinate_jobs j WHERE j.task_name = 'fingerprints.run_library' "
                "AND j.status IN ('todo', 'doing') AND j.args->>'run_id' = CAST(r.id AS text))"
            )
        )
        for (run_id,) in stalled:
            await defer(
                session, run_library, queueing_lock=f"fingerprints.run:{run_id}", run_id=run_id
            )


@job_app.task(name="fingerprints.acoustid_lookup", retry=DEFAULT_RETRY)
async def acoustid_lookup() -> dict[str, int | str | None]:
    """Send the due AcoustID look-ups (spaced by the shared rate limit), then hand over to a
    fresh job if more are due or AcoustID asked us to wait."""
    report = await recording_ids.drain(get_settings())
    if report.more_due or report.stopped_because == "rate_limited":
        async with session_scope() as session:
            wait = int(report.retry_in or 0) + 1 if report.retry_in else None
            await schedule_acoustid(session, in_seconds=wait)
    return {
        "looked_up": report.looked_up,
        "filled": report.filled,
        "stopped_because": report.stopped_because,
    }


@job_app.periodic(cron="* * * * *")
@job_app.task(
    name="fingerprints.acoustid_sweep",
    queueing_lock="fingerprints.acoustid_sweep",
    retry=DEFAULT_RETRY,
)
async def acoustid_sweep(timestamp: int) -> bool:
    """Look-ups whose retry time came, tracks fingerprinted before the key was set, look-ups
    refused for a key since replaced: all get a drain job. Does nothing without a key."""
    async with session_scope() as session:
        due = await recording_ids.sweep(session, get_settings())
        if due:
            await schedule_acoustid(session)
        return due
