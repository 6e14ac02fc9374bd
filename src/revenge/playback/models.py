"""Play sessions and their raw events (the raw events are kept; statistics derive from them)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, String, func, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from revenge.core.db import Base, Timestamps, UUIDPrimaryKey


class PlaySession(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "play_sessions"
    __table_args__ = (
        Index("ix_play_sessions_user_media", "user_id", "media_type", "media_id", "last_event_at"),
        Index("ix_play_sessions_user_ended", "user_id", "ended_at"),
        # A user's counted track plays by start: the ListenBrainz readers' pages (0017).
        Index(
            "ix_play_sessions_user_listens",
            "user_id",
            "started_at",
            postgresql_where=text("counted AND media_type = 'track' AND ended_at IS NOT NULL"),
        ),
        # Open sessions: the live activity page's poll and the idle sweeper read only these.
        Index(
            "ix_play_sessions_open",
            "last_event_at",
            postgresql_where=text("ended_at IS NULL"),
        ),
        {"schema": "shared"},
    )

    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("shared.users.id", ondelete="CASCADE")
    )
    media_type: Mapped[str] = mapped_column(String(16))  # movie|episode|track
    media_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    state: Mapped[str] = mapped_column(String(16))  # playing|paused|stopped
    client: Mapped[str | None] = mapped_column(String(100))
    device: Mapped[str | None] = mapped_column(String(100))
    started_at: Mapped[datetime]
    last_event_at: Mapped[datetime]
    # While playing: when the current playing stretch began (None while paused/stopped).
    playing_since: Mapped[datetime | None]
    position_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    played_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    item_duration_ms: Mapped[int | None] = mapped_column(BigInteger)
    ended_at: Mapped[datetime | None]
    # Whether the finished play meets the play rule (see PlayRuleSettings).
    counted: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    # Where the play came in: native (this server's players), jellyfin, emby, plex or
    # listenbrainz; and the source's name as the admin gave it (shown on the activity page).
    source: Mapped[str] = mapped_column(String(16), default="native", server_default="native")
    source_name: Mapped[str | None] = mapped_column(String(100))
    # SHA-256 of the token a ListenBrainz client submitted it with: scrobbling never sends the
    # play back to a ListenBrainz connection holding that token (no loops).
    origin_digest: Mapped[str | None] = mapped_column(String(64))


class PlayEvent(UUIDPrimaryKey, Base):
    __tablename__ = "play_events"
    __table_args__ = (
        Index("ix_play_events_session", "session_id", "occurred_at"),
        {"schema": "shared"},
    )

    session_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("shared.play_sessions.id", ondelete="CASCADE")
    )
    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    event: Mapped[str] = mapped_column(String(16))  # start|pause|resume|progress|stop
    position_ms: Mapped[int] = mapped_column(BigInteger)
    occurred_at: Mapped[datetime]
    received_at: Mapped[datetime] = mapped_column(server_default=func.now())


class PlayedMark(Base):
    """A user's own "mark played / unplayed" on an item (the item page's action), 0020.

    Marking played also records a finished play (history, statistics and scrobbling see it, as
    Trakt's "mark watched" does); marking unplayed keeps the history (it is history) and hides
    the item from "continue" and from the played state until the next play after
    ``unplayed_at``."""

    __tablename__ = "played_marks"
    __table_args__ = {"schema": "shared"}

    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("shared.users.id", ondelete="CASCADE"), primary_key=True
    )
    media_type: Mapped[str] = mapped_column(String(16), primary_key=True)
    media_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    played_at: Mapped[datetime | None]
    unplayed_at: Mapped[datetime | None]
