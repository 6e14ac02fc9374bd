"""Queries: storing hashes, index look-ups and runs (what there is to fingerprint is read
through the library, in ``subjects``; the duplicate groups are in ``duplicate_queries``)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.fingerprints.engines import Fingerprint, SourceKind
from revenge.fingerprints.engines.phash import chunk_radius, chunks, neighbours
from revenge.fingerprints.models import (
    FingerprintFailure,
    FingerprintRun,
    MediaFingerprint,
)

# What a subject type is fingerprinted from, in the order a library-wide run visits them.
SOURCE_KINDS = {
    "image": SourceKind.image,
    "track": SourceKind.audio,
    "movie": SourceKind.video,
    "episode": SourceKind.video,
}
RUN_STAGES = list(SOURCE_KINDS)


@dataclass(frozen=True)
class Subject:
    """Something with one file that gets fingerprinted, and the library item it belongs to."""

    subject_type: str
    subject_id: uuid.UUID
    media_type: str
    media_id: uuid.UUID
    path: str | None
    size: int
    mtime: float

    @property
    def source_kind(self) -> SourceKind:
        return SOURCE_KINDS[self.subject_type]


async def fingerprints_of(
    session: AsyncSession, subject_type: str, subject_id: uuid.UUID
) -> list[MediaFingerprint]:
    rows = await session.execute(
        select(MediaFingerprint)
        .where(
            MediaFingerprint.subject_type == subject_type,
            MediaFingerprint.subject_id == subject_id,
        )
        .order_by(MediaFingerprint.frame_index)
    )
    return list(rows.scalars())


async def fingerprints_of_media(
    session: AsyncSession, media_type: str, media_id: uuid.UUID
) -> list[MediaFingerprint]:
    rows = await session.execute(
        select(MediaFingerprint)
        .where(MediaFingerprint.media_type == media_type, MediaFingerprint.media_id == media_id)
        .order_by(MediaFingerprint.subject_type, MediaFingerprint.frame_index)
    )
    return list(rows.scalars())


async def replace_fingerprints(
    session: AsyncSession, subject: Subject, fingerprints: Sequence[Fingerprint]
) -> list[MediaFingerprint]:
    # Two generations of one subject at once (the job queued by the scan and an admin's
    # "fingerprint now") would both insert after deleting nothing: the second waits here for
    # the first to commit, then its delete sees (and replaces) the first one's rows.
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"revenge.fingerprints:{subject.subject_type}:{subject.subject_id}"},
    )
    await session.execute(
        delete(MediaFingerprint).where(
            MediaFingerprint.subject_type == subject.subject_type,
            MediaFingerprint.subject_id == subject.subject_id,
        )
    )
    rows = [
        MediaFingerprint(
            media_type=subject.media_type,
            media_id=subject.media_id,
            subject_type=subject.subject_type,
            subject_id=subject.subject_id,
            source_kind=subject.source_kind.value,
            fingerprint_type=fp.fingerprint_type.value,
            frame_index=fp.frame_index,
            fingerprint_data=fp.data,
            phash=fp.phash,
            match_terms=fp.terms or None,
            duration_ms=fp.duration_ms,
            algorithm=fp.algorithm,
            algorithm_version=fp.algorithm_version,
            source_path=subject.path or "",
            source_size=subject.size,
            source_mtime=subject.mtime,
        )
        for fp in fingerprints
    ]
    session.add_all(rows)
    await session.flush()
    await clear_failure(session, subject)
    return rows


async def record_failure(session: AsyncSession, subject: Subject, reason: str) -> None:
    stmt = insert(FingerprintFailure).values(
        subject_type=subject.subject_type,
        subject_id=subject.subject_id,
        source_path=subject.path,
        reason=reason,
    )
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["subject_type", "subject_id"],
            set_={
                "reason": stmt.excluded.reason,
                "source_path": stmt.excluded.source_path,
                "updated_at": func.now(),
            },
        )
    )


async def clear_failure(session: AsyncSession, subject: Subject) -> None:
    await session.execute(
        delete(FingerprintFailure).where(
            FingerprintFailure.subject_type == subject.subject_type,
            FingerprintFailure.subject_id == subject.subject_id,
        )
    )


# Candidates share at least one indexed term (GIN on match_terms); the ones sharing most are
# scored first. Without the index this would compare against every stored fingerprint.
_CHROMAPRINT_CANDIDATES = text(
    """
    SELECT id, subject_type, subject_id, media_type, media_id, shared
    FROM (
        SELECT id, subject_type, subject_id, media_type, media_id,
               cardinality(ARRAY(SELECT unnest(match_terms)
                                 INTERSECT SELECT unnest(CAST(:terms AS int[])))) AS shared
        FROM media_fingerprints
        WHERE fingerprint_type = 'chromaprint' AND match_terms && CAST(:terms AS int[])
          AND NOT (subject_type = :exclude_type AND subject_id = CAST(:exclude_id AS uuid))
    ) AS candidates
    ORDER BY shared DESC
    LIMIT :limit
    """
)


async def chromaprint_candidates(
    session: AsyncSession,
    terms: list[int],
    *,
    limit: int = 25,
    exclude: tuple[str, uuid.UUID] | None = None,
) -> list[Any]:
    if not terms:
        return []
    exclude_type, exclude_id = exclude or ("", uuid.UUID(int=0))
    # PostgreSQL cannot estimate `&&` on random terms (it guesses half the table) and would
    # scan every row with a quadratic array overlap: seconds instead of milliseconds. The
    # GIN index is always right here, so the planner is told so for this one statement.
    await session.execute(text("SELECT set_config('enable_seqscan', 'off', true)"))
    rows = await session.execute(
        _CHROMAPRINT_CANDIDATES,
        {
            "terms": terms,
            "limit": limit,
            "exclude_type": exclude_type,
            "exclude_id": str(exclude_id),
        },
    )
    found = list(rows)
    await session.execute(text("SELECT set_config('enable_seqscan', 'on', true)"))
    return found


async def fingerprint_data(
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, bytes]:
    rows = await session.execute(
        select(MediaFingerprint.id, MediaFingerprint.fingerprint_data).where(
            MediaFingerprint.id.in_(ids)
        )
    )
    return {row[0]: row[1] for row in rows}


_PHASH_NEAR = text(
    """
    SELECT subject_type, subject_id, media_type, media_id, frame_index, phash,
           bit_count(CAST((phash # :q) AS bit(64))) AS distance
    FROM media_fingerprints
    WHERE (c0 = ANY(:n0) OR c1 = ANY(:n1) OR c2 = ANY(:n2) OR c3 = ANY(:n3))
      AND fingerprint_type = 'phash' AND source_kind = :kind
      AND (CAST(:frame AS int) IS NULL OR frame_index = :frame)
      AND bit_count(CAST((phash # :q) AS bit(64))) <= :d
      AND NOT (subject_type = :exclude_type AND subject_id = CAST(:exclude_id AS uuid))
    ORDER BY distance
    LIMIT :limit
    """
)


async def phash_near(
    session: AsyncSession,
    value: int,
    max_distance: int,
    *,
    kind: SourceKind,
    frame_index: int | None = None,
    exclude: tuple[str, uuid.UUID] | None = None,
    limit: int = 50,
) -> list[Any]:
    """Stored pHashes within ``max_distance`` of ``value`` via the four chunk indexes.

    Looking up every chunk value within ``d // 4`` bits makes the search exact (pigeonhole).
    """
    radius = chunk_radius(max_distance)
    params: dict[str, Any] = {
        f"n{i}": neighbours(chunk, radius) for i, chunk in enumerate(chunks(value))
    }
    exclude_type, exclude_id = exclude or ("", uuid.UUID(int=0))
    params.update(
        q=value,
        d=max_distance,
        kind=kind.value,
        frame=frame_index,
        exclude_type=exclude_type,
        exclude_id=str(exclude_id),
        limit=limit,
    )
    return list(await session.execute(_PHASH_NEAR, params))


# --- runs ----------------------------------------------------------------------------------


async def active_run(session: AsyncSession) -> FingerprintRun | None:
    return (
        await session.execute(
            select(FingerprintRun)
            .where(FingerprintRun.status.in_(("queued", "running")))
            .order_by(FingerprintRun.created_at)
            .limit(1)
        )
    ).scalar_one_or_none()


async def get_run(
    session: AsyncSession, run_id: uuid.UUID, *, lock: bool = False
) -> FingerprintRun | None:
    query = select(FingerprintRun).where(FingerprintRun.id == run_id)
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def stalled_run_ids(session: AsyncSession, chunk_task_name: str) -> list[str]:
    """Queued or running runs with no chunk job (``chunk_task_name``) waiting or running."""
    rows = await session.execute(
        text(
            "SELECT CAST(r.id AS text) FROM fingerprint_runs r WHERE r.status IN ('queued', 'running') "
            "AND NOT EXISTS (SELECT 1 FROM procrastinate_jobs j WHERE j.task_name = :task "
            "AND j.status IN ('todo', 'doing') AND j.args->>'run_id' = CAST(r.id AS text))"
        ),
        {"task": chunk_task_name},
    )
    return list(rows.scalars())
