from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, func, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from revenge.core.db import Base, Timestamps, UUIDPrimaryKey


class User(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "users"
    __table_args__ = (
        Index("uq_users_username_lower", text("lower(username)"), unique=True),
        {"schema": "shared"},
    )

    username: Mapped[str] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(320))
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str | None] = mapped_column(String(128))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    locale: Mapped[str | None] = mapped_column(String(16))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    last_login_at: Mapped[datetime | None]
    # Set for a password the server generated (the first admin's, a reset by an admin): the
    # web app asks for a new one at the next sign-in; cleared when the user sets their own.
    must_change_password: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default="false"
    )


class AuthSession(UUIDPrimaryKey, Timestamps, Base):
    """A login: the access and refresh tokens are stored only as SHA-256 digests."""

    __tablename__ = "auth_sessions"
    __table_args__ = {"schema": "shared"}

    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("shared.users.id", ondelete="CASCADE"), index=True
    )
    access_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    access_expires_at: Mapped[datetime]
    refresh_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    refresh_expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    # The first login's session id, shared by every session refreshed from it: reusing a
    # rotated refresh token revokes the whole family.
    family_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), index=True, default=uuid.uuid4, server_default=func.gen_random_uuid()
    )
    user_agent: Mapped[str | None] = mapped_column(String(400))
    last_used_at: Mapped[datetime] = mapped_column(server_default=func.now())


class ApiKey(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "api_keys"
    __table_args__ = {"schema": "shared"}

    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("shared.users.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters, so a user can tell keys apart in a list.
    prefix: Mapped[str] = mapped_column(String(16))
    last_used_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
