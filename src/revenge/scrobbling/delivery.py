"""Draining one (user, provider) queue: batches in play order, rate limits, backoff.

Each batch is its own transaction holding the connection row and the items' rows, so a
worker killed mid-batch leaves those items pending (the provider never got an answer to
commit) and two workers never send the same item. Retries wait in ``next_attempt_at``;
the periodic sweep picks them up again, which also makes the queue survive restarts.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core import clock, crypto
from revenge.core.config import Settings
from revenge.core.db import session_scope
from revenge.core.http import ProviderError, backoff_seconds
from revenge.library.snapshots import ItemSnapshot
from revenge.scrobbling import repository as repo
from revenge.scrobbling import tasks
from revenge.scrobbling.connections import (
    fresh_credentials,
    mark_needs_reconnect,
    refresh_credentials,
)
from revenge.scrobbling.models import ScrobbleConnection, ScrobbleQueueItem
from revenge.scrobbling.providers.base import (
    EPHEMERAL_ACTIONS,
    AuthExpired,
    DeliveryResult,
    Outbound,
    Outcome,
    ReconnectRequired,
    ScrobbleProvider,
    retry_rest,
)
from revenge.scrobbling.providers.registry import get_provider

log = structlog.get_logger(__name__)
# Waits up to this long happen inside the job; longer ones are left to the sweep.
MAX_INLINE_WAIT_SECONDS = 5.0
# Last write per (user, provider) in this process, for Trakt's one-POST-per-second rule.
_last_write: dict[tuple[uuid.UUID, str], float] = {}


@dataclass
class DeliveryReport:
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    postponed: int = 0
    batches: int = 0
    stopped_because: str | None = None
    reasons: list[str] = field(default_factory=list)


def _outbound(item: ScrobbleQueueItem) -> Outbound:
    return Outbound(
        id=item.id,
        action=item.action,
        media_type=item.media_type,
        timestamp=item.timestamp,
        progress=item.progress,
        snapshot=ItemSnapshot.from_json(item.payload),
    )


async def _space_writes(provider: ScrobbleProvider, key: tuple[uuid.UUID, str]) -> None:
    if provider.write_interval_seconds <= 0:
        return
    last = _last_write.get(key)
    if last is not None:
        wait = provider.write_interval_seconds - (time.monotonic() - last)
        if wait > 0:
            await asyncio.sleep(wait)


async def _send(
    session: AsyncSession,
    connection: ScrobbleConnection,
    provider: ScrobbleProvider,
    settings: Settings,
    http: Any,
    items: list[Outbound],
) -> DeliveryResult:
    credentials = await fresh_credentials(session, connection, provider, settings, http)
    try:
        return await provider.deliver(http, credentials, items)
    except AuthExpired:
        # One refresh, one more try; a second refusal means the user must reconnect.
        credentials = await refresh_credentials(session, connection, provider, settings, http)
        try:
            return await provider.deliver(http, credentials, items)
        except AuthExpired as exc:
            raise ReconnectRequired(exc.reason, status_code=exc.status_code) from exc


async def _apply(
    session: AsyncSession,
    connection: ScrobbleConnection,
    batch: list[ScrobbleQueueItem],
    outcomes: list[Outcome],
    settings: Settings,
    report: DeliveryReport,
) -> Outcome | None:
    """Record each item's outcome; returns the retry outcome if the provider wants us to wait.

    A rate limit (or ``Retry-After``) holds the whole connection, whichever item it came
    on: a now playing/start/pause is dropped as ever, but its wait is kept in
    ``rate_limited_until`` and every pending item is held until then.
    """
    now = clock.utcnow()
    policy = settings.scrobble
    grouped: dict[tuple[str, str | None, int | None], list[uuid.UUID]] = {}
    retry: list[ScrobbleQueueItem] = []
    retry_outcome: Outcome | None = None
    back_off: Outcome | None = None
    for item, outcome in zip(batch, outcomes, strict=True):
        if outcome.status == "retry":
            if back_off is None and outcome.asks_to_wait:
                back_off = outcome
            if item.action in EPHEMERAL_ACTIONS:
                # Sending "now playing" late would be wrong: give it up.
                grouped.setdefault(
                    ("skipped", f"not retried: {outcome.reason}", outcome.status_code), []
                ).append(item.id)
                report.skipped += 1
                continue
            retry.append(item)
            retry_outcome = retry_outcome or outcome
            continue
        grouped.setdefault((outcome.status, outcome.reason, outcome.status_code), []).append(
            item.id
        )
        if outcome.status == "sent":
            report.sent += 1
        elif outcome.status == "skipped":
            report.skipped += 1
        else:
            report.failed += 1
    for (status, reason, code), ids in grouped.items():
        await repo.mark(session, ids, status=status, now=now, reason=reason, status_code=code)
    waiting = retry_outcome or back_off
    if waiting is None:
        return None
    asked = back_off.retry_after if back_off is not None else waiting.retry_after
    delay = backoff_seconds(
        max((item.retry_count for item in retry), default=0),
        base=policy.backoff_base_seconds,
        cap=policy.backoff_cap_seconds,
        retry_after=asked,
    )
    until = now + timedelta(seconds=delay)
    if retry:
        await repo.postpone(
            session,
            [item.id for item in retry],
            next_attempt_at=until,
            max_attempts=policy.max_attempts,
            reason=waiting.reason,
            status_code=waiting.status_code,
        )
        report.postponed += len(retry)
    if back_off is not None:
        # As long as the provider said; without a figure, our own backoff.
        resume = now + timedelta(seconds=asked if asked is not None else delay)
        if connection.rate_limited_until is None or connection.rate_limited_until < resume:
            connection.rate_limited_until = resume
        if not retry:
            until = resume  # nothing was retried: the queue waits exactly as asked
    # Later plays must not overtake the ones waiting, and the sweep stays quiet meanwhile.
    await repo.hold_queue(session, connection.user_id, connection.provider, until)
    report.reasons.append(waiting.reason or "")
    return waiting


async def deliver_pending_scrobbles(
    user_id: uuid.UUID, provider_name: str, settings: Settings, *, max_batches: int | None = None
) -> DeliveryReport:
    """Send the due items of one user's queue for one provider, oldest play first."""
    provider = get_provider(provider_name, settings)
    report = DeliveryReport()
    async with provider.client() as http:
        while max_batches is None or report.batches < max_batches:
            async with session_scope() as session:
                pause = await _next_batch(session, user_id, provider, settings, http, report)
            if report.stopped_because is not None:
                return report
            if pause:
                if pause > MAX_INLINE_WAIT_SECONDS:
                    report.stopped_because = "rate_limited"
                    return report
                await asyncio.sleep(pause)
    report.stopped_because = report.stopped_because or "batch_limit"
    return report


