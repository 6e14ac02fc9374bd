"""Queries of play sessions and their raw events."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.playback.models import PlayEvent, PlaySession


async def lock_item_timeline(
    session: AsyncSession, user_id: uuid.UUID, media_type: str, media_id: uuid.UUID
) -> None:
    """Serialise the events of one user on one item until the transaction ends.

    Row locks cannot cover a play that does not exist yet (two copies of one event, or two
    halves of one play, arriving at once would each open a session)."""
    key = f"playback:{user_id}:{media_type}:{media_id}"
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(key, 0))))


async def sessions_around(
    session: AsyncSession,
    user_id: uuid.UUID,
    media_type: str,
    media_id: uuid.UUID,
    at: datetime,
    reach: timedelta,
) -> list[PlaySession]:
    """The user's sessions of the item that an event at ``at`` may touch, locked, oldest first.

    That is every session within ``reach`` of ``at``, and then of those, until a gap longer
    than ``reach`` on both sides: nothing beyond such a gap can join or split them."""
    found: dict[uuid.UUID, PlaySession] = {}
    low, high = at, at
    while True:
        rows = (
            await session.execute(
                select(PlaySession)
                .where(
                    PlaySession.user_id == user_id,
                    PlaySession.media_type == media_type,
                    PlaySession.media_id == media_id,
                    PlaySession.last_event_at >= low - reach,
                    PlaySession.started_at <= high + reach,
                )
                .with_for_update()
                # Read again under the lock: a row loaded earlier in this transaction (the
                # session named in the request) may have changed since.
                .execution_options(populate_existing=True)
            )
        ).scalars()
        for row in rows:
            found[row.id] = row
        wider_low = min([low, *(row.started_at for row in found.values())])
        wider_high = max([high, *(row.last_event_at for row in found.values())])
        if (wider_low, wider_high) == (low, high):
            return sorted(found.values(), key=lambda row: (row.started_at, row.id))
        low, high = wider_low, wider_high


async def events_of(session: AsyncSession, session_ids: Sequence[uuid.UUID]) -> list[PlayEvent]:
    if not session_ids:
        return []
    result = await session.execute(
        select(PlayEvent)
        .where(PlayEvent.session_id.in_(session_ids))
        .order_by(PlayEvent.occurred_at, PlayEvent.id)
        .execution_options(populate_existing=True)
    )
    return list(result.scalars())


async def idle_open_sessions(
    session: AsyncSession, cutoff: datetime, limit: int = 1000
) -> list[PlaySession]:
    result = await session.execute(
        select(PlaySession)
        .where(PlaySession.ended_at.is_(None), PlaySession.last_event_at < cutoff)
        .with_for_update(skip_locked=True)
        .limit(limit)
    )
    return list(result.scalars())


async def counted_plays(
    session: AsyncSession, user_id: uuid.UUID, limit: int, offset: int
) -> tuple[list[PlaySession], int]:
    condition = (
        (PlaySession.user_id == user_id)
        & PlaySession.counted.is_(True)
        & PlaySession.ended_at.is_not(None)
    )
    total = (
        await session.execute(select(func.count()).select_from(PlaySession).where(condition))
    ).scalar_one()
    rows = (
        await session.execute(
            select(PlaySession)
            .where(condition)
            .order_by(PlaySession.ended_at.desc(), PlaySession.started_at.desc(), PlaySession.id)
            .limit(limit)
            .offset(offset)
        )
    ).scalars()
    return list(rows), total
