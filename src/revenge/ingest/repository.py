"""Queries of the ingest tables (the inbox's and the pending events' locking rules live here)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy import Select, case, delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.ingest.models import ExternalUser, InboxEntry, IngestSource, PendingEvent

# Bulk updates by id: the rows are not read again in the same session.
_NO_SYNC = {"synchronize_session": False}


# --- sources -------------------------------------------------------------------------------------


async def source_kind(session: AsyncSession, source_id: uuid.UUID, token_hash: str) -> str | None:
    """The kind of the source with this id and token (None: no such source, or another token)."""
    row = await session.execute(
        select(IngestSource.kind).where(
            IngestSource.id == source_id, IngestSource.token_hash == token_hash
        )
    )
    return row.scalar_one_or_none()


class Stored(Enum):
    refused = "refused"  # no such source, or another token: nothing stored
    drain_waiting = "drain_waiting"  # a waiting drain job will see the row
    no_drain_waiting = "no_drain_waiting"  # stored; a drain must be deferred


@dataclass(frozen=True)
class Receipt:
    source_id: uuid.UUID
    token_hash: str
    received_at: datetime
    content_type: str
    body: bytes


# One statement for a batch of receipts: each token is checked by the join (a row that does
# not join is refused and not stored), and whether a drain job of its source is already
# waiting comes back with it, so a batch costs one round trip and no write to the sources'
# rows (a hot row on every request would queue on its lock).
_STORE_MANY = text(
    """
    WITH receipt AS (
        SELECT * FROM unnest(
            CAST(:source_ids AS uuid[]), CAST(:token_hashes AS text[]),
            CAST(:received_ats AS timestamptz[]), CAST(:content_types AS text[]),
            CAST(:bodies AS bytea[])
        ) WITH ORDINALITY AS r(source_id, token_hash, received_at, content_type, body, n)
    ),
    accepted AS (
        SELECT receipt.* FROM receipt
        JOIN shared.ingest_sources s
          ON s.id = receipt.source_id AND s.token_hash = receipt.token_hash
    ),
    stored AS (
        INSERT INTO shared.ingest_inbox (source_id, received_at, content_type, body)
        SELECT source_id, received_at, content_type, body FROM accepted ORDER BY n
    )
    SELECT accepted.n, EXISTS (
        SELECT 1 FROM procrastinate_jobs j
        WHERE j.queueing_lock = :lock_prefix || accepted.source_id::text AND j.status = 'todo'
    ) AS drain_waiting
    FROM accepted
    """
)


async def store_webhooks(
    session: AsyncSession,
    receipts: Sequence[Receipt],
    drain_lock: Callable[[uuid.UUID], str],
) -> list[Stored]:
    """Store webhook bodies in one statement; what became of each, in order."""
    prefix = drain_lock(uuid.UUID(int=0)).removesuffix(str(uuid.UUID(int=0)))
    rows = await session.execute(
        _STORE_MANY,
        {
            "source_ids": [r.source_id for r in receipts],
            "token_hashes": [r.token_hash for r in receipts],
            "received_ats": [r.received_at for r in receipts],
            "content_types": [r.content_type for r in receipts],
            "bodies": [r.body for r in receipts],
            "lock_prefix": prefix,
        },
    )
    outcomes = [Stored.refused] * len(receipts)
    for n, waiting in rows:
        outcomes[n - 1] = Stored.drain_waiting if waiting else Stored.no_drain_waiting
    return outcomes


async def get_source(
    session: AsyncSession, source_id: uuid.UUID, *, lock: bool = False
) -> IngestSource | None:
    query = select(IngestSource).where(IngestSource.id == source_id)
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def sources_by_id(
    session: AsyncSession, source_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, IngestSource]:
    ids = list(set(source_ids))
    if not ids:
        return {}
    rows = await session.execute(select(IngestSource).where(IngestSource.id.in_(ids)))
    return {source.id: source for source in rows.scalars()}


async def list_sources(session: AsyncSession) -> list[IngestSource]:
    rows = await session.execute(select(IngestSource).order_by(IngestSource.created_at))
    return list(rows.scalars())


@dataclass(frozen=True)
class InboxBacklog:
    """What a source's inbox holds: rows not taken yet (not in ``received`` yet) and when the
    newest arrived, and rows not processed yet at all."""

    new: int
    newest: datetime | None
    waiting: int


async def inbox_backlog(
    session: AsyncSession, source_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, InboxBacklog]:
    if not source_ids:
        return {}
    rows = await session.execute(
        select(
            InboxEntry.source_id,
            func.count().filter(InboxEntry.attempts == 0),
            func.max(InboxEntry.received_at),
            func.count(),
        )
        .where(InboxEntry.source_id.in_(list(source_ids)))
        .group_by(InboxEntry.source_id)
    )
    return {row[0]: InboxBacklog(new=row[1], newest=row[2], waiting=row[3]) for row in rows}


@dataclass
class SourceCounts:
    """What one batch adds to a source's counters."""

    received: int = 0
    applied: int = 0
    duplicates: int = 0
    unmatched: int = 0
    last_received_at: datetime | None = None
    error: str | None = None
    error_at: datetime | None = None

    def touched(self) -> bool:
        return bool(
            self.received
            or self.applied
            or self.duplicates
            or self.unmatched
            or self.last_received_at
            or self.error
        )


