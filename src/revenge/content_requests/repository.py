"""Queries for content requests (the library is asked through ``library.lookup`` and
``library.matching``, in ``availability``)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, delete, func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.content_requests.models import (
    OPEN_REQUEST_WHERE,
    OPEN_STATUSES,
    ContentRequest,
    ContentRequestInterest,
    RequestStatus,
    RequestUserSettings,
)


async def get(
    session: AsyncSession, request_id: uuid.UUID, *, lock: bool = False
) -> ContentRequest | None:
    stmt = select(ContentRequest).where(ContentRequest.id == request_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


def _visible_to(user_id: uuid.UUID) -> Any:
    interested = select(ContentRequestInterest.request_id).where(
        ContentRequestInterest.user_id == user_id
    )
    return or_(ContentRequest.user_id == user_id, ContentRequest.id.in_(interested))


async def get_visible(
    session: AsyncSession, request_id: uuid.UUID, user_id: uuid.UUID
) -> ContentRequest | None:
    """The request if ``user_id`` made it or said "me too"."""
    stmt = select(ContentRequest).where(ContentRequest.id == request_id, _visible_to(user_id))
    return (await session.execute(stmt)).scalar_one_or_none()


async def _page(
    session: AsyncSession, stmt: Select[Any], limit: int, offset: int
) -> tuple[list[ContentRequest], int]:
    total = (await session.execute(select(func.count()).select_from(stmt.subquery()))).scalar_one()
    rows = await session.execute(
        stmt.order_by(ContentRequest.requested_at.desc(), ContentRequest.id)
        .limit(limit)
        .offset(offset)
    )
    return list(rows.scalars()), int(total)


async def list_for_user(
    session: AsyncSession, user_id: uuid.UUID, status: str | None, limit: int, offset: int
) -> tuple[list[ContentRequest], int]:
    stmt = select(ContentRequest).where(_visible_to(user_id))
    if status:
        stmt = stmt.where(ContentRequest.status == status)
    return await _page(session, stmt, limit, offset)


async def list_all(
    session: AsyncSession,
    *,
    status: str | None,
    media_type: str | None,
    user_id: uuid.UUID | None,
    limit: int,
    offset: int,
) -> tuple[list[ContentRequest], int]:
    stmt = select(ContentRequest)
    if status:
        stmt = stmt.where(ContentRequest.status == status)
    if media_type:
        stmt = stmt.where(ContentRequest.media_type == media_type)
    if user_id:
        stmt = stmt.where(ContentRequest.user_id == user_id)
    return await _page(session, stmt, limit, offset)


async def insert_open(session: AsyncSession, values: dict[str, Any]) -> uuid.UUID | None:
    """Insert a new open request; None when one for the same thing is already open.

    ON CONFLICT on the partial unique index waits for a concurrent inserter to commit, so
    of two simultaneous creates exactly one gets a row and the other sees it afterwards.
    """
    stmt = (
        insert(ContentRequest)
        .values(**values)
        .on_conflict_do_nothing(
            index_elements=["media_type", "external_id"], index_where=OPEN_REQUEST_WHERE
        )
        .returning(ContentRequest.id)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def find_open(
    session: AsyncSession, media_type: str, external_id: str
) -> ContentRequest | None:
    stmt = select(ContentRequest).where(
        ContentRequest.media_type == media_type,
        ContentRequest.external_id == external_id,
        ContentRequest.status.in_(OPEN_STATUSES),
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def add_interest(session: AsyncSession, request_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    stmt = (
        insert(ContentRequestInterest)
        # The moment of the "me too" itself, not its transaction's start: "the earliest of them
        # takes the request over" must not depend on which transactions overlapped.
        .values(request_id=request_id, user_id=user_id, created_at=func.clock_timestamp())
        .on_conflict_do_nothing(index_elements=["request_id", "user_id"])
        .returning(ContentRequestInterest.id)
    )
    return (await session.execute(stmt)).scalar_one_or_none() is not None


async def remove_interest(session: AsyncSession, request_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    result = await session.execute(
        delete(ContentRequestInterest)
        .where(
            ContentRequestInterest.request_id == request_id,
            ContentRequestInterest.user_id == user_id,
        )
        .returning(ContentRequestInterest.id)
    )
    return result.first() is not None


async def first_interested(session: AsyncSession, request_id: uuid.UUID) -> uuid.UUID | None:
    stmt = (
        select(ContentRequestInterest.user_id)
        .where(ContentRequestInterest.request_id == request_id)
        .order_by(ContentRequestInterest.created_at, ContentRequestInterest.id)
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def interested_user_ids(session: AsyncSession, request_id: uuid.UUID) -> list[uuid.UUID]:
    stmt = select(ContentRequestInterest.user_id).where(
        ContentRequestInterest.request_id == request_id
    )
    return list((await session.execute(stmt)).scalars())


async def interest_summary(
    session: AsyncSession, request_ids: Sequence[uuid.UUID], viewer_id: uuid.UUID | None
) -> tuple[dict[uuid.UUID, int], set[uuid.UUID]]:
    """How many "me too"s each request has, and which of them include ``viewer_id``."""
    if not request_ids:
        return {}, set()
    rows = await session.execute(
        select(
            ContentRequestInterest.request_id,
            func.count(),
            func.bool_or(ContentRequestInterest.user_id == viewer_id),
        )
        .where(ContentRequestInterest.request_id.in_(request_ids))
        .group_by(ContentRequestInterest.request_id)
    )
    counts: dict[uuid.UUID, int] = {}
    mine: set[uuid.UUID] = set()
    for request_id, count, includes_viewer in rows:
        counts[request_id] = int(count)
        if includes_viewer:
            mine.add(request_id)
    return counts, mine


async def recent_request_times(
    session: AsyncSession, user_id: uuid.UUID, media_type: str, since: datetime
) -> list[datetime]:
    """When the user made their requests of this type inside the window, oldest first."""
    stmt = (
        select(ContentRequest.requested_at)
        .where(
            ContentRequest.user_id == user_id,
            ContentRequest.media_type == media_type,
            ContentRequest.requested_at > since,
        )
        .order_by(ContentRequest.requested_at)
    )
    return list((await session.execute(stmt)).scalars())


async def user_settings(session: AsyncSession, user_id: uuid.UUID) -> RequestUserSettings | None:
    return await session.get(RequestUserSettings, user_id)


async def upsert_user_settings(
    session: AsyncSession, user_id: uuid.UUID, values: dict[str, Any]
) -> RequestUserSettings:
    stmt = insert(RequestUserSettings).values(user_id=user_id, **values)
    stmt = stmt.on_conflict_do_update(
        index_elements=["user_id"], set_={**values, "updated_at": func.now()}
    )
    await session.execute(stmt)
    row = await session.get(RequestUserSettings, user_id, populate_existing=True)
    assert row is not None
    return row


async def requests_by_external(
    session: AsyncSession, media_type: str, external_ids: Sequence[str]
) -> dict[str, ContentRequest]:
    """The open (or else most recent) request per external id, for search results."""
    if not external_ids:
        return {}
    rows = await session.execute(
        select(ContentRequest)
        .where(
            ContentRequest.media_type == media_type,
            ContentRequest.external_id.in_(external_ids),
            ContentRequest.status != RequestStatus.denied,
        )
        .order_by(ContentRequest.requested_at)
    )
    found: dict[str, ContentRequest] = {}
    for request in rows.scalars():
        current = found.get(request.external_id)
        if current is None or current.status not in OPEN_STATUSES:
            found[request.external_id] = request
    return found


async def requests_with_status(
    session: AsyncSession, statuses: Sequence[str], *, after: uuid.UUID | None, limit: int
) -> list[ContentRequest]:
    """A batch of requests in ``statuses`` ordered by id (the sweep pages through them)."""
    stmt = select(ContentRequest).where(ContentRequest.status.in_(statuses))
    if after is not None:
        stmt = stmt.where(ContentRequest.id > after)
    return list((await session.execute(stmt.order_by(ContentRequest.id).limit(limit))).scalars())


async def requests_for_keys(
    session: AsyncSession,
    keys: Sequence[tuple[str, str]],
    tvdb_ids: Sequence[int],
    statuses: Sequence[str],
) -> list[ContentRequest]:
    """Requests in ``statuses`` naming one of the (media_type, external_id) keys or tvdb ids."""
    conditions = [
        and_(ContentRequest.media_type == media_type, ContentRequest.external_id == external_id)
        for media_type, external_id in keys
    ]
    if tvdb_ids:
        conditions.append(
            and_(ContentRequest.media_type == "tv", ContentRequest.tvdb_id.in_(tvdb_ids))
        )
    if not conditions:
        return []
    stmt = (
        select(ContentRequest)
        .where(ContentRequest.status.in_(statuses), or_(*conditions))
        .with_for_update(skip_locked=False)
    )
    return list((await session.execute(stmt)).scalars())


async def requests_linked_to(
    session: AsyncSession, library_media_type: str, media_id: uuid.UUID
) -> list[ContentRequest]:
    stmt = (
        select(ContentRequest)
        .where(
            ContentRequest.library_media_type == library_media_type,
            ContentRequest.library_media_id == media_id,
            ContentRequest.status == RequestStatus.available,
        )
        .with_for_update()
    )
    return list((await session.execute(stmt)).scalars())
