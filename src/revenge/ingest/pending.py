"""Events that wait: for an item the library does not have yet, or for a user nobody linked.

Nothing that comes in is dropped. An event whose item is unknown (``reason="item"``) or whose
user is not linked (``reason="user"``) is kept with its item hints as the sender gave them and
the event as JSON (kind, time, position, the play's duration, where it came from), once per
dedupe key. The admin sees them grouped (``service.unmatched``). They are applied when a scan
adds items (``rematch_pending``, after ``library.item_added``) or an admin links the user
(``apply_external_user_pending``), through ``apply.apply_play`` as if they had just arrived:
the timeline puts late events in their place. Rows of every door are handled: webhook sources
and ListenBrainz listens (no source, the local user known).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core import clock
from revenge.core.config import Settings
from revenge.core.db import session_scope
from revenge.core.errors import AppError
from revenge.ingest import paths
from revenge.ingest import repository as repo
from revenge.ingest.apply import apply_play
from revenge.ingest.incoming import ExternalUserRef, IncomingEvent, IncomingKind
from revenge.ingest.models import PendingEvent
from revenge.library import external_match
from revenge.library.item_hints import ItemHints
from revenge.playback.service import PlayOrigin

log = structlog.get_logger(__name__)

# Rows matched and applied per transaction.
BATCH = 500
Reason = Literal["item", "user"]


@dataclass(frozen=True, kw_only=True)
class PendingRow:
    """One event to keep (``keep_pending_many``); fields as ``keep_pending`` takes them.

    ``duration_ms`` is how long a finished play ("played") lasted, when the sender said
    (None: the item's length). ``description`` defaults to the hints' description for an
    item, or the sender's user for a user."""

    reason: Reason
    hints: ItemHints
    event: IncomingEvent
    origin: PlayOrigin
    dedupe_key: str
    source_id: uuid.UUID | None = None
    external_user_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None
    duration_ms: int | None = None
    description: str | None = None


def user_description(user: ExternalUserRef) -> str:
    """How the unmatched list names a user nobody linked yet."""
    return f"{user.name} [{user.external_id}]"


def event_json(event: IncomingEvent, origin: PlayOrigin, duration_ms: int | None) -> dict[str, Any]:
    """The event as ``ingest_pending.event`` stores it (its hints are stored beside it)."""
    return {
        "kind": event.kind.value,
        "occurred_at": event.occurred_at.isoformat(),
        "position_ms": event.position_ms,
        "user": {"external_id": event.user.external_id, "name": event.user.name},
        "external_item_id": event.external_item_id,
        "client": event.client,
        "device": event.device,
        "duration_ms": duration_ms,
        "origin": {
            "source": origin.source,
            "source_name": origin.source_name,
            "origin_digest": origin.origin_digest,
        },
    }


def read_event(row: PendingEvent) -> tuple[IncomingEvent, PlayOrigin, int | None]:
    data, hints = row.event, ItemHints.from_json(row.hints)
    user = data.get("user") or {}
    origin = data.get("origin") or {}
    event = IncomingEvent(
        kind=IncomingKind(data["kind"]),
        occurred_at=datetime.fromisoformat(data["occurred_at"]),
        position_ms=data.get("position_ms"),
        user=ExternalUserRef(
            external_id=str(user.get("external_id", "")), name=str(user.get("name", ""))
        ),
        item=hints,
        external_item_id=data.get("external_item_id"),
        client=data.get("client"),
        device=data.get("device"),
    )
    play_origin = PlayOrigin(
        source=origin.get("source", "native"),
        source_name=origin.get("source_name"),
        origin_digest=origin.get("origin_digest"),
    )
    return event, play_origin, data.get("duration_ms")


def _values(row: PendingRow) -> dict[str, Any]:
    description = row.description or (
        row.hints.describe() if row.reason == "item" else user_description(row.event.user)
    )
    return {
        "source_id": row.source_id,
        "external_user_id": row.external_user_id,
        "user_id": row.user_id,
        "reason": row.reason,
        "description": description,
        "hints": row.hints.to_json(),
        "event": event_json(row.event, row.origin, row.duration_ms),
        "dedupe_key": row.dedupe_key,
        "received_at": clock.utcnow(),
    }


async def keep_pending_rows(session: AsyncSession, rows: Sequence[PendingRow]) -> list[bool]:
    """Keep the rows; per row whether it is new (False: its dedupe key is kept already, or
    came earlier in ``rows``)."""
    inserted = await repo.insert_pending(session, [_values(row) for row in rows])
    answers: list[bool] = []
    for row in rows:
        answers.append(row.dedupe_key in inserted)
        inserted.discard(row.dedupe_key)
    return answers


async def keep_pending_many(session: AsyncSession, rows: Sequence[PendingRow]) -> int:
    """Keep many events at once (one statement); returns how many were new."""
    return sum(await keep_pending_rows(session, rows))


async def keep_pending(
    session: AsyncSession,
    *,
    reason: Reason,
    hints: ItemHints,
    event: IncomingEvent,
    origin: PlayOrigin,
    dedupe_key: str,
    source_id: uuid.UUID | None = None,
    external_user_id: uuid.UUID | None = None,
    user_id: uuid.UUID | None = None,
    duration_ms: int | None = None,
) -> bool:
    """Keep one event until it can be applied; False when that dedupe key is kept already."""
    [new] = await keep_pending_rows(
        session,
        [
            PendingRow(
                reason=reason,
                hints=hints,
                event=event,
                origin=origin,
                dedupe_key=dedupe_key,
                source_id=source_id,
                external_user_id=external_user_id,
                user_id=user_id,
                duration_ms=duration_ms,
            )
        ],
    )
    return new


# --- applying them -------------------------------------------------------------------------------


@dataclass
class ReapplyReport:
    applied: int = 0
    duplicates: int = 0
    refused: int = 0
    waiting: int = 0
    per_source: dict[uuid.UUID, repo.SourceCounts] = field(
        default_factory=lambda: defaultdict(repo.SourceCounts)
    )

    def add(self, other: ReapplyReport) -> None:
        self.applied += other.applied
        self.duplicates += other.duplicates
        self.refused += other.refused
        self.waiting += other.waiting


async def apply_pending_rows(
    session: AsyncSession, rows: Sequence[PendingEvent], settings: Settings
) -> ReapplyReport:
    """Match the rows' items (one batch) and apply those whose user and item are known now;
    the others keep waiting (a user row whose user is known now waits for its item)."""
    report = ReapplyReport()
    ready = [row for row in rows if row.user_id is not None]
    report.waiting = len(rows) - len(ready)
    sources = await repo.sources_by_id(
        session, (row.source_id for row in ready if row.source_id is not None)
    )
    raw = [ItemHints.from_json(row.hints) for row in ready]
    mapped = [
        paths.map_hints(hints, sources[row.source_id].path_map)
        if row.source_id in sources
        else hints
        for row, hints in zip(ready, raw, strict=True)
    ]
    refs = await external_match.match_items(session, mapped)
    done: list[int] = []
    waits_for_item: dict[int, str] = {}
    # In timeline order, as the drain applies events (playback's locks taken in one order).
    ordered = sorted(
        zip(ready, raw, refs, strict=True),
        key=lambda entry: (
            str(entry[0].user_id),
            entry[2].media_type.value if entry[2] else "",
            str(entry[2].id) if entry[2] else "",
            entry[0].id,
        ),
    )
    for row, hints, ref in ordered:
        if ref is None:
            report.waiting += 1
            if row.reason != "item":
                waits_for_item[row.id] = hints.describe()
            continue
        event, origin, duration_ms = read_event(row)
        counts = report.per_source[row.source_id] if row.source_id else repo.SourceCounts()
        assert row.user_id is not None
        try:
            # Playback refuses before it writes anything, so the batch goes on.
            new = await apply_play(session, row.user_id, ref, event, origin, settings, duration_ms)
        except AppError as exc:
            report.refused += 1
            counts.error, counts.error_at = f"{exc.code}: {hints.describe()}", clock.utcnow()
            log.info("ingest.pending_refused", code=exc.code, pending_id=row.id)
        else:
            if new:
                report.applied += 1
                counts.applied += 1
            else:
                report.duplicates += 1
                counts.duplicates += 1
        counts.unmatched -= 1
        done.append(row.id)
    await repo.delete_pending(session, done)
    await repo.wait_for_item(session, waits_for_item)
    for source_id, counts in report.per_source.items():
        await repo.add_to_source(session, source_id, counts)
    return report


async def rematch_pending(settings: Settings) -> ReapplyReport:
    """After a scan: try every event waiting for an item again, a batch per transaction."""
    total, after = ReapplyReport(), 0
    while True:
        async with session_scope() as session:
            rows = await repo.take_pending(session, after_id=after, limit=BATCH)
            if not rows:
                return total
            after = rows[-1].id
            total.add(await apply_pending_rows(session, rows, settings))


async def apply_external_user_pending(
    external_user_id: uuid.UUID, settings: Settings
) -> ReapplyReport:
    """After an admin linked an external user: apply the events they have waiting."""
    total, after = ReapplyReport(), 0
    while True:
        async with session_scope() as session:
            rows = await repo.take_pending(
                session, after_id=after, limit=BATCH, external_user_id=external_user_id
            )
            if not rows:
                return total
            after = rows[-1].id
            total.add(await apply_pending_rows(session, rows, settings))
