"""Fingerprint use cases: generate (one item or the whole library in resumable chunks), match
an upload or raw fingerprint against the library, and keep duplicate groups up to date."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core import clock
from revenge.core.config import Settings
from revenge.core.errors import NotFound, Unprocessable
from revenge.fingerprints import recording_ids, tasks
from revenge.fingerprints import repository as repo
from revenge.fingerprints.engines import FingerprintError, FingerprintType, SourceKind, engine_for
from revenge.fingerprints.engines import chromaprint as cp
from revenge.fingerprints.engines import phash as ph
from revenge.fingerprints.models import FingerprintRun, MediaFingerprint
from revenge.fingerprints.schemas import (
    FingerprintRead,
    GenerateItemResult,
    GenerateOutcome,
    GenerateTarget,
    MatchHit,
    MatchResult,
    MatchThreshold,
    RunRead,
)
from revenge.fingerprints.subjects import (
    ITEM_SUBJECTS,
    count_subjects,
    load_subject,
    next_subjects,
)
from revenge.library import lookup

RECENT_ERRORS_KEPT = 20
Subject = tuple[str, uuid.UUID]


def fingerprint_read(row: MediaFingerprint) -> FingerprintRead:
    is_phash = row.fingerprint_type == FingerprintType.phash and row.phash is not None
    return FingerprintRead(
        id=row.id,
        subject_type=row.subject_type,
        subject_id=row.subject_id,
        media_type=row.media_type,
        media_id=row.media_id,
        source_kind=row.source_kind,
        fingerprint_type=FingerprintType(row.fingerprint_type),
        frame_index=row.frame_index,
        duration_ms=row.duration_ms,
        algorithm=row.algorithm,
        algorithm_version=row.algorithm_version,
        source_path=row.source_path,
        source_size=row.source_size,
        phash=ph.to_hex(row.phash) if is_phash and row.phash is not None else None,
        length=None if is_phash else len(row.fingerprint_data) // 4,
        created_at=row.created_at,
    )


def _unchanged(existing: list[MediaFingerprint], subject: repo.Subject) -> bool:
    current = {cp.ALGORITHM_VERSION, ph.ALGORITHM_VERSION}
    return bool(existing) and all(
        row.source_path == subject.path
        and row.source_size == subject.size
        and row.source_mtime == subject.mtime
        and row.algorithm_version in current
        for row in existing
    )


async def generate_subject(
    session: AsyncSession,
    settings: Settings,
    subject_type: str,
    subject_id: uuid.UUID,
    *,
    force: bool = False,
) -> GenerateOutcome:
    """Fingerprint one track/film/episode/image; files unchanged since last time are skipped.

    A file that cannot be fingerprinted is recorded as a failure with its reason, not raised:
    one bad file must not stop a library-wide run.
    """
    subject = await load_subject(session, subject_type, subject_id)
    if subject is None:
        raise NotFound("fingerprint.item_not_found", type=subject_type, id=str(subject_id))
    outcome = GenerateOutcome(subject_type=subject_type, subject_id=subject_id, status="generated")
    if not subject.path:
        outcome.status = "no_file"
        return outcome
    existing = await repo.fingerprints_of(session, subject_type, subject_id)
    if not force and _unchanged(existing, subject):
        outcome.status = "unchanged"
        outcome.fingerprints = [fingerprint_read(row) for row in existing]
        return outcome
    try:
        fingerprints = await engine_for(subject.source_kind, settings).fingerprint_file(
            Path(subject.path)
        )
    except FingerprintError as exc:
        await repo.record_failure(session, subject, exc.reason)
        outcome.status, outcome.reason = "failed", exc.reason
        return outcome
    rows = await repo.replace_fingerprints(session, subject, fingerprints)
    outcome.fingerprints = [fingerprint_read(row) for row in rows]
    return outcome


async def generate_item(
    session: AsyncSession,
    settings: Settings,
    target: GenerateTarget,
    media_id: uuid.UUID,
    *,
    force: bool = False,
) -> GenerateItemResult:
    """Fingerprint an item's own file (track/film/episode) and all of its images, and queue
    what follows from the new fingerprints (see ``after_generation``)."""
    subjects: list[Subject] = []
    if target == GenerateTarget.image:
        subjects.append(("image", media_id))
    else:
        item = await lookup.resolve_one(session, lookup.MediaRef.of(target.value, media_id))
        if item is None:
            raise NotFound("fingerprint.item_not_found", type=target.value, id=str(media_id))
        if target.value in ITEM_SUBJECTS:
            subjects.append((target.value, media_id))
        subjects += [("image", image_id) for image_id in sorted(i.id for i in item.images)]
    outcomes = [
        await generate_subject(session, settings, subject_type, subject_id, force=force)
        for subject_type, subject_id in subjects
    ]
    generated = [(o.subject_type, o.subject_id) for o in outcomes if o.status == "generated"]
    await after_generation(session, settings, generated)
    return GenerateItemResult(media_type=target.value, media_id=media_id, outcomes=outcomes)


async def after_generation(
    session: AsyncSession, settings: Settings, subjects: list[Subject]
) -> None:
    """In the transaction that stored new fingerprints: queue duplicate detection, and an
    AcoustID look-up for new track fingerprints without a recording id (if a key is set)."""
    await tasks.schedule_detection(session, subjects)
    tracks = [subject_id for subject_type, subject_id in subjects if subject_type == "track"]
    if tracks and await recording_ids.queue_lookups(session, settings, tracks):
        await tasks.schedule_acoustid(session)


# --- matching --------------------------------------------------------------------------------


def _max_offset_items(settings: Settings) -> int:
    return int(settings.fingerprint.audio_max_offset_seconds / cp.ITEM_SECONDS)


async def _titles(session: AsyncSession, hits: list[MatchHit]) -> None:
    refs = [lookup.MediaRef.of(hit.media_type, hit.media_id) for hit in hits]
    titles = await lookup.display_titles(session, refs)
    for hit, ref in zip(hits, refs, strict=True):
        hit.title = titles.get(ref)


async def match_chromaprint(
    session: AsyncSession,
    settings: Settings,
    values: np.ndarray,
    *,
    limit: int = 10,
    exclude: Subject | None = None,
) -> list[MatchHit]:
    """Library tracks whose audio matches ``values`` (BER at the best offset ≤ the threshold)."""
    max_ber = settings.fingerprint.audio_max_ber
    candidates = await repo.chromaprint_candidates(
        session, cp.query_terms(values), limit=max(25, limit), exclude=exclude
    )
    if candidates:
        # The same audio shares many terms; a candidate with a quarter of the best one's
        # shared terms is a chance collision, not worth fetching and aligning.
        floor = max(1, candidates[0].shared // 4)
        candidates = [row for row in candidates if row.shared >= floor]
    data = await repo.fingerprint_data(session, [row.id for row in candidates])
    hits: list[MatchHit] = []
    for row in candidates:
        aligned = cp.compare(
            values, cp.from_bytes(data[row.id]), max_offset=_max_offset_items(settings)
        )
        if aligned.ber <= max_ber:
            hits.append(
                MatchHit(
                    subject_type=row.subject_type,
                    subject_id=row.subject_id,
                    media_type=row.media_type,
                    media_id=row.media_id,
                    title=None,
                    score=aligned.score,
                    ber=round(aligned.ber, 4),
                    offset_seconds=round(aligned.offset * cp.ITEM_SECONDS, 2),
                )
            )
    hits.sort(key=lambda hit: -hit.score)
    return hits[:limit]


async def match_phash(
    session: AsyncSession,
    value: int,
    max_distance: int,
    *,
    kind: SourceKind = SourceKind.image,
    limit: int = 10,
    exclude: Subject | None = None,
) -> list[MatchHit]:
    rows = await repo.phash_near(
        session, value, max_distance, kind=kind, exclude=exclude, limit=limit
    )
    return [
        MatchHit(
            subject_type=row.subject_type,
            subject_id=row.subject_id,
            media_type=row.media_type,
            media_id=row.media_id,
            title=None,
            score=round(1.0 - row.distance / 64.0, 4),
            distance=int(row.distance),
        )
        for row in rows
    ]


async def match_raw(
    session: AsyncSession,
    settings: Settings,
    fingerprint_type: FingerprintType,
    *,
    values: list[int] | None = None,
    phash_hex: str | None = None,
    limit: int = 10,
) -> MatchResult:
    if fingerprint_type == FingerprintType.chromaprint:
        if not values:
            raise Unprocessable("fingerprint.match_input_missing", field="fingerprint")
        if any(v < -(2**31) or v >= 2**32 for v in values):
            raise Unprocessable("fingerprint.match_input_invalid", field="fingerprint")
        array = cp.to_array(values)
        hits = await match_chromaprint(session, settings, array, limit=limit)
        await _titles(session, hits)
        return MatchResult(
            fingerprint_type=fingerprint_type,
            threshold=MatchThreshold(max_ber=settings.fingerprint.audio_max_ber),
            query_length=len(array),
            matches=hits,
        )
    if not phash_hex:
        raise Unprocessable("fingerprint.match_input_missing", field="phash")
    value = ph.from_hex(phash_hex)
    max_distance = settings.fingerprint.image_max_distance
    hits = await match_phash(session, value, max_distance, limit=limit)
    await _titles(session, hits)
    return MatchResult(
        fingerprint_type=fingerprint_type,
        threshold=MatchThreshold(max_distance=max_distance),
        query_phash=ph.to_hex(value),
        matches=hits,
    )


def _hash_image_file(path: Path) -> int:
    return ph.hash_image_bytes(path.read_bytes())


async def match_file(
    session: AsyncSession, settings: Settings, path: Path, *, limit: int = 10
) -> MatchResult:
    """Match an uploaded file: an image by pHash, anything else as audio by Chromaprint."""
    try:
        value = await asyncio.to_thread(_hash_image_file, path)
    except FingerprintError:
        value = None
    if value is not None:
        return await match_raw(
            session, settings, FingerprintType.phash, phash_hex=ph.to_hex(value), limit=limit
        )
    fp = settings.fingerprint
    engine = cp.ChromaprintEngine(fp.fpcalc_path, fp.audio_length_seconds, fp.tool_timeout_seconds)
    try:
        values, _ = await engine.raw(path)
    except FingerprintError as exc:
        raise Unprocessable("fingerprint.unreadable_upload", reason=exc.reason) from exc
    return await match_raw(
        session, settings, FingerprintType.chromaprint, values=[int(v) for v in values], limit=limit
    )


# --- library-wide runs -------------------------------------------------------------------


def run_read(run: FingerprintRun) -> RunRead:
    read = RunRead.model_validate(run)
    handled = run.done + run.skipped + run.failed
    read.progress = 1.0 if run.status == "done" else round(min(1.0, handled / max(1, run.total)), 4)
    return read


async def start_run(session: AsyncSession) -> FingerprintRun:
    """A new library-wide run with its first chunk job, or the one already queued/running."""
    active = await repo.active_run(session)
    if active is not None:
        return active
    run = FingerprintRun(status="queued", total=await count_subjects(session))
    session.add(run)
    await session.flush()
    await tasks.schedule_run(session, run.id)
    return run


async def resume_stalled_runs(session: AsyncSession) -> int:
    """Re-queue the runs whose chain of chunk jobs broke (worker killed, retries exhausted);
    returns how many."""
    stalled = await repo.stalled_run_ids(session, tasks.RUN_LIBRARY.name)
    for run_id in stalled:
        await tasks.schedule_run(session, run_id)
    return len(stalled)


async def get_run(session: AsyncSession, run_id: uuid.UUID) -> FingerprintRun:
    run = await repo.get_run(session, run_id)
    if run is None:
        raise NotFound("fingerprint.run_not_found", id=str(run_id))
    return run


async def run_chunk(
    session: AsyncSession, settings: Settings, run_id: uuid.UUID
) -> tuple[bool, list[Subject]]:
    """Fingerprint the next chunk of a run, queue what follows from the new fingerprints and
    the next chunk; returns (more to do?, subjects newly fingerprinted).

    The cursor moves in the same transaction as the fingerprints it covers, so a crash
    repeats at most one chunk and a rerun resumes where the last commit left off.
    """
    run = await repo.get_run(session, run_id, lock=True)
    if run is None or run.status in ("done", "failed"):
        return False, []
    if run.status == "queued":
        run.status, run.started_at = "running", clock.utcnow()
    generated: list[Subject] = []
    budget = settings.fingerprint.run_chunk_size
    while budget > 0 and run.stage < len(repo.RUN_STAGES):
        subject_type = repo.RUN_STAGES[run.stage]
        ids = await next_subjects(session, run.stage, run.cursor, budget)
        if not ids:
            run.stage, run.cursor = run.stage + 1, None
            continue
        for subject_id in ids:
            outcome = await generate_subject(session, settings, subject_type, subject_id)
            if outcome.status == "generated":
                run.done += 1
                generated.append((subject_type, subject_id))
            elif outcome.status == "failed":
                run.failed += 1
                errors = [
                    *run.recent_errors,
                    {
                        "subject_type": subject_type,
                        "subject_id": str(subject_id),
                        "reason": outcome.reason,
                    },
                ]
                run.recent_errors = errors[-RECENT_ERRORS_KEPT:]
            else:
                run.skipped += 1
        run.cursor = ids[-1]
        budget -= len(ids)
    more = run.stage < len(repo.RUN_STAGES)
    if not more:
        run.status, run.finished_at = "done", clock.utcnow()
    await session.flush()
    await after_generation(session, settings, generated)
    if more:
        await tasks.schedule_next_chunk(session, run_id)
    return more, generated