async def _next_batch(
    session: AsyncSession,
    user_id: uuid.UUID,
    provider: ScrobbleProvider,
    settings: Settings,
    http: Any,
    report: DeliveryReport,
) -> float | None:
    """One transaction: lease the connection and send the head of the queue.

    Sets ``report.stopped_because`` when the drain is over; returns how long to wait before
    the next batch, if the provider asked for a pause."""
    connection, busy = await repo.lease_connection(session, user_id, provider.name.value)
    if connection is None:
        report.stopped_because = "busy" if busy else "not_connected"
        return None
    if not connection.enabled or connection.status != "connected":
        report.stopped_because = connection.status if connection.enabled else "disabled"
        return None
    now = clock.utcnow()
    if connection.rate_limited_until and connection.rate_limited_until > now:
        wait = (connection.rate_limited_until - now).total_seconds()
        if wait > MAX_INLINE_WAIT_SECONDS:
            report.stopped_because = "rate_limited"
            return None
        return wait
    batch = await repo.claim_head(session, user_id, provider.name.value, now, provider.batch_size)
    if not batch:
        report.stopped_because = "empty"
        return None
    report.batches += 1
    stale = await _stale_ephemeral(session, batch, settings)
    if stale:
        await repo.mark(
            session,
            [i.id for i in stale],
            status="skipped",
            now=now,
            reason="superseded by a later event",
        )
        report.skipped += len(stale)
    live = [i for i in batch if i not in stale]
    if not live:
        return None
    return await _send_batch(session, connection, provider, settings, http, live, report)


async def _send_batch(
    session: AsyncSession,
    connection: ScrobbleConnection,
    provider: ScrobbleProvider,
    settings: Settings,
    http: Any,
    live: list[ScrobbleQueueItem],
    report: DeliveryReport,
) -> float | None:
    key = (connection.user_id, provider.name.value)
    await _space_writes(provider, key)
    outbound = [_outbound(i) for i in live]
    try:
        result = await _send(session, connection, provider, settings, http, outbound)
    except ReconnectRequired as exc:
        await mark_needs_reconnect(session, connection, exc.reason, settings)
        report.stopped_because = "needs_reconnect"
        return None
    except crypto.DecryptionError:
        await mark_needs_reconnect(
            session, connection, "stored tokens unreadable (server secret changed)", settings
        )
        report.stopped_because = "needs_reconnect"
        return None
    except ProviderError as exc:
        # Token refresh could not reach the provider: everything waits.
        result = DeliveryResult(retry_rest(outbound, 0, exc))
    finally:
        _last_write[key] = time.monotonic()
    waiting = await _apply(session, connection, live, result.outcomes, settings, report)
    connection.last_error = waiting.reason if waiting else None
    if waiting is not None:
        # Later plays must not overtake the ones now waiting: stop here.
        report.stopped_because = "retry_later"
        return None
    if result.pause_seconds:
        connection.rate_limited_until = clock.utcnow() + timedelta(seconds=result.pause_seconds)
        return result.pause_seconds
    return None


async def _stale_ephemeral(
    session: AsyncSession, batch: list[ScrobbleQueueItem], settings: Settings
) -> list[ScrobbleQueueItem]:
    """Now-playing/start/pause that are too old or already replaced by a newer event."""
    ephemeral = [i for i in batch if i.action in EPHEMERAL_ACTIONS]
    if not ephemeral:
        return []
    cutoff = clock.utcnow() - timedelta(seconds=settings.scrobble.ephemeral_ttl_seconds)
    superseded = await repo.superseded_ids(session, ephemeral)
    return [i for i in ephemeral if i.id in superseded or i.created_at < cutoff]


async def schedule_due_deliveries(session: AsyncSession) -> int:
    """A drain job for every (user, provider) with pending, due items: retries come back,
    restarts lose nothing. Returns how many pairs were found."""
    pairs = await repo.due_pairs(session, clock.utcnow())
    for user_id, provider in pairs:
        await tasks.schedule_delivery(session, user_id, provider)
    return len(pairs)
