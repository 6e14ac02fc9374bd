"""Scrobble connections, the durable delivery queue and what a sync imported (schema ``shared``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from revenge.core.db import Base, Timestamps, UUIDPrimaryKey


def _user_fk() -> ForeignKey:
    return ForeignKey("shared.users.id", ondelete="CASCADE")


class ScrobbleConnection(UUIDPrimaryKey, Timestamps, Base):
    """A user's account at one provider. Tokens are AES-GCM sealed (``core.crypto``)."""

    __tablename__ = "scrobble_connections"
    __table_args__ = (UniqueConstraint("user_id", "provider"), {"schema": "shared"})

    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), _user_fk())
    provider: Mapped[str] = mapped_column(String(16))
    access_token: Mapped[str] = mapped_column(Text)  # sealed
    refresh_token: Mapped[str | None] = mapped_column(Text)  # sealed
    expires_at: Mapped[datetime | None]
    username: Mapped[str | None] = mapped_column(String(200))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    scrobble_movies: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    scrobble_tv: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    scrobble_music: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    # connected | needs_reconnect (the user must authorise again; queued plays wait)
    status: Mapped[str] = mapped_column(String(24), default="connected")
    status_reason: Mapped[str | None] = mapped_column(Text)
    last_error: Mapped[str | None] = mapped_column(Text)
    # The provider asked us to wait (429 / rate-limit headers) until then.
    rate_limited_until: Mapped[datetime | None]
    last_sync_at: Mapped[datetime | None]
    # idle | queued | running | done | failed; the cursor makes a sync resumable.
    sync_status: Mapped[str] = mapped_column(String(16), default="idle", server_default="idle")
    sync_cursor: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    sync_items: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    sync_pages_done: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    sync_error: Mapped[str | None] = mapped_column(Text)


class ScrobbleQueueItem(UUIDPrimaryKey, Timestamps, Base):
    """One thing to tell one provider about one play; the durable unit of delivery."""

    __tablename__ = "scrobble_queue"
    __table_args__ = (
        # The same play (and action) is never queued twice for a provider.
        UniqueConstraint("user_id", "provider", "idempotency_key"),
        Index(
            "ix_scrobble_queue_pending_due",
            "status",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
        ),
        Index(
            "ix_scrobble_queue_pending_drain",
            "user_id",
            "provider",
            "timestamp",
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_scrobble_queue_user_status", "user_id", "status", "created_at"),
        {"schema": "shared"},
    )

    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), _user_fk())
    provider: Mapped[str] = mapped_column(String(16))
    media_type: Mapped[str] = mapped_column(String(16))
    media_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    # start | pause | stop | scrobble | now_playing
    action: Mapped[str] = mapped_column(String(16))
    # When it happened (Last.fm: when the track started); delivery follows this order.
    timestamp: Mapped[datetime]
    play_started_at: Mapped[datetime]
    idempotency_key: Mapped[str] = mapped_column(String(200))
    # Title/artist/ids at play time (library.snapshots.ItemSnapshot).
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    progress: Mapped[float | None] = mapped_column(Float)
    # pending | sent | failed | skipped
    status: Mapped[str] = mapped_column(String(16), default="pending")
    retry_count: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    sent_at: Mapped[datetime | None]


class ScrobbleTransition(Base):
    """A playback transition recorded for planning, until the user's planning job turns it into
    queue items (and deletes it). Planned in ``id`` order; leftovers are swept."""

    __tablename__ = "scrobble_transitions"
    __table_args__ = (
        Index("ix_scrobble_transitions_user_id_id", "user_id", "id"),
        {"schema": "shared"},
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), _user_fk())
    session_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    # started | paused | resumed | finished (providers.base.PlayTransition)
    kind: Mapped[str] = mapped_column(String(16))
    # The playback event's payload, as the event left the session.
    facts: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(server_default=text("now()"))


class ScrobbleAuthState(UUIDPrimaryKey, Timestamps, Base):
    """A pending authorisation: OAuth ``state``, a Trakt device code or a Last.fm token.

    Bound to the user who started it, single use, and short-lived.
    """

    __tablename__ = "scrobble_auth_states"
    __table_args__ = ({"schema": "shared"},)

    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), _user_fk(), index=True)
    provider: Mapped[str] = mapped_column(String(16))
    flow: Mapped[str] = mapped_column(String(16))  # code | device | token
    state_digest: Mapped[str] = mapped_column(String(64), unique=True)
    secret: Mapped[str | None] = mapped_column(Text)  # sealed (device code, PKCE verifier)
    expires_at: Mapped[datetime]
    interval_seconds: Mapped[int | None] = mapped_column(Integer)
    used_at: Mapped[datetime | None]
    # pending | done | failed
    status: Mapped[str] = mapped_column(String(16), default="pending")
    reason: Mapped[str | None] = mapped_column(Text)


class _ImportedMixin(UUIDPrimaryKey, Timestamps):
    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), _user_fk())
    provider: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(16))
    title: Mapped[str | None] = mapped_column(String(500))
    artist: Mapped[str | None] = mapped_column(String(500))
    year: Mapped[int | None] = mapped_column(Integer)
    ids: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")


class ScrobbleHistoryImport(_ImportedMixin, Base):
    """A play imported from a provider's history (Trakt history, Last.fm, ListenBrainz)."""

    __tablename__ = "scrobble_history_imports"
    __table_args__ = (
        UniqueConstraint("user_id", "provider", "external_id"),
        Index("ix_scrobble_history_user_watched", "user_id", "provider", "watched_at"),
        {"schema": "shared"},
    )

    album: Mapped[str | None] = mapped_column(String(500))
    watched_at: Mapped[datetime]


class ScrobbleWatchlistItem(_ImportedMixin, Base):
    __tablename__ = "scrobble_watchlist"
    __table_args__ = (UniqueConstraint("user_id", "provider", "external_id"), {"schema": "shared"})

    rank: Mapped[int | None] = mapped_column(Integer)
    listed_at: Mapped[datetime | None]


class ScrobbleRating(_ImportedMixin, Base):
    __tablename__ = "scrobble_ratings"
    __table_args__ = (UniqueConstraint("user_id", "provider", "external_id"), {"schema": "shared"})

    rating: Mapped[int] = mapped_column(SmallInteger)
    rated_at: Mapped[datetime | None]


__all__ = [
    "ScrobbleAuthState",
    "ScrobbleConnection",
    "ScrobbleHistoryImport",
    "ScrobbleQueueItem",
    "ScrobbleRating",
    "ScrobbleTransition",
    "ScrobbleWatchlistItem",
]
