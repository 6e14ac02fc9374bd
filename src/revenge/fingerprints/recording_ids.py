"""Filling missing MusicBrainz recording ids from AcoustID (optional: needs an API key).

A track whose Chromaprint fingerprint was stored and that has no recording id gets a row in
``acoustid_lookups`` (status ``pending``) in the same transaction; a drain job sends the due
rows to AcoustID one by one. Every call holds one of three tokens kept in PostgreSQL
(``core.ratelimit.call_slot``) until a second after its answer, so the whole installation,
however many workers it runs, never has AcoustID see more than 3 requests within one second.
Errors that pass (5xx, 429, time-outs) put the row back with a backoff; a rejected API key
stops every look-up until the key changes; a result is accepted only above the score threshold
and only fills an empty id.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import structlog
from sqlalchemy import delete, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core import clock, ratelimit
from revenge.core.config import Settings
from revenge.core.db import session_scope
from revenge.core.http import PermanentError, RetryableError, backoff_seconds
from revenge.core.media import MediaType
from revenge.fingerprints import repository as repo
from revenge.fingerprints import tasks
from revenge.fingerprints.acoustid import (
    AcoustidClient,
    AcoustidKeyRejected,
    AcoustidRateLimited,
    AcoustidRecording,
    AcoustidResult,
)
from revenge.fingerprints.engines import FingerprintType
from revenge.fingerprints.engines import chromaprint as cp
from revenge.fingerprints.models import AcoustidLookup
from revenge.fingerprints.schemas import AcoustidLookupRead, AcoustidLookupStatus, AcoustidSummary
from revenge.library import lookup as library_lookup
from revenge.library import service as library_service

log = structlog.get_logger(__name__)

RATE_KEY = "acoustid"
REQUEST_TIMEOUT_SECONDS = 15.0
# A call token held longer than this (its worker died mid-call) frees up by itself.
SLOT_LEASE_SECONDS = REQUEST_TIMEOUT_SECONDS + 15.0
# A free token this close is waited for inside the job; a longer wait (AcoustID asked us to
# back off) ends the drain and a later job picks up.
MAX_INLINE_WAIT_SECONDS = 5.0
# One drain job works this long, then hands over to a fresh job (progress is committed per row).
DRAIN_SECONDS = 60.0
BACKOFF_BASE_SECONDS = 30.0
BACKOFF_CAP_SECONDS = 6 * 3600.0
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


# --- the drain -------------------------------------------------------------------------------


@dataclass
class DrainReport:
    looked_up: int = 0
    filled: int = 0
    stopped_because: str | None = None
    # rate_limited: seconds until the next slot; budget: more rows are due right away.
    retry_in: float | None = None

    @property
    def more_due(self) -> bool:
        return self.stopped_because == "budget"


async def _claim_due(session: AsyncSession) -> AcoustidLookup | None:
    # SKIP LOCKED: drains running on several workers each take a different row.
    rows = await session.execute(
        select(AcoustidLookup)
        .where(
            AcoustidLookup.status == Status.pending,
            AcoustidLookup.next_attempt_at <= clock.utcnow(),
        )
        .order_by(AcoustidLookup.next_attempt_at, AcoustidLookup.track_id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    return rows.scalar_one_or_none()


def _finish(lookup: AcoustidLookup, status: Status, reason: str | None = None) -> None:
    lookup.status = status
    lookup.reason = reason
    lookup.status_code = None


async def _chromaprint(session: AsyncSession, track_id: uuid.UUID) -> tuple[str, int] | None:
    """The track's compressed fingerprint and its duration in whole seconds."""
    for row in await repo.fingerprints_of(session, "track", track_id):
        if row.fingerprint_type == FingerprintType.chromaprint and row.duration_ms:
            return cp.compress(cp.from_bytes(row.fingerprint_data)), round(row.duration_ms / 1000)
    return None


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


def _candidate(lookup: AcoustidLookup, recording: AcoustidRecording) -> None:
    lookup.recording_id = recording.id
    lookup.recording_title = recording.title
    lookup.recording_artist = recording.artist


async def _apply(
    session: AsyncSession,
    settings: Settings,
    lookup: AcoustidLookup,
    track: library_lookup.MediaItem,
    results: list[AcoustidResult],
) -> bool:
    """Record what AcoustID answered and fill the id if it qualifies; True if filled."""
    lookup.recording_id = lookup.recording_title = lookup.recording_artist = None
    lookup.score = results[0].score if results else None
    lookup.acoustid_id = results[0].id if results else None
    best = next((r for r in results if r.recordings), None)
    if best is None:
        _finish(
            lookup, Status.no_match, "a known fingerprint, but no recording" if results else None
        )
        return False
    lookup.score, lookup.acoustid_id = best.score, best.id
    min_score = settings.metadata.acoustid_min_score
    if best.score < min_score:
        _candidate(lookup, best.recordings[0])
        _finish(lookup, Status.low_score, f"score {best.score:.2f} is below {min_score:.2f}")
        return False
    chosen = choose_recording(best.recordings, track.title)
    if chosen is None:
        _candidate(lookup, best.recordings[0])
        ids = ", ".join(dict.fromkeys(r.id for r in best.recordings))
        _finish(lookup, Status.ambiguous, f"several recordings: {ids}")
        return False
    _candidate(lookup, chosen)
    if not await library_service.fill_recording_id(session, track.id, chosen.id):
        _finish(lookup, Status.tagged)
        return False
    _finish(lookup, Status.matched)
    log.info(
        "acoustid.recording_filled",
        track_id=str(track.id),
        recording_id=chosen.id,
        acoustid_id=best.id,
        score=best.score,
    )
    return True


