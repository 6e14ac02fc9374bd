"""Sources of plays from other servers, their durable inbox, their users, and the events that
wait for a match (schema ``shared``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from revenge.core.db import Base, Timestamps, UUIDPrimaryKey


class IngestSource(UUIDPrimaryKey, Timestamps, Base):
    """A Jellyfin, Emby or Plex server that posts webhooks here. Only the SHA-256 of its URL
    token is stored, as with share links: the admin sees the full URL once."""

    __tablename__ = "ingest_sources"
    __table_args__ = {"schema": "shared"}

    kind: Mapped[str] = mapped_column(String(16))  # jellyfin|emby|plex
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # [{"from": "/media", "to": "/srv/media"}, …]: the longest matching prefix is rewritten.
    path_map: Mapped[list[dict[str, str]]] = mapped_column(JSONB, default=list, server_default="[]")
    last_received_at: Mapped[datetime | None]
    received: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    applied: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    duplicates: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    unmatched: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None]


class InboxEntry(Base):
    """A webhook body as it arrived (the senders do not retry, so it is kept before the 2xx);
    the drain job parses, applies and deletes it."""

    __tablename__ = "ingest_inbox"
    __table_args__ = {"schema": "shared"}

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    source_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("shared.ingest_sources.id", ondelete="CASCADE")
    )
    received_at: Mapped[datetime] = mapped_column(server_default=func.now())
    content_type: Mapped[str] = mapped_column(String(200))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    attempts: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class ExternalUser(UUIDPrimaryKey, Timestamps, Base):
    """A user of a source, linked to a local user by the same name or by an admin."""

    __tablename__ = "ingest_external_users"
    __table_args__ = (
        UniqueConstraint("source_id", "external_id"),
        {"schema": "shared"},
    )

    source_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("shared.ingest_sources.id", ondelete="CASCADE")
    )
    external_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("shared.users.id", ondelete="SET NULL"), index=True
    )
    linked_by: Mapped[str | None] = mapped_column(String(16))  # name|admin|created
    last_seen_at: Mapped[datetime | None]


class PendingEvent(Base):
    """An event kept because its item is not in the library yet or its user is not linked:
    applied when a later scan or link makes it match (nothing is dropped)."""

    __tablename__ = "ingest_pending"
    __table_args__ = (
        Index("ix_ingest_pending_reason", "reason", "description"),
        {"schema": "shared"},
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    # The webhook source; None for a listen that came in through the ListenBrainz API.
    source_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("shared.ingest_sources.id", ondelete="CASCADE"), index=True
    )
    external_user_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True),
        ForeignKey("shared.ingest_external_users.id", ondelete="CASCADE"),
        index=True,
    )
    # The local user when known (ListenBrainz listens, linked webhook users).
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("shared.users.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(String(16))  # item|user
    description: Mapped[str] = mapped_column(Text)
    hints: Mapped[dict[str, Any]] = mapped_column(JSONB)
    event: Mapped[dict[str, Any]] = mapped_column(JSONB)
    dedupe_key: Mapped[str] = mapped_column(String(64), unique=True)
    received_at: Mapped[datetime] = mapped_column(server_default=func.now())
