"""The AcoustID drain: due ``acoustid_lookups`` rows sent to AcoustID one by one, each in its
own transaction (the rows are queued and kept in ``recording_ids``).

Every call holds one of three tokens kept in PostgreSQL (``core.ratelimit.call_slot``) until a
second after its answer, so the whole installation, however many workers it runs, never has
AcoustID see more than 3 requests within one second. Errors that pass (5xx, 429, time-outs) put
the row back with a backoff; a rejected API key stops every look-up until the key changes; a
result is accepted only above the score threshold and only fills an empty id.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core import clock, ratelimit
from revenge.core.config import Settings
from revenge.core.db import session_scope
from revenge.core.http import PermanentError, RetryableError, backoff_seconds
from revenge.core.media import MediaType
from revenge.fingerprints import recording_ids, tasks
from revenge.fingerprints import repository as repo
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
from revenge.fingerprints.schemas import AcoustidLookupStatus as Status
from revenge.library import lookup as library_lookup
from revenge.library import service as library_service

log = structlog.get_logger(__name__)

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
    chosen = recording_ids.choose_recording(best.recordings, track.title)
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
        await ratelimit.hold_slots(recording_ids.RATE_KEY, exc.retry_after or BACKOFF_BASE_SECONDS)
    return delay


async def _look_up_one(
    session: AsyncSession,
    settings: Settings,
    client: AcoustidClient,
    hashed: str,
    report: DrainReport,
) -> bool:
    """Handle the next due row; False when the drain should stop (``report`` says why)."""
    if await recording_ids.key_rejection(session, hashed) is not None:
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
            recording_ids.RATE_KEY,
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
    key = recording_ids.api_key(settings)
    if key is None:
        report.stopped_because = "disabled"
        return report
    hashed = recording_ids.key_hash(key)
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