async def _postpone(lookup: AcoustidLookup, exc: RetryableError) -> float:
    lookup.attempts += 1
    delay = backoff_seconds(
        lookup.attempts - 1,
        base=BACKOFF_BASE_SECONDS,
        cap=BACKOFF_CAP_SECONDS,
        retry_after=exc.retry_after,
    )
    lookup.next_attempt_at = clock.utcnow() + timedelta(seconds=delay)
    lookup.reason, lookup.status_code = exc.reason, exc.status_code
    if isinstance(exc, AcoustidRateLimited):
        # Every worker holds off, not only this row.
        await ratelimit.hold_slots(RATE_KEY, exc.retry_after or BACKOFF_BASE_SECONDS)
    return delay


async def _look_up_one(
    session: AsyncSession,
    settings: Settings,
    client: AcoustidClient,
    hashed: str,
    report: DrainReport,
) -> bool:
    """Handle the next due row; False when the drain should stop (``report`` says why)."""
    if await key_rejection(session, hashed) is not None:
        report.stopped_because = "api_key_rejected"
        return False
    lookup = await _claim_due(session)
    if lookup is None:
        report.stopped_because = "empty"
        return False
    track = await library_lookup.resolve_one(
        session, library_lookup.MediaRef(MediaType.track, lookup.track_id)
    )
    if track is None:
        await session.delete(lookup)
        return True
    if track.external_ids.musicbrainz_recording:
        _finish(lookup, Status.tagged)
        return True
    fingerprint = await _chromaprint(session, track.id)
    if fingerprint is None or fingerprint[1] < 1:
        _finish(lookup, Status.failed, "no Chromaprint fingerprint with a duration")
        return True
    try:
        async with ratelimit.call_slot(
            RATE_KEY,
            limit=settings.metadata.acoustid_requests_per_second,
            per_seconds=1.0,
            lease_seconds=SLOT_LEASE_SECONDS,
            max_wait_seconds=MAX_INLINE_WAIT_SECONDS,
        ):
            report.looked_up += 1
            lookup.looked_up_at = clock.utcnow()
            results = await client.lookup(*fingerprint)
    except ratelimit.SlotUnavailable as exc:
        report.stopped_because, report.retry_in = "rate_limited", exc.wait
        return False
    except AcoustidKeyRejected as exc:
        lookup.attempts += 1
        _finish(lookup, Status.failed, exc.reason)
        lookup.status_code, lookup.api_key_hash = exc.status_code, hashed
        log.error("acoustid.api_key_rejected", reason=exc.reason)
        report.stopped_because = "api_key_rejected"
        return False
    except RetryableError as exc:
        delay = await _postpone(lookup, exc)
        log.warning(
            "acoustid.lookup_postponed", track_id=str(track.id), reason=exc.reason, delay=delay
        )
        # The service is struggling: the rest waits for the sweep rather than piling on.
        report.stopped_because, report.retry_in = "retry_later", delay
        return False
    except PermanentError as exc:
        lookup.attempts += 1
        _finish(lookup, Status.failed, exc.reason)
        lookup.status_code = exc.status_code
        return True
    lookup.attempts += 1
    if await _apply(session, settings, lookup, track, results):
        report.filled += 1
    return True


async def drain(settings: Settings, *, budget_seconds: float = DRAIN_SECONDS) -> DrainReport:
    """Look up due tracks one at a time (each row its own transaction) until none is due,
    AcoustID asks us to wait, or the time budget is spent; then hand over to a fresh drain
    job if more are due or AcoustID asked us to wait."""
    report = await _drain(settings, budget_seconds)
    if report.more_due or report.stopped_because == "rate_limited":
        async with session_scope() as session:
            wait = int(report.retry_in or 0) + 1 if report.retry_in else None
            await tasks.schedule_acoustid(session, in_seconds=wait)
    return report


async def _drain(settings: Settings, budget_seconds: float) -> DrainReport:
    report = DrainReport()
    key = api_key(settings)
    if key is None:
        report.stopped_because = "disabled"
        return report
    hashed = key_hash(key)
    deadline = time.monotonic() + budget_seconds
    async with AcoustidClient(
        settings.metadata.acoustid_api_url, key, timeout=REQUEST_TIMEOUT_SECONDS
    ) as client:
        while True:
            if time.monotonic() >= deadline:
                report.stopped_because = "budget"
                return report
            async with session_scope() as session:
                if not await _look_up_one(session, settings, client, hashed, report):
                    return report


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
