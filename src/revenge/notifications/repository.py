"""Queries for the inbox, preferences, devices and channels (always scoped to the owner)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core.clock import utcnow
from revenge.notifications.models import (
    Notification,
    NotificationChannel,
    NotificationDelivery,
    NotificationPreference,
    PushDevice,
    any_of,
)


async def list_inbox(
    session: AsyncSession, user_id: uuid.UUID, limit: int, offset: int, unread_only: bool
) -> tuple[list[Notification], int, int]:
    base = select(Notification).where(Notification.user_id == user_id, Notification.in_app)
    if unread_only:
        base = base.where(Notification.read_at.is_(None))
    total = await session.scalar(select(func.count()).select_from(base.subquery())) or 0
    unread = (
        await session.scalar(
            select(func.count()).where(
                Notification.user_id == user_id,
                Notification.in_app,
                Notification.read_at.is_(None),
            )
        )
        or 0
    )
    rows = await session.scalars(
        base.order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows), total, unread


async def get_owned(
    session: AsyncSession, user_id: uuid.UUID, notification_id: uuid.UUID
) -> Notification | None:
    return await session.scalar(
        select(Notification).where(
            Notification.id == notification_id,
            Notification.user_id == user_id,
            Notification.in_app,
        )
    )


async def mark_all_read(session: AsyncSession, user_id: uuid.UUID) -> int:
    result = await session.execute(
        update(Notification)
        .where(
            Notification.user_id == user_id,
            Notification.in_app,
            Notification.read_at.is_(None),
        )
        .values(read_at=utcnow())
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def pending_deliveries(session: AsyncSession, notification_id: uuid.UUID) -> int:
    """How many of the notification's deliveries still wait to go out."""
    return (
        await session.scalar(
            select(func.count())
            .select_from(NotificationDelivery)
            .where(
                NotificationDelivery.notification_id == notification_id,
                NotificationDelivery.status == "pending",
            )
        )
        or 0
    )


async def preferences(
    session: AsyncSession, user_ids: Sequence[uuid.UUID], notification_type: str | None = None
) -> list[NotificationPreference]:
    query = select(NotificationPreference).where(any_of(NotificationPreference.user_id, user_ids))
    if notification_type is not None:
        query = query.where(NotificationPreference.notification_type == notification_type)
    return list(await session.scalars(query))


async def device_by_token(session: AsyncSession, token: str) -> PushDevice | None:
    return await session.scalar(select(PushDevice).where(PushDevice.token == token))


async def delete_device(session: AsyncSession, user_id: uuid.UUID, token: str) -> int:
    result = await session.execute(
        delete(PushDevice).where(PushDevice.user_id == user_id, PushDevice.token == token)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def list_channels(session: AsyncSession, user_id: uuid.UUID) -> list[NotificationChannel]:
    return list(
        await session.scalars(
            select(NotificationChannel)
            .where(NotificationChannel.user_id == user_id)
            .order_by(NotificationChannel.created_at)
        )
    )


async def get_channel(
    session: AsyncSession, user_id: uuid.UUID, channel_id: uuid.UUID
) -> NotificationChannel | None:
    return await session.scalar(
        select(NotificationChannel).where(
            NotificationChannel.id == channel_id, NotificationChannel.user_id == user_id
        )
    )
