"""Queries of play sessions and their raw events."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, false, func, select
from sqlalchemy.dialects.postgresql import distinct_on, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from revenge.playback.models import PlayedMark, PlayEvent, PlaySession


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


def _counted(user_id: uuid.UUID) -> Any:
    return (
        (PlaySession.user_id == user_id)
        & PlaySession.counted.is_(True)
        & PlaySession.ended_at.is_not(None)
    )


async def counted_plays(
    session: AsyncSession,
    user_id: uuid.UUID,
    limit: int,
    offset: int,
    *,
    media_type: str | None = None,
    media_id: uuid.UUID | None = None,
) -> tuple[list[PlaySession], int]:
    """The user's finished, counted plays (of one media type or item, if asked), newest first,
    and how many there are."""
    condition = _counted(user_id)
    if media_type is not None:
        condition &= PlaySession.media_type == media_type
    if media_id is not None:
        condition &= PlaySession.media_id == media_id
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


# --- one user's state of one item, and their lists ----------------------------------------------


async def latest_session(
    session: AsyncSession, user_id: uuid.UUID, media_type: str, media_id: uuid.UUID
) -> PlaySession | None:
    """The user's most recently heard session of the item (ended or not)."""
    return (
        await session.execute(
            select(PlaySession)
            .where(
                PlaySession.user_id == user_id,
                PlaySession.media_type == media_type,
                PlaySession.media_id == media_id,
            )
            .order_by(PlaySession.last_event_at.desc(), PlaySession.id)
            .limit(1)
        )
    ).scalar_one_or_none()


async def counted_play_summary(
    session: AsyncSession,
    user_id: uuid.UUID,
    media_type: str,
    media_id: uuid.UUID,
    since: datetime | None,
) -> tuple[int, bool]:
    """How many counted plays the user has of the item, and whether one ended after ``since``
    (any at all when ``since`` is None)."""
    condition = (
        _counted(user_id)
        & (PlaySession.media_type == media_type)
        & (PlaySession.media_id == media_id)
    )
    ended_after = PlaySession.ended_at > since if since is not None else PlaySession.id.is_not(None)
    row = (
        await session.execute(
            select(func.count(), func.coalesce(func.bool_or(ended_after), false())).where(condition)
        )
    ).one()
    return int(row[0]), bool(row[1])


async def played_mark(
    session: AsyncSession, user_id: uuid.UUID, media_type: str, media_id: uuid.UUID
) -> PlayedMark | None:
    return await session.get(PlayedMark, (user_id, media_type, media_id), populate_existing=True)


async def mark_played(
    session: AsyncSession,
    user_id: uuid.UUID,
    media_type: str,
    media_id: uuid.UUID,
    now: datetime,
    repeat_within: timedelta,
) -> bool:
    """Mark the item played at ``now`` (and no longer unplayed); returns whether this is a new
    marking, False when the item was marked played within ``repeat_within`` already (then the
    earlier time stays). The row lock of the upsert orders two marks arriving at once: the
    second sees the first's time."""
    stored = PlayedMark.__table__.c
    statement = insert(PlayedMark).values(
        user_id=user_id, media_type=media_type, media_id=media_id, played_at=now, unplayed_at=None
    )
    upsert = statement.on_conflict_do_update(
        index_elements=[stored.user_id, stored.media_type, stored.media_id],
        set_={
            # Marked within the window: the earlier marking stands.
            "played_at": case(
                (stored.played_at > now - repeat_within, stored.played_at), else_=now
            ),
            "unplayed_at": None,
        },
    ).returning(stored.played_at)
    played_at = (await session.execute(upsert)).scalar_one()
    return bool(played_at == now)


async def mark_unplayed(
    session: AsyncSession, user_id: uuid.UUID, media_type: str, media_id: uuid.UUID, now: datetime
) -> None:
    stored = PlayedMark.__table__.c
    statement = insert(PlayedMark).values(
        user_id=user_id, media_type=media_type, media_id=media_id, played_at=None, unplayed_at=now
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[stored.user_id, stored.media_type, stored.media_id],
            set_={"unplayed_at": now},
        )
    )


async def resumable_sessions(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    min_position_ms: int,
    max_fraction: float,
    limit: int,
) -> list[PlaySession]:
    """The user's items whose latest session stopped part-way (at least ``min_position_ms`` in
    and, where the session knows the item's length, before ``max_fraction`` of it) with no
    played/unplayed mark since: that latest session of each, most recently heard first."""
    latest = (
        select(PlaySession)
        .where(PlaySession.user_id == user_id)
        .ext(distinct_on(PlaySession.media_type, PlaySession.media_id))
        .order_by(
            PlaySession.media_type,
            PlaySession.media_id,
            PlaySession.last_event_at.desc(),
            PlaySession.id,
        )
        .subquery("latest")
    )
    play = aliased(PlaySession, latest)
    marked_since = func.greatest(PlayedMark.played_at, PlayedMark.unplayed_at) >= play.last_event_at
    rows = await session.execute(
        select(play)
        .outerjoin(
            PlayedMark,
            and_(
                PlayedMark.user_id == user_id,
                PlayedMark.media_type == play.media_type,
                PlayedMark.media_id == play.media_id,
            ),
        )
        .where(
            play.position_ms >= min_position_ms,
            (play.item_duration_ms.is_(None))
            | (play.item_duration_ms <= 0)
            | (play.position_ms < play.item_duration_ms * max_fraction),
            func.coalesce(marked_since, false()).is_(False),
        )
        .order_by(play.last_event_at.desc(), play.id)
        .limit(limit)
    )
    return list(rows.scalars())


async def recent_counted_plays(
    session: AsyncSession, user_id: uuid.UUID, limit: int, batch: int = 100
) -> list[PlaySession]:
    """The user's latest counted play of each of the ``limit`` items played most recently,
    newest first. Reads newest plays in batches (the user-and-end index) until it has
    ``limit`` items: usually one statement, never the whole history."""
    found: dict[tuple[str, uuid.UUID], PlaySession] = {}
    before: tuple[datetime, uuid.UUID] | None = None
    while len(found) < limit:
        query = select(PlaySession).where(_counted(user_id))
        if before is not None:
            query = query.where(
                (PlaySession.ended_at < before[0])
                | ((PlaySession.ended_at == before[0]) & (PlaySession.id > before[1]))
            )
        rows = list(
            (
                await session.execute(
                    query.order_by(PlaySession.ended_at.desc(), PlaySession.id).limit(batch)
                )
            ).scalars()
        )
        for row in rows:
            found.setdefault((row.media_type, row.media_id), row)
        if len(rows) < batch:
            break
        last = rows[-1]
        before = (last.ended_at, last.id)  # type: ignore[assignment]
    return list(found.values())[:limit]
