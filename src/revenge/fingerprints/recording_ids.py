"""Filling missing MusicBrainz recording ids from AcoustID (optional: needs an API key).

A track whose Chromaprint fingerprint was stored and that has no recording id gets a row in
``acoustid_lookups`` (status ``pending``) in the same transaction; a drain job
(``acoustid_drain``) sends the due rows to AcoustID one by one. This module keeps the rows:
queueing, the periodic sweep, the key's rejection, which recording an answer fills in, and the
admin views.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core import clock
from revenge.core.config import Settings
from revenge.core.media import MediaType
from revenge.fingerprints import tasks
from revenge.fingerprints.acoustid import AcoustidRecording
from revenge.fingerprints.models import AcoustidLookup
from revenge.fingerprints.schemas import AcoustidLookupRead, AcoustidLookupStatus, AcoustidSummary
from revenge.library import lookup as library_lookup
from revenge.library import service as library_service

# The shared rate limit every AcoustID call takes a token of (``core.ratelimit``).
RATE_KEY = "acoustid"
BACKFILL_BATCH = 500
Status = AcoustidLookupStatus


def api_key(settings: Settings) -> str | None:
    key = settings.metadata.acoustid_api_key
    value = key.get_secret_value().strip() if key is not None else ""
    return value if value and settings.metadata.acoustid_api_url else None


def enabled(settings: Settings) -> bool:
    return api_key(settings) is not None


def key_hash(key: str) -> str:
    """Identifies a key in ``api_key_hash`` without storing the key."""
    return hashlib.sha256(key.encode()).hexdigest()[:16]


# --- queueing ----------------------------------------------------------------------------------


async def queue_lookups(
    session: AsyncSession, settings: Settings, track_ids: Iterable[uuid.UUID]
) -> list[uuid.UUID]:
    """Mark the given (just fingerprinted) tracks that have no recording id for a look-up;
    returns those queued. Nothing happens without an API key."""
    if not enabled(settings):
        return []
    ids = await library_service.tracks_without_recording_id(session, track_ids)
    if not ids:
        return []
    now = clock.utcnow()
    stmt = insert(AcoustidLookup).values(
        [
            {"track_id": track_id, "status": Status.pending, "next_attempt_at": now}
            for track_id in ids
        ]
    )
    # A re-fingerprinted file is looked up afresh, whatever the last answer was.
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["track_id"],
            set_={
                "status": Status.pending,
                "attempts": 0,
                "next_attempt_at": now,
                "reason": None,
                "status_code": None,
                "api_key_hash": None,
                "updated_at": func.now(),
            },
        )
    )
    return ids


_REVIVE_AFTER_KEY_CHANGE = text(
    "UPDATE acoustid_lookups SET status = 'pending', next_attempt_at = :now, reason = NULL, "
    "status_code = NULL, api_key_hash = NULL, updated_at = now() "
    "WHERE status = 'failed' AND api_key_hash IS NOT NULL AND api_key_hash <> :key_hash"
)
# Tracks fingerprinted before the key was set (or whose look-up row is gone).
_BACKFILL = text(
    """
    INSERT INTO acoustid_lookups (track_id, status, attempts, next_attempt_at)
    SELECT t.id, 'pending', 0, :now
    FROM tracks t
    WHERE (t.musicbrainz_recording_id IS NULL OR t.musicbrainz_recording_id = '')
      AND EXISTS (SELECT 1 FROM media_fingerprints f WHERE f.subject_type = 'track'
                  AND f.subject_id = t.id AND f.fingerprint_type = 'chromaprint')
      AND NOT EXISTS (SELECT 1 FROM acoustid_lookups l WHERE l.track_id = t.id)
    LIMIT :batch
    ON CONFLICT (track_id) DO NOTHING
    """
)


async def sweep(session: AsyncSession, settings: Settings) -> bool:
    """Periodic upkeep; True when due look-ups wait for a drain job (then one is queued).

    Look-ups refused for an API key that is no longer configured come back, and fingerprinted
    tracks without a look-up are queued (a batch at a time).
    """
    key = api_key(settings)
    if key is None:
        return False
    hashed, now = key_hash(key), clock.utcnow()
    await session.execute(_REVIVE_AFTER_KEY_CHANGE, {"now": now, "key_hash": hashed})
    if await key_rejection(session, hashed) is not None:
        return False
    await session.execute(_BACKFILL, {"now": now, "batch": BACKFILL_BATCH})
    due = await session.execute(
        select(AcoustidLookup.track_id)
        .where(AcoustidLookup.status == Status.pending, AcoustidLookup.next_attempt_at <= now)
        .limit(1)
    )
    if due.first() is None:
        return False
    await tasks.schedule_acoustid(session)
    return True


async def forget_track(session: AsyncSession, track_id: uuid.UUID) -> None:
    await session.execute(delete(AcoustidLookup).where(AcoustidLookup.track_id == track_id))


async def key_rejection(session: AsyncSession, hashed: str) -> str | None:
    """Why AcoustID refused the key with this hash, if it did."""
    row = await session.execute(
        select(AcoustidLookup.reason)
        .where(AcoustidLookup.status == Status.failed, AcoustidLookup.api_key_hash == hashed)
        .limit(1)
    )
    return row.scalar_one_or_none()


# --- choosing among recordings ---------------------------------------------------------------


def _norm(title: str | None) -> str:
    return " ".join((title or "").casefold().split())


def choose_recording(
    recordings: list[AcoustidRecording], track_title: str
) -> AcoustidRecording | None:
    """The one recording to fill in: the only one, or the only one titled like the track."""
    unique = list({r.id: r for r in recordings}.values())
    if len(unique) == 1:
        return unique[0]
    titled = [r for r in unique if _norm(r.title) == _norm(track_title)]
    return titled[0] if len(titled) == 1 else None


# --- admin views -------------------------------------------------------------------------------


async def summary(session: AsyncSession, settings: Settings) -> AcoustidSummary:
    key = api_key(settings)
    rows = await session.execute(
        select(AcoustidLookup.status, func.count()).group_by(AcoustidLookup.status)
    )
    counts = {status: 0 for status in Status}
    for status, count in rows:
        counts[Status(status)] = int(count)
    return AcoustidSummary(
        enabled=key is not None,
        api_url=settings.metadata.acoustid_api_url,
        min_score=settings.metadata.acoustid_min_score,
        requests_per_second=settings.metadata.acoustid_requests_per_second,
        api_key_rejected=await key_rejection(session, key_hash(key)) if key else None,
        counts=counts,
    )


def _read(lookup: AcoustidLookup, track_title: str) -> AcoustidLookupRead:
    return AcoustidLookupRead(
        track_id=lookup.track_id,
        track_title=track_title,
        status=Status(lookup.status),
        score=lookup.score,
        acoustid_id=lookup.acoustid_id,
        recording_id=lookup.recording_id,
        recording_title=lookup.recording_title,
        recording_artist=lookup.recording_artist,
        reason=lookup.reason,
        status_code=lookup.status_code,
        attempts=lookup.attempts,
        next_attempt_at=lookup.next_attempt_at if lookup.status == Status.pending else None,
        looked_up_at=lookup.looked_up_at,
        updated_at=lookup.updated_at,
    )


async def list_lookups(
    session: AsyncSession, status: Status | None, limit: int, offset: int
) -> tuple[list[AcoustidLookupRead], int]:
    """Look-ups, most recently changed first, optionally of one status."""
    where: list[Any] = [] if status is None else [AcoustidLookup.status == status]
    total = await session.scalar(select(func.count()).select_from(AcoustidLookup).where(*where))
    rows = await session.execute(
        select(AcoustidLookup)
        .where(*where)
        .order_by(AcoustidLookup.updated_at.desc(), AcoustidLookup.track_id)
        .limit(limit)
        .offset(offset)
    )
    lookups = list(rows.scalars())
    # Look-ups go with their track (foreign key, cascading), so every one has its title.
    tracks = await library_lookup.resolve(
        session, [library_lookup.MediaRef(MediaType.track, row.track_id) for row in lookups]
    )
    reads = []
    for lookup in lookups:
        track = tracks.get(library_lookup.MediaRef(MediaType.track, lookup.track_id))
        if track is not None:
            reads.append(_read(lookup, track.title))
    return reads, int(total or 0)
