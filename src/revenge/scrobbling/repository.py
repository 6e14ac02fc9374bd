"""Queries of the scrobbling tables (the queue's locking rules live here)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.scrobbling.models import (
    ScrobbleAuthState,
    ScrobbleConnection,
    ScrobbleHistoryImport,
    ScrobbleQueueItem,
    ScrobbleRating,
    ScrobbleTransition,
    ScrobbleWatchlistItem,
)

# Bulk updates by id: the claimed rows are not read again in the same session, and letting the
# ORM "evaluate" ``id IN (…)`` against every loaded object costs O(batch²) uuid comparisons.
_NO_SYNC = {"synchronize_session": False}


async def get_connection(
    session: AsyncSession, user_id: uuid.UUID, provider: str, *, lock: bool = False
) -> ScrobbleConnection | None:
    query = select(ScrobbleConnection).where(
        ScrobbleConnection.user_id == user_id, ScrobbleConnection.provider == provider
    )
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def lease_connection(
    session: AsyncSession, user_id: uuid.UUID, provider: str
) -> tuple[ScrobbleConnection | None, bool]:
    """Lock the connection for one delivery batch: (connection, busy).

    ``busy`` is True when another worker holds it.

    Holding the row serialises batches of one (user, provider), so order is kept even when
    two process jobs run at once; the other job just leaves.
    """
    row = (
        await session.execute(
            select(ScrobbleConnection)
            .where(ScrobbleConnection.user_id == user_id, ScrobbleConnection.provider == provider)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if row is not None:
        return row, False
    exists = await get_connection(session, user_id, provider)
    return None, exists is not None


async def list_connections(session: AsyncSession, user_id: uuid.UUID) -> list[ScrobbleConnection]:
    rows = await session.execute(
        select(ScrobbleConnection).where(ScrobbleConnection.user_id == user_id)
    )
    return list(rows.scalars())


async def queue_counts(session: AsyncSession, user_id: uuid.UUID) -> dict[tuple[str, str], int]:
    rows = await session.execute(
        select(ScrobbleQueueItem.provider, ScrobbleQueueItem.status, func.count())
        .where(
            ScrobbleQueueItem.user_id == user_id,
            ScrobbleQueueItem.status.in_(("pending", "failed")),
        )
        .group_by(ScrobbleQueueItem.provider, ScrobbleQueueItem.status)
    )
    return {(row[0], row[1]): int(row[2]) for row in rows}


async def insert_queue_items(session: AsyncSession, rows: list[dict[str, Any]]) -> int:
    """Insert, skipping what is already queued (same idempotency key); returns rows added."""
    if not rows:
        return 0
    statement = (
        insert(ScrobbleQueueItem)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["user_id", "provider", "idempotency_key"])
        .returning(ScrobbleQueueItem.id)
    )
    return len((await session.execute(statement)).all())


async def record_transition(
    session: AsyncSession,
    user_id: uuid.UUID,
    session_id: uuid.UUID,
    kind: str,
    facts: dict[str, Any],
) -> None:
    session.add(ScrobbleTransition(user_id=user_id, session_id=session_id, kind=kind, facts=facts))
    await session.flush()


async def take_transitions(session: AsyncSession, user_id: uuid.UUID) -> list[ScrobbleTransition]:
    """The user's recorded transitions in the order they were recorded, locked; rows another
    planning job holds are skipped (it plans them)."""
    query = (
        select(ScrobbleTransition)
        .where(ScrobbleTransition.user_id == user_id)
        .order_by(ScrobbleTransition.id)
        .with_for_update(skip_locked=True)
    )
    return list((await session.execute(query)).scalars().all())


async def delete_transitions(session: AsyncSession, ids: Sequence[int]) -> None:
    if ids:
        await session.execute(
            delete(ScrobbleTransition).where(ScrobbleTransition.id.in_(ids)),
            execution_options=_NO_SYNC,
        )


async def users_with_transitions(session: AsyncSession) -> list[uuid.UUID]:
    query = select(ScrobbleTransition.user_id).distinct()
    return list((await session.execute(query)).scalars().all())


async def claim_head(
    session: AsyncSession, user_id: uuid.UUID, provider: str, now: datetime, limit: int
) -> list[ScrobbleQueueItem]:
    """The due head of the pending queue, in play order, row-locked (SKIP LOCKED).

    Only the prefix up to the first item that is not yet due is returned: a later play never
    overtakes an earlier one that is waiting for its retry.
    """
    rows = list(
        (
            await session.execute(
                select(ScrobbleQueueItem)
                .where(
                    ScrobbleQueueItem.user_id == user_id,
                    ScrobbleQueueItem.provider == provider,
                    ScrobbleQueueItem.status == "pending",
                )
                .order_by(ScrobbleQueueItem.timestamp, ScrobbleQueueItem.created_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        ).scalars()
    )
    head: list[ScrobbleQueueItem] = []
    for row in rows:
        if row.next_attempt_at > now:
            break
        head.append(row)
    return head


async def superseded_ids(
    session: AsyncSession, items: Sequence[ScrobbleQueueItem]
) -> set[uuid.UUID]:
    """Ephemeral items (now playing, start, pause) a newer item of the same media replaced."""
    if not items:
        return set()
    newer = ScrobbleQueueItem.__table__.alias("newer")
    found: set[uuid.UUID] = set()
    for item in items:
        exists = await session.execute(
            select(newer.c.id)
            .where(
                and_(
                    newer.c.user_id == item.user_id,
                    newer.c.provider == item.provider,
                    newer.c.media_id == item.media_id,
                    newer.c.id != item.id,
                    newer.c.created_at > item.created_at,
                )
            )
            .limit(1)
        )
        if exists.first() is not None:
            found.add(item.id)
    return found


async def mark(
    session: AsyncSession,
    ids: Sequence[uuid.UUID],
    *,
    status: str,
    now: datetime,
    reason: str | None = None,
    status_code: int | None = None,
) -> None:
    if not ids:
        return
    values: dict[str, Any] = {
        "status": status,
        "last_error": reason,
        "last_status_code": status_code,
    }
    if status == "sent":
        values["sent_at"] = now
    await session.execute(
        update(ScrobbleQueueItem).where(ScrobbleQueueItem.id.in_(list(ids))).values(**values),
        execution_options=_NO_SYNC,
    )


async def postpone(
    session: AsyncSession,
    ids: Sequence[uuid.UUID],
    *,
    next_attempt_at: datetime,
    max_attempts: int,
    reason: str | None,
    status_code: int | None,
) -> None:
    """Count one more failed attempt; past the limit the item is failed for good."""
    if not ids:
        return
    gave_up = ScrobbleQueueItem.retry_count + 1 >= max_attempts
    await session.execute(
        update(ScrobbleQueueItem)
        .where(ScrobbleQueueItem.id.in_(list(ids)))
        .values(
            retry_count=ScrobbleQueueItem.retry_count + 1,
            status=case((gave_up, "failed"), else_="pending"),
            next_attempt_at=next_attempt_at,
            last_error=reason,
            last_status_code=status_code,
        ),
        execution_options=_NO_SYNC,
    )


async def due_pairs(
    session: AsyncSession, now: datetime, limit: int = 5000
) -> list[tuple[uuid.UUID, str]]:
    """(user, provider) pairs with pending, due items and a usable connection that is not
    waiting out a provider's rate limit."""
    rows = await session.execute(
        select(ScrobbleQueueItem.user_id, ScrobbleQueueItem.provider)
        .join(
            ScrobbleConnection,
            and_(
                ScrobbleConnection.user_id == ScrobbleQueueItem.user_id,
                ScrobbleConnection.provider == ScrobbleQueueItem.provider,
            ),
        )
        .where(
            ScrobbleQueueItem.status == "pending",
            ScrobbleQueueItem.next_attempt_at <= now,
            ScrobbleConnection.enabled.is_(True),
            ScrobbleConnection.status == "connected",
            or_(
                ScrobbleConnection.rate_limited_until.is_(None),
                ScrobbleConnection.rate_limited_until <= now,
            ),
        )
        .distinct()
        .limit(limit)
    )
    return [(row[0], row[1]) for row in rows]


