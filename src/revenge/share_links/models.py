"""Grants and their access log (user-owned data, schema ``shared``)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, func
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from revenge.core.db import Base, Timestamps, UUIDPrimaryKey


class MediaGrant(UUIDPrimaryKey, Timestamps, Base):
    """A share link. Only the SHA-256 of the link token is stored: a database reader cannot
    rebuild a link, and the owner sees the full link once, when it is created."""

    __tablename__ = "media_grants"
    __table_args__ = (
        Index("ix_media_grants_owner_created", "created_by", "created_at"),
        {"schema": "shared"},
    )

    created_by: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("shared.users.id", ondelete="CASCADE")
    )
    media_type: Mapped[str] = mapped_column(String(16))  # movie|episode|series|track|album
    media_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime | None]
    max_views: Mapped[int | None] = mapped_column(Integer)
    current_views: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    requires_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    allow_download: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    description: Mapped[str | None] = mapped_column(Text)
    revoked_at: Mapped[datetime | None]
    last_viewed_at: Mapped[datetime | None]


class MediaGrantAccess(UUIDPrimaryKey, Base):
    """One attempt to use a link (opened, unlocked, wrong password, refused …).

    The client IP is kept only as an HMAC with the server secret: repeated visitors can be
    recognised, but the address itself cannot be read back.
    """

    __tablename__ = "media_grant_access_log"
    __table_args__ = (
        Index("ix_media_grant_access_log_grant_at", "grant_id", "at"),
        {"schema": "shared"},
    )

    grant_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("shared.media_grants.id", ondelete="CASCADE")
    )
    at: Mapped[datetime] = mapped_column(server_default=func.now())
    ip_hash: Mapped[str] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    outcome: Mapped[str] = mapped_column(String(32))
