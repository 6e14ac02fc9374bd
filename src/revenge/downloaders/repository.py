"""Queries of the downloader tables (the hand-off queue's locking rules live here)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.downloaders.models import Downloader, DownloadHandoff

# --- downloaders ---------------------------------------------------------------------------------


async def list_downloaders(session: AsyncSession) -> list[Downloader]:
    rows = await session.execute(
        select(Downloader).order_by(Downloader.kind, Downloader.name, Downloader.id)
    )
    return list(rows.scalars())


async def get_downloader(
    session: AsyncSession, downloader_id: uuid.UUID, *, lock: bool = False
) -> Downloader | None:
    query = select(Downloader).where(Downloader.id == downloader_id)
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def name_taken(
    session: AsyncSession, name: str, *, other_than: uuid.UUID | None = None
) -> bool:
    query = select(Downloader.id).where(func.lower(Downloader.name) == name.lower())
    if other_than is not None:
        query = query.where(Downloader.id != other_than)
    return (await session.execute(query.limit(1))).first() is not None


async def lock_kind(session: AsyncSession, kind: str) -> list[Downloader]:
    """Every downloader of ``kind``, row-locked: choosing the default is serialised."""
    rows = await session.execute(
        select(Downloader)
        .where(Downloader.kind == kind)
        .order_by(Downloader.created_at, Downloader.id)
        .with_for_update()
    )
    return list(rows.scalars())


async def clear_default(session: AsyncSession, kind: str, *, except_id: uuid.UUID) -> None:
    await session.execute(
        update(Downloader)
        .where(Downloader.kind == kind, Downloader.is_default, Downloader.id != except_id)
        .values(is_default=False)
    )
    # The unique index is checked per statement: the new default is set after this one.
    await session.flush()


async def default_for(session: AsyncSession, kind: str) -> Downloader | None:
    """The kind's default downloader, else its oldest one (None: there is none)."""
    rows = await session.execute(
        select(Downloader)
        .where(Downloader.kind == kind)
        .order_by(Downloader.is_default.desc(), Downloader.created_at, Downloader.id)
        .limit(1)
    )
    return rows.scalar_one_or_none()


async def with_sent_handoffs(session: AsyncSession) -> list[Downloader]:
    """Downloaders with hand-offs whose download is followed (their queues are read)."""
    followed = select(DownloadHandoff.downloader_id).where(DownloadHandoff.status == "sent")
    rows = await session.execute(
        select(Downloader).where(Downloader.id.in_(followed)).order_by(Downloader.id)
    )
    return list(rows.scalars())


# --- hand-offs -----------------------------------------------------------------------------------


async def insert_handoff(session: AsyncSession, values: dict[str, Any]) -> uuid.UUID | None:
    """A new hand-off; None when the request already has one."""
    statement = (
        insert(DownloadHandoff)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["request_id"])
        .returning(DownloadHandoff.id)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def handoff_for_request(
    session: AsyncSession, request_id: uuid.UUID, *, lock: bool = False
) -> DownloadHandoff | None:
    query = select(DownloadHandoff).where(DownloadHandoff.request_id == request_id)
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def claim_handoff(session: AsyncSession, handoff_id: uuid.UUID) -> DownloadHandoff | None:
    """The hand-off, row-locked for one attempt; None when another worker holds it."""
    rows = await session.execute(
        select(DownloadHandoff)
        .where(DownloadHandoff.id == handoff_id)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    return rows.scalar_one_or_none()


async def due_handoffs(session: AsyncSession, now: datetime, limit: int = 1000) -> list[uuid.UUID]:
    rows = await session.execute(
        select(DownloadHandoff.id)
        .where(DownloadHandoff.status == "pending", DownloadHandoff.next_attempt_at <= now)
        .order_by(DownloadHandoff.next_attempt_at)
        .limit(limit)
    )
    return list(rows.scalars())


async def sent_handoffs(session: AsyncSession, downloader_id: uuid.UUID) -> list[DownloadHandoff]:
    rows = await session.execute(
        select(DownloadHandoff)
        .where(DownloadHandoff.downloader_id == downloader_id, DownloadHandoff.status == "sent")
        .order_by(DownloadHandoff.id)
        .with_for_update(skip_locked=True)
    )
    return list(rows.scalars())