async def list_queue(
    session: AsyncSession, user_id: uuid.UUID, status: str | None, limit: int, offset: int
) -> tuple[list[ScrobbleQueueItem], int]:
    condition = ScrobbleQueueItem.user_id == user_id
    if status:
        condition = condition & (ScrobbleQueueItem.status == status)
    total = (
        await session.execute(select(func.count()).select_from(ScrobbleQueueItem).where(condition))
    ).scalar_one()
    rows = await session.execute(
        select(ScrobbleQueueItem)
        .where(condition)
        .order_by(ScrobbleQueueItem.timestamp.desc(), ScrobbleQueueItem.created_at.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows.scalars()), int(total)


async def last_sent(
    session: AsyncSession, user_id: uuid.UUID, provider: str
) -> ScrobbleQueueItem | None:
    return (
        await session.execute(
            select(ScrobbleQueueItem)
            .where(
                ScrobbleQueueItem.user_id == user_id,
                ScrobbleQueueItem.provider == provider,
                ScrobbleQueueItem.status == "sent",
                ScrobbleQueueItem.action == "scrobble",
            )
            .order_by(ScrobbleQueueItem.timestamp.desc())
            .limit(1)
        )
    ).scalar_one_or_none()


async def hold_queue(
    session: AsyncSession, user_id: uuid.UUID, provider: str, until: datetime
) -> None:
    """Everything behind a waiting item waits too (order is kept; the sweep stays quiet)."""
    await session.execute(
        update(ScrobbleQueueItem)
        .where(
            ScrobbleQueueItem.user_id == user_id,
            ScrobbleQueueItem.provider == provider,
            ScrobbleQueueItem.status == "pending",
            ScrobbleQueueItem.next_attempt_at < until,
        )
        .values(next_attempt_at=until),
        execution_options=_NO_SYNC,
    )


async def skip_pending(
    session: AsyncSession, user_id: uuid.UUID, provider: str, *, reason: str
) -> None:
    """Give up what is still waiting for one provider (it can no longer be sent)."""
    await session.execute(
        update(ScrobbleQueueItem)
        .where(
            ScrobbleQueueItem.user_id == user_id,
            ScrobbleQueueItem.provider == provider,
            ScrobbleQueueItem.status == "pending",
        )
        .values(status="skipped", last_error=reason)
    )


async def auth_state_by_digest(session: AsyncSession, digest: str) -> ScrobbleAuthState | None:
    """The authorisation state a callback names, row-locked (it is used once)."""
    return (
        await session.execute(
            select(ScrobbleAuthState)
            .where(ScrobbleAuthState.state_digest == digest)
            .with_for_update()
        )
    ).scalar_one_or_none()


# What a sync brings in, by kind: the model and the column that dates an entry.
_IMPORTED: dict[str, tuple[Any, Any]] = {
    "history": (ScrobbleHistoryImport, ScrobbleHistoryImport.watched_at),
    "watchlist": (ScrobbleWatchlistItem, ScrobbleWatchlistItem.listed_at),
    "ratings": (ScrobbleRating, ScrobbleRating.rated_at),
}


async def list_imported(
    session: AsyncSession, user_id: uuid.UUID, provider: str, kind: str, limit: int, offset: int
) -> tuple[list[tuple[Any, datetime | None]], int]:
    """One kind of imported entries, newest first, each with its date: (entry, at)."""
    model, when = _IMPORTED[kind]
    condition = (model.user_id == user_id) & (model.provider == provider)
    total = (
        await session.execute(select(func.count()).select_from(model).where(condition))
    ).scalar_one()
    rows = await session.execute(
        select(model)
        .where(condition)
        .order_by(when.desc().nulls_last())
        .limit(limit)
        .offset(offset)
    )
    return [(row, getattr(row, when.key)) for row in rows.scalars()], int(total)
