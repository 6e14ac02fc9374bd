"""The inbox drain: a source's stored webhooks turned into plays, a batch per transaction.

A batch takes the source's oldest rows (SKIP LOCKED, so two drains never take the same row),
parses them with the source's sender, upserts the users they name (``users``), rewrites their
paths (``paths``), matches every item in one go (``library.external_match``), and then:

- an event of a linked user and a known item is applied (``apply.apply_play``): new or a
  duplicate (the same event twice changes nothing);
- an event of an unlinked user, or of an item not in the library, is kept (``pending``);
- an event playback refuses (its time lies in the future, say) is recorded as the source's
  last error and dropped.

The rows are deleted and the source's counters moved in the same transaction. Nothing is lost
when something goes wrong: a batch that fails is taken again row by row, and a row that fails
alone keeps its place with one more attempt counted and its error recorded; after
``MAX_ATTEMPTS`` it stays, parked, for an admin to look at. A body that no longer parses is
parked at once. The periodic sweeper defers a drain for rows left behind.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core import clock
from revenge.core.config import Settings
from revenge.core.db import session_scope
from revenge.core.errors import AppError
from revenge.ingest import coalescing, paths, pressure, tasks
from revenge.ingest import repository as repo
from revenge.ingest.apply import apply_play
from revenge.ingest.incoming import IncomingEvent, MalformedPayload
from revenge.ingest.models import IngestSource
from revenge.ingest.pending import PendingRow, keep_pending_rows
from revenge.ingest.senders.registry import sender_for
from revenge.ingest.users import KnownUser, resolve_users
from revenge.library import external_match
from revenge.library.lookup_items import MediaRef
from revenge.playback.service import PlayOrigin

log = structlog.get_logger(__name__)

YIELD_EVERY = 10
BATCH = 200
MAX_ATTEMPTS = 10
# One drain job works this long, then hands over to a fresh job (each batch is committed).
DRAIN_SECONDS = 60.0
# Errors are kept short: they are shown to the admin, not logs.
MAX_ERROR = 500


@dataclass
class DrainReport:
    rows: int = 0
    events: int = 0
    applied: int = 0
    # Of those applied: position reports that a later event of the batch made redundant.
    coalesced: int = 0
    duplicates: int = 0
    kept: int = 0
    refused: int = 0
    failed_rows: int = 0
    more: bool = False

    def add(self, batch: DrainReport) -> None:
        for name in ("rows", "events", "applied", "coalesced", "duplicates", "kept", "refused"):
            setattr(self, name, getattr(self, name) + getattr(batch, name))


def _short(text: str) -> str:
    return text if len(text) <= MAX_ERROR else text[: MAX_ERROR - 1] + "…"


async def drain_source(source_id: uuid.UUID, settings: Settings) -> DrainReport:
    """Process the source's inbox until it is empty (or the time is up: another job goes on)."""
    report = DrainReport()
    skip: set[int] = set()
    one_by_one = 0  # rows still to take alone after a batch failed
    deadline = time.monotonic() + DRAIN_SECONDS
    while True:
        if time.monotonic() > deadline:
            report.more = True
            async with session_scope() as session:
                await tasks.schedule_drain(session, source_id)
            return report
        only_id: int | None = None
        if one_by_one:
            async with session_scope() as session:
                only_id = await repo.next_inbox_id(
                    session, source_id, max_attempts=MAX_ATTEMPTS, skip=skip
                )
            if only_id is None:
                return report
        batch = DrainReport()
        try:
            async with session_scope() as session:
                taken = await _drain_batch(session, source_id, settings, batch, skip, only_id)
        except Exception as exc:
            if only_id is None:
                # Something in the batch breaks it: find which row, taking them one by one.
                log.warning("ingest.drain_batch_failed", source_id=str(source_id), exc_info=exc)
                one_by_one = BATCH
                continue
            await _record_failure(source_id, only_id, exc)
            report.failed_rows += 1
            skip.add(only_id)
            one_by_one -= 1
            continue
        report.add(batch)
        if not taken:
            return report
        if one_by_one:
            one_by_one -= 1


async def _record_failure(source_id: uuid.UUID, inbox_id: int, exc: Exception) -> None:
    log.warning(
        "ingest.drain_row_failed", source_id=str(source_id), inbox_id=inbox_id, exc_info=exc
    )
    async with session_scope() as session:
        found = await repo.inbox_attempts(session, inbox_id)
        if found is None:
            return
        attempts, received_at = found
        await repo.set_inbox_attempts(session, [inbox_id])
        now = clock.utcnow()
        await repo.add_to_source(
            session,
            source_id,
            repo.SourceCounts(
                received=1 if attempts == 0 else 0,
                last_received_at=received_at,
                error=_short(f"webhook {inbox_id} failed: {type(exc).__name__}: {exc}"),
                error_at=now,
            ),
        )


