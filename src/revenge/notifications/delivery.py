"""Draining due deliveries, batch by batch, each batch one transaction: claim rows with SKIP
LOCKED, hand them to their channel once (it reads their targets, sends, settles the targets),
record every attempt. A row marked ``sent`` is never picked again, so a re-run job sends
nothing twice."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core.clock import utcnow
from revenge.core.config import Settings
from revenge.core.db import session_scope
from revenge.core.http import backoff_seconds
from revenge.core.i18n import normalize_locale
from revenge.notifications import fanout, rendering, tasks
from revenge.notifications.channels.base import (
    DeliveryChannel,
    DeliveryItem,
    Outcome,
    Recipient,
)
from revenge.notifications.channels.registry import build_channel
from revenge.notifications.models import Notification, NotificationDelivery
from revenge.notifications.types import NOTIFICATION_TYPES, ChannelKind, NotificationType
from revenge.users.models import User

BACKOFF_BASE_SECONDS = {ChannelKind.email: 30.0, ChannelKind.push: 15.0, ChannelKind.webhook: 30.0}
MAX_ERROR_LENGTH = 500

_UPDATE_DELIVERIES = text(
    "UPDATE shared.notification_deliveries AS d SET status = v.status, attempts = v.attempts, "
    "response_code = v.code, last_error = v.error, sent_at = v.sent, "
    "next_attempt_at = v.next, updated_at = now() "
    "FROM unnest(CAST(:ids AS uuid[]), CAST(:statuses AS text[]), CAST(:attempts AS int[]), "
    "CAST(:codes AS int[]), CAST(:errors AS text[]), CAST(:sent AS timestamptz[]), "
    "CAST(:next AS timestamptz[])) AS v(id, status, attempts, code, error, sent, next) "
    "WHERE d.id = v.id"
)
_INSERT_ATTEMPTS = text(
    "INSERT INTO shared.notification_delivery_attempts "
    "(delivery_id, attempt, status, response_code, error) "
    "SELECT * FROM unnest(CAST(:ids AS uuid[]), CAST(:attempts AS int[]), "
    "CAST(:statuses AS text[]), CAST(:codes AS int[]), CAST(:errors AS text[]))"
)


@dataclass
class DrainStats:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0

    def add(self, other: DrainStats) -> None:
        self.sent += other.sent
        self.retried += other.retried
        self.failed += other.failed
        self.skipped += other.skipped


async def _claim(
    session: AsyncSession,
    kind: ChannelKind,
    user_id: uuid.UUID | None,
    limit: int,
) -> list[DeliveryItem]:
    query = (
        select(
            NotificationDelivery.id,
            NotificationDelivery.notification_id,
            NotificationDelivery.target_key,
            NotificationDelivery.attempts,
            Notification.type,
            Notification.title,
            Notification.message,
            Notification.data,
            Notification.created_at,
            Notification.locale,
            User.id.label("user_id"),
            User.username,
            User.display_name,
            User.email,
            User.timezone,
            User.locale.label("user_locale"),
        )
        .join(Notification, Notification.id == NotificationDelivery.notification_id)
        .join(User, User.id == NotificationDelivery.user_id)
        .where(
            NotificationDelivery.channel == kind.value,
            NotificationDelivery.status == "pending",
            NotificationDelivery.next_attempt_at <= utcnow(),
        )
        .order_by(NotificationDelivery.next_attempt_at)
        .limit(limit)
        .with_for_update(of=NotificationDelivery, skip_locked=True)
    )
    if user_id is not None:
        query = query.where(NotificationDelivery.user_id == user_id)
    items = []
    for row in await session.execute(query):
        defaults = NOTIFICATION_TYPES.get(NotificationType(row.type))
        # Sent once, so in the language the recipient reads now (the row's, if they chose none).
        locale = normalize_locale(row.user_locale) or row.locale
        texts = rendering.render_row(row.type, locale, row.data or {}, row.title, row.message)
        items.append(
            DeliveryItem(
                delivery_id=row.id,
                notification_id=row.notification_id,
                target_key=row.target_key,
                attempt=row.attempts + 1,
                type=row.type,
                category=defaults.category if defaults else "system",
                title=texts.title,
                message=texts.message,
                data=row.data,
                created_at=row.created_at,
                recipient=Recipient(
                    id=row.user_id,
                    username=row.username,
                    display_name=row.display_name,
                    email=row.email,
                    locale=locale,
                    timezone=row.timezone or "UTC",
                ),
            )
        )
    return items


async def _record(
    session: AsyncSession, kind: ChannelKind, outcomes: Sequence[Outcome]
) -> DrainStats:
    now = utcnow()
    stats = DrainStats()
    updates = []
    attempts = []
    for outcome in outcomes:
        error = (outcome.error or "")[:MAX_ERROR_LENGTH] or None
        values = {
            "id": outcome.item.delivery_id,
            "attempts": outcome.item.attempt,
            "response_code": outcome.response_code,
            "last_error": error,
            "status": "pending",
            "sent_at": None,
            "next_attempt_at": now,
        }
        if outcome.status == "sent":
            values.update(status="sent", sent_at=now)
            stats.sent += 1
        elif outcome.status == "retry":
            delay = backoff_seconds(
                outcome.item.attempt - 1,
                base=BACKOFF_BASE_SECONDS[kind],
                retry_after=outcome.retry_after,
            )
            values["next_attempt_at"] = now + timedelta(seconds=delay)
            stats.retried += 1
        elif outcome.status == "skipped":
            values["status"] = "skipped"
            stats.skipped += 1
        else:
            values["status"] = "failed"
            stats.failed += 1
        updates.append(values)
        attempts.append(
            {
                "delivery_id": outcome.item.delivery_id,
                "attempt": outcome.item.attempt,
                "status": outcome.status,
                "response_code": outcome.response_code,
                "error": error,
            }
        )
    # Two statements per batch, not two per delivery.
    await session.execute(
        _UPDATE_DELIVERIES,
        {
            "ids": [u["id"] for u in updates],
            "statuses": [u["status"] for u in updates],
            "attempts": [u["attempts"] for u in updates],
            "codes": [u["response_code"] for u in updates],
            "errors": [u["last_error"] for u in updates],
            "sent": [u["sent_at"] for u in updates],
            "next": [u["next_attempt_at"] for u in updates],
        },
    )
    await session.execute(
        _INSERT_ATTEMPTS,
        {
            "ids": [a["delivery_id"] for a in attempts],
            "attempts": [a["attempt"] for a in attempts],
            "statuses": [a["status"] for a in attempts],
            "codes": [a["response_code"] for a in attempts],
            "errors": [a["error"] for a in attempts],
        },
    )
    return stats


async def _deliver_batch(
    session: AsyncSession,
    channel: DeliveryChannel,
    kind: ChannelKind,
    user_id: uuid.UUID | None,
    batch_size: int,
    concurrency: int,
    settings: Settings,
) -> tuple[int, DrainStats]:
    """(deliveries claimed, what became of them) for one batch."""
    items = await _claim(session, kind, user_id, batch_size)
    if not items:
        return 0, DrainStats()
    stats = DrainStats()

    async def record(outcomes: Sequence[Outcome]) -> None:
        stats.add(await _record(session, kind, outcomes))

    follow_ups = await channel.deliver(session, items, concurrency=concurrency, record=record)
    for follow_user, follow_type, follow_data in follow_ups:
        await fanout.notify(session, follow_user, follow_type, follow_data, settings=settings)
    return len(items), stats


async def deliver_pending(
    kind: ChannelKind,
    settings: Settings,
    *,
    user_id: uuid.UUID | None = None,
    batch_size: int = 100,
    concurrency: int = 20,
    max_batches: int | None = None,
    channel: DeliveryChannel | None = None,
) -> DrainStats:
    """Send every due delivery of ``kind`` (of one user, or everybody's), batch by batch.

    Each batch is one transaction: rows are locked while being sent (a second worker skips
    them), and their new state commits with the attempt log."""
    own_channel = channel is None
    channel = channel or build_channel(kind, settings)
    total = DrainStats()
    try:
        batches = 0
        while max_batches is None or batches < max_batches:
            batches += 1
            async with session_scope() as session:
                claimed, stats = await _deliver_batch(
                    session, channel, kind, user_id, batch_size, concurrency, settings
                )
            total.add(stats)
            if claimed < batch_size:
                break
    finally:
        if own_channel:
            await channel.aclose()
    return total


async def due_channels(session: AsyncSession) -> list[ChannelKind]:
    """Channels with deliveries whose retry time has come (for the sweeper)."""
    rows = await session.execute(
        select(NotificationDelivery.channel)
        .where(
            NotificationDelivery.status == "pending",
            NotificationDelivery.next_attempt_at <= utcnow(),
        )
        .distinct()
    )
    return [ChannelKind(r[0]) for r in rows]


async def schedule_due_drains(session: AsyncSession) -> int:
    """The sweeper: a drain of everybody's deliveries for each channel with some due (their
    retry time came, or the job that should have sent them was lost). Returns how many."""
    kinds = await due_channels(session)
    for kind in kinds:
        await tasks.schedule_drain_all(session, kind)
    return len(kinds)