async def add_to_source(session: AsyncSession, source_id: uuid.UUID, counts: SourceCounts) -> None:
    """Add a batch's figures in one UPDATE (relative, so concurrent drains do not collide)."""
    if not counts.touched():
        return
    values: dict[str, Any] = {
        "received": IngestSource.received + counts.received,
        "applied": IngestSource.applied + counts.applied,
        "duplicates": IngestSource.duplicates + counts.duplicates,
        "unmatched": func.greatest(IngestSource.unmatched + counts.unmatched, 0),
    }
    if counts.last_received_at is not None:
        values["last_received_at"] = func.greatest(
            func.coalesce(IngestSource.last_received_at, counts.last_received_at),
            counts.last_received_at,
        )
    if counts.error is not None:
        values["last_error"] = counts.error
        values["last_error_at"] = counts.error_at
    await session.execute(
        update(IngestSource)
        .where(IngestSource.id == source_id)
        .values(**values)
        .execution_options(**_NO_SYNC)
    )


# --- inbox ---------------------------------------------------------------------------------------


def _inbox_of(source_id: uuid.UUID, max_attempts: int, skip: Collection[int]) -> Select[Any]:
    query = select(InboxEntry).where(
        InboxEntry.source_id == source_id, InboxEntry.attempts < max_attempts
    )
    if skip:
        query = query.where(InboxEntry.id.not_in(list(skip)))
    return query


async def take_inbox(
    session: AsyncSession,
    source_id: uuid.UUID,
    *,
    limit: int,
    max_attempts: int,
    skip: Collection[int] = (),
    only_id: int | None = None,
) -> list[InboxEntry]:
    """The source's oldest unprocessed rows, row-locked; SKIP LOCKED: two drains of one
    source take different rows (the timeline puts their events in order whatever came first)."""
    query = _inbox_of(source_id, max_attempts, skip)
    if only_id is not None:
        query = query.where(InboxEntry.id == only_id)
    rows = await session.execute(
        query.order_by(InboxEntry.id).limit(limit).with_for_update(skip_locked=True)
    )
    return list(rows.scalars())


async def next_inbox_id(
    session: AsyncSession, source_id: uuid.UUID, *, max_attempts: int, skip: Collection[int]
) -> int | None:
    query = _inbox_of(source_id, max_attempts, skip).with_only_columns(InboxEntry.id)
    row = await session.execute(query.order_by(InboxEntry.id).limit(1))
    return row.scalar_one_or_none()


async def delete_inbox(session: AsyncSession, ids: Sequence[int]) -> None:
    if ids:
        await session.execute(
            delete(InboxEntry).where(InboxEntry.id.in_(ids)).execution_options(**_NO_SYNC)
        )


async def set_inbox_attempts(
    session: AsyncSession, ids: Sequence[int], attempts: int | None = None
) -> None:
    """Count one more attempt on the rows (or set it, to park rows that cannot succeed)."""
    if ids:
        await session.execute(
            update(InboxEntry)
            .where(InboxEntry.id.in_(ids))
            .values(attempts=InboxEntry.attempts + 1 if attempts is None else attempts)
            .execution_options(**_NO_SYNC)
        )


async def inbox_attempts(session: AsyncSession, inbox_id: int) -> tuple[int, datetime] | None:
    row = await session.execute(
        select(InboxEntry.attempts, InboxEntry.received_at).where(InboxEntry.id == inbox_id)
    )
    found = row.first()
    return (found[0], found[1]) if found else None


async def sources_with_leftovers(
    session: AsyncSession, *, older_than: datetime, max_attempts: int
) -> list[uuid.UUID]:
    """Sources whose inbox holds rows a drain should have taken by now."""
    rows = await session.execute(
        select(InboxEntry.source_id)
        .where(InboxEntry.received_at < older_than, InboxEntry.attempts < max_attempts)
        .group_by(InboxEntry.source_id)
    )
    return list(rows.scalars())


# --- external users ------------------------------------------------------------------------------


async def upsert_external_users(
    session: AsyncSession,
    source_id: uuid.UUID,
    users: Sequence[tuple[str, str]],
    seen_at: datetime,
) -> list[ExternalUser]:
    """Create the source's users not known yet and note when each was seen (its name as the
    sender gives it now); returns them all."""
    if not users:
        return []
    statement = insert(ExternalUser).values(
        [
            {
                "source_id": source_id,
                "external_id": external_id,
                "name": name,
                "last_seen_at": seen_at,
            }
            for external_id, name in users
        ]
    )
    upsert = statement.on_conflict_do_update(
        index_elements=[ExternalUser.source_id, ExternalUser.external_id],
        set_={
            "name": statement.excluded.name,
            "last_seen_at": func.greatest(
                ExternalUser.last_seen_at, statement.excluded.last_seen_at
            ),
            "updated_at": func.now(),
        },
    ).returning(ExternalUser)
    rows = await session.execute(upsert, execution_options={"populate_existing": True})
    return list(rows.scalars())


