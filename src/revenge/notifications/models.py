"""Notifications: the inbox, per-type preferences, delivery channels, push devices and the
durable delivery state (one row per notification × target, every attempt logged)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    any_,
    bindparam,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from revenge.core.db import Base, Timestamps, UUIDPrimaryKey

_USER_FK = "shared.users.id"


class Notification(UUIDPrimaryKey, Timestamps, Base):
    """One notification for one user. ``in_app`` false = delivered only by other channels
    (the row still anchors the deliveries) and hidden from the inbox."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_created", "user_id", "created_at"),
        Index(
            "ix_notifications_user_unread",
            "user_id",
            postgresql_where=text("read_at IS NULL AND in_app"),
        ),
        {"schema": "shared"},
    )

    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey(_USER_FK, ondelete="CASCADE")
    )
    type: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text)
    message: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")
    locale: Mapped[str] = mapped_column(String(16))
    group_key: Mapped[str | None] = mapped_column(String(200))
    in_app: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    read_at: Mapped[datetime | None]


class NotificationPreference(UUIDPrimaryKey, Timestamps, Base):
    """A user's choice per type; a missing row means the type's defaults."""

    __tablename__ = "notification_preferences"
    __table_args__ = (UniqueConstraint("user_id", "notification_type"), {"schema": "shared"})

    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey(_USER_FK, ondelete="CASCADE")
    )
    notification_type: Mapped[str] = mapped_column(String(64))
    in_app: Mapped[bool] = mapped_column(Boolean)
    email: Mapped[bool] = mapped_column(Boolean)
    push: Mapped[bool] = mapped_column(Boolean)
    webhook: Mapped[bool] = mapped_column(Boolean)


class NotificationChannel(UUIDPrimaryKey, Timestamps, Base):
    """A user-defined target: an email address override or a webhook endpoint.

    Secrets in ``config`` are stored encrypted (``secret_encrypted``)."""

    __tablename__ = "notification_channels"
    __table_args__ = {"schema": "shared"}

    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey(_USER_FK, ondelete="CASCADE"), index=True
    )
    channel_type: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(100))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    config: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    last_success_at: Mapped[datetime | None]
    last_failure_at: Mapped[datetime | None]


class PushDevice(UUIDPrimaryKey, Timestamps, Base):
    """An FCM registration token or a Web Push subscription (endpoint + keys)."""

    __tablename__ = "push_devices"
    __table_args__ = (UniqueConstraint("token"), {"schema": "shared"})

    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey(_USER_FK, ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))  # fcm | webpush
    platform: Mapped[str] = mapped_column(String(16))  # android | ios | web
    token: Mapped[str] = mapped_column(Text)  # FCM token or Web Push endpoint URL
    keys: Mapped[dict[str, Any] | None] = mapped_column(JSONB)  # webpush: p256dh, auth
    last_seen_at: Mapped[datetime] = mapped_column(server_default=func.now())
    disabled_at: Mapped[datetime | None]
    disabled_reason: Mapped[str | None] = mapped_column(Text)


class NotificationDelivery(UUIDPrimaryKey, Timestamps, Base):
    """The durable state of sending one notification to one target. ``status`` moves
    pending → sent | failed | skipped; a sent row is never sent again."""

    __tablename__ = "notification_deliveries"
    __table_args__ = (
        UniqueConstraint("notification_id", "channel", "target_key"),
        Index(
            "ix_notification_deliveries_due",
            "channel",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
        ),
        {"schema": "shared"},
    )

    notification_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("shared.notifications.id", ondelete="CASCADE")
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey(_USER_FK, ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(16))  # email | push | webhook
    # What exactly receives it: "user" (account email), a channel id or a device id.
    target_key: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(server_default=func.now())
    last_error: Mapped[str | None] = mapped_column(Text)
    response_code: Mapped[int | None] = mapped_column(Integer)
    sent_at: Mapped[datetime | None]


class NotificationDeliveryAttempt(Base):
    """Every outbound attempt: what happened, the remote's status code and a short reason."""

    __tablename__ = "notification_delivery_attempts"
    __table_args__ = {"schema": "shared"}

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    delivery_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True),
        ForeignKey("shared.notification_deliveries.id", ondelete="CASCADE"),
        index=True,
    )
    attempt: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))  # sent | retry | failed
    response_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(server_default=func.now())


class PendingNewContent(Base):
    """Library additions waiting to be announced; grouped (a season, an album) when flushed."""

    __tablename__ = "notification_pending_content"
    __table_args__ = {"schema": "shared"}

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    media_type: Mapped[str] = mapped_column(String(16))
    media_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    library_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


def any_of(column: Any, ids: Any) -> Any:
    """``column = ANY(:ids)`` with one array parameter: unlike ``IN (…)`` it does not bind
    (and compile) one parameter per id, which matters on a fan-out to thousands of users."""
    return column == any_(bindparam(None, list(ids), type_=ARRAY(UUID(as_uuid=True))))