async def _drain_batch(
    session: AsyncSession,
    source_id: uuid.UUID,
    settings: Settings,
    report: DrainReport,
    skip: set[int],
    only_id: int | None,
) -> int:
    """One batch in the caller's transaction; returns how many rows it took (0: none left)."""
    source = await repo.get_source(session, source_id)
    if source is None:
        return 0  # deleted (its inbox went with it)
    rows = await repo.take_inbox(
        session,
        source_id,
        limit=1 if only_id is not None else BATCH,
        max_attempts=MAX_ATTEMPTS,
        skip=skip,
        only_id=only_id,
    )
    if not rows:
        return 0
    counts = repo.SourceCounts(
        received=sum(1 for row in rows if row.attempts == 0),
        last_received_at=max(row.received_at for row in rows),
    )
    parked: list[int] = []
    events: list[IncomingEvent] = []
    sender = sender_for(source.kind)
    for n, row in enumerate(rows, 1):
        if n % YIELD_EVERY == 0:
            # Between stretches of parsing too (``ingest.pressure``).
            await pressure.give_way()
        try:
            events.extend(sender.parse(row.content_type, row.body, row.received_at))
        except MalformedPayload as exc:
            # It passed the receiver's check, so the parser changed since: keep it for a look.
            parked.append(row.id)
            counts.error = _short(f"webhook {row.id} cannot be read: {exc}")
            counts.error_at = clock.utcnow()
    await _handle_events(session, source, events, settings, counts, report)
    await repo.set_inbox_attempts(session, parked, MAX_ATTEMPTS)
    await repo.delete_inbox(session, [row.id for row in rows if row.id not in set(parked)])
    await repo.add_to_source(session, source.id, counts)
    report.rows += len(rows)
    report.events += len(events)
    return len(rows)


async def _handle_events(
    session: AsyncSession,
    source: IngestSource,
    events: list[IncomingEvent],
    settings: Settings,
    counts: repo.SourceCounts,
    report: DrainReport,
) -> None:
    if not events:
        return
    users = await resolve_users(session, source.id, (event.user for event in events), settings)
    origin = PlayOrigin(source=source.kind, source_name=source.name)
    linked = [event for event in events if users[event.user.external_id].user_id is not None]
    refs = await external_match.match_items(
        session, [paths.map_hints(event.item, source.path_map) for event in linked]
    )
    matched = dict(zip((id(event) for event in linked), refs, strict=True))
    keep: list[PendingRow] = []
    ordered = sorted(events, key=lambda e: _timeline_order(users, matched, e))

    def timeline(event: IncomingEvent) -> tuple[uuid.UUID, MediaRef] | None:
        user_id, ref = users[event.user.external_id].user_id, matched.get(id(event))
        return None if user_id is None or ref is None else (user_id, ref)

    skipped = coalescing.skippable(ordered, timeline)
    counts.applied += len(skipped)
    report.applied += len(skipped)
    report.coalesced += len(skipped)
    for index, event in enumerate(ordered):
        if index in skipped:
            continue
        await pressure.give_way()
        user = users[event.user.external_id]
        ref = matched.get(id(event))
        if user.user_id is None or ref is None:
            keep.append(
                PendingRow(
                    reason="user" if user.user_id is None else "item",
                    hints=event.item,
                    event=event,
                    origin=origin,
                    dedupe_key=event.dedupe_key(source.id),
                    source_id=source.id,
                    external_user_id=user.id,
                    user_id=user.user_id,
                )
            )
            continue
        try:
            # Playback refuses before it writes anything, so the batch goes on without it.
            new = await apply_play(session, user.user_id, ref, event, origin, settings)
        except AppError as exc:
            report.refused += 1
            counts.error = _short(f"{exc.code}: {event.kind.value} of {event.item.describe()}")
            counts.error_at = clock.utcnow()
            continue
        if new:
            counts.applied += 1
            report.applied += 1
        else:
            counts.duplicates += 1
            report.duplicates += 1
    for new in await keep_pending_rows(session, keep):
        if new:
            counts.unmatched += 1
            report.kept += 1
        else:
            counts.duplicates += 1
            report.duplicates += 1


def _timeline_order(
    users: dict[str, KnownUser], matched: dict[int, MediaRef | None], event: IncomingEvent
) -> tuple[str, str, str, datetime]:
    """Events applied by timeline (user, item), then time: every drain takes playback's
    per-timeline locks in the same order, so two drains never wait on each other crosswise
    (the timeline itself does not care in which order its events come)."""
    ref = matched.get(id(event))
    user_id = users[event.user.external_id].user_id
    return (
        str(user_id or ""),
        ref.media_type.value if ref else "",
        str(ref.id) if ref else "",
        event.occurred_at,
    )