async def link_external_user(
    session: AsyncSession, external_user_id: uuid.UUID, user_id: uuid.UUID | None, linked_by: str
) -> None:
    await session.execute(
        update(ExternalUser)
        .where(ExternalUser.id == external_user_id)
        .values(user_id=user_id, linked_by=linked_by, updated_at=func.now())
        .execution_options(**_NO_SYNC)
    )


async def external_users_of(
    session: AsyncSession, source_id: uuid.UUID, external_ids: Collection[str] | None = None
) -> list[tuple[ExternalUser, int]]:
    """The source's users with the number of their pending events, by name."""
    pending = (
        select(func.count())
        .where(PendingEvent.external_user_id == ExternalUser.id)
        .correlate(ExternalUser)
        .scalar_subquery()
    )
    query = select(ExternalUser, pending).where(ExternalUser.source_id == source_id)
    if external_ids is not None:
        query = query.where(ExternalUser.external_id.in_(list(external_ids)))
    # populate_existing: links were just changed by UPDATE statements in this session.
    rows = await session.execute(
        query.order_by(func.lower(ExternalUser.name), ExternalUser.id).execution_options(
            populate_existing=True
        )
    )
    return [(row[0], row[1]) for row in rows]


# --- pending events ------------------------------------------------------------------------------


async def insert_pending(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> set[str]:
    """Insert the rows whose dedupe key is new; returns the keys inserted."""
    if not rows:
        return set()
    inserted = await session.execute(
        insert(PendingEvent)
        .values(list(rows))
        .on_conflict_do_nothing(index_elements=[PendingEvent.dedupe_key])
        .returning(PendingEvent.dedupe_key)
    )
    return set(inserted.scalars())


async def take_pending(
    session: AsyncSession,
    *,
    after_id: int,
    limit: int,
    external_user_id: uuid.UUID | None = None,
) -> list[PendingEvent]:
    """The next pending rows after ``after_id`` that a match or a link may apply, row-locked
    (SKIP LOCKED). Without ``external_user_id``: the item rows of known users (after a
    scan); with it: every row of that external user (after a link)."""
    query = select(PendingEvent).where(PendingEvent.id > after_id)
    if external_user_id is None:
        query = query.where(PendingEvent.reason == "item", PendingEvent.user_id.is_not(None))
    else:
        query = query.where(PendingEvent.external_user_id == external_user_id)
    rows = await session.execute(
        query.order_by(PendingEvent.id).limit(limit).with_for_update(skip_locked=True)
    )
    return list(rows.scalars())


async def relink_pending(
    session: AsyncSession, external_user_id: uuid.UUID, user_id: uuid.UUID | None, description: str
) -> None:
    """An external user's events follow their link; unlinked, they wait for a user again."""
    values: dict[str, Any] = {"user_id": user_id}
    if user_id is None:
        values.update(reason="user", description=description)
    await session.execute(
        update(PendingEvent)
        .where(PendingEvent.external_user_id == external_user_id)
        .values(**values)
        .execution_options(**_NO_SYNC)
    )


async def delete_pending(session: AsyncSession, ids: Sequence[int]) -> None:
    if ids:
        await session.execute(
            delete(PendingEvent).where(PendingEvent.id.in_(ids)).execution_options(**_NO_SYNC)
        )


async def wait_for_item(session: AsyncSession, descriptions: dict[int, str]) -> None:
    """Rows whose user is known now but whose item is not: they wait for a scan."""
    if not descriptions:
        return
    await session.execute(
        update(PendingEvent)
        .where(PendingEvent.id.in_(list(descriptions)))
        .values(
            reason="item",
            description=case(descriptions, value=PendingEvent.id, else_=PendingEvent.description),
        )
        .execution_options(**_NO_SYNC)
    )


async def unmatched_groups(session: AsyncSession, limit: int, offset: int) -> tuple[list[Any], int]:
    """Pending events grouped by (reason, description, source), the newest first."""
    newest = func.max(PendingEvent.received_at).label("last_received_at")
    grouped = (
        select(
            PendingEvent.reason,
            PendingEvent.description,
            PendingEvent.source_id,
            func.count().label("count"),
            newest,
        )
        .group_by(PendingEvent.reason, PendingEvent.description, PendingEvent.source_id)
        .subquery()
    )
    total = (await session.execute(select(func.count()).select_from(grouped))).scalar_one()
    rows = await session.execute(
        select(grouped, IngestSource.name, IngestSource.kind)
        .outerjoin(IngestSource, IngestSource.id == grouped.c.source_id)
        .order_by(
            grouped.c.last_received_at.desc(),
            grouped.c.reason,
            grouped.c.description,
            grouped.c.source_id,
        )
        .limit(limit)
        .offset(offset)
    )
    return list(rows), total
