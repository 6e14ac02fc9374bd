"""Content requests: what users asked for, who else wants it, and per-user quota overrides."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from revenge.core.db import Base, Timestamps, UUIDPrimaryKey


class RequestMediaType(StrEnum):
    movie = "movie"
    tv = "tv"
    music = "music"


class RequestStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    # Approved and handed to a downloader (Radarr, Sonarr, Lidarr), which is fetching it.
    processing = "processing"
    denied = "denied"
    available = "available"


class ExternalSource(StrEnum):
    """What ``external_id`` names: TMDB ids for movies/TV, a MusicBrainz id for music."""

    tmdb = "tmdb"
    musicbrainz_release_group = "musicbrainz_release_group"
    musicbrainz_artist = "musicbrainz_artist"
    # Asked for by title (and year) alone: no provider id, so no downloader can take it and
    # the library cannot match it; an administrator adds it by hand.
    manual = "manual"


# The status reason of a request by title: no downloader is told, an admin fetches it by hand.
MANUAL_REASON = "manual"
OPEN_STATUSES = (RequestStatus.pending, RequestStatus.approved, RequestStatus.processing)
# The partial unique index that makes "one open request per thing" hold under concurrency.
OPEN_REQUEST_INDEX = "uq_content_requests_open_external"
OPEN_REQUEST_WHERE = text("status IN ('pending', 'approved', 'processing')")


def _user_fk(ondelete: str = "CASCADE") -> ForeignKey:
    return ForeignKey("shared.users.id", ondelete=ondelete)


class ContentRequest(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "content_requests"
    __table_args__ = (
        Index(
            OPEN_REQUEST_INDEX,
            "media_type",
            "external_id",
            unique=True,
            postgresql_where=OPEN_REQUEST_WHERE,
        ),
        Index("ix_content_requests_user_type_time", "user_id", "media_type", "requested_at"),
        Index("ix_content_requests_status", "status"),
        {"schema": "shared"},
    )

    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), _user_fk())
    media_type: Mapped[str] = mapped_column(String(16))  # RequestMediaType
    external_source: Mapped[str] = mapped_column(String(32))  # ExternalSource
    external_id: Mapped[str] = mapped_column(String(64))
    # TV: TMDB's cross reference, so a series scanned with only a TVDB id still matches.
    tvdb_id: Mapped[int | None] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(500))
    year: Mapped[int | None] = mapped_column(Integer)
    overview: Mapped[str | None] = mapped_column(Text)
    poster_path: Mapped[str | None] = mapped_column(String(500))
    # TV only; None = the whole series.
    seasons: Mapped[list[int] | None] = mapped_column(ARRAY(Integer))
    status: Mapped[str] = mapped_column(String(16), default=RequestStatus.pending)
    # Why the status is what it is when that is not obvious (e.g. "item_removed").
    status_reason: Mapped[str | None] = mapped_column(String(32))
    admin_note: Mapped[str | None] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column(server_default=func.now())
    processed_at: Mapped[datetime | None]
    processed_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), _user_fk("SET NULL"))
    available_at: Mapped[datetime | None]
    # The library item it resolved to (movie | series | album | artist).
    library_media_type: Mapped[str | None] = mapped_column(String(16))
    library_media_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    # The downloader it was handed to (downloaders.handoff_changed), as it was named then, and
    # the downloader's id of the movie / series / album / artist.
    downloader_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("shared.downloaders.id", ondelete="SET NULL")
    )
    downloader_name: Mapped[str | None] = mapped_column(String(100))
    downloader_kind: Mapped[str | None] = mapped_column(String(16))
    downloader_item_id: Mapped[int | None] = mapped_column(Integer)
    # The downloader's own words when the hand-off failed or waits for a retry.
    handoff_error: Mapped[str | None] = mapped_column(Text)
    # The download as the downloader's queue last showed it (downloaders.progress_reported).
    download_status: Mapped[str | None] = mapped_column(String(16))
    download_progress: Mapped[float | None] = mapped_column(Float)
    download_size: Mapped[int | None] = mapped_column(BigInteger)
    download_size_left: Mapped[int | None] = mapped_column(BigInteger)
    download_eta: Mapped[datetime | None]
    download_checked_at: Mapped[datetime | None]


class ContentRequestInterest(UUIDPrimaryKey, Base):
    """A "me too": another user who asked for the same thing while it was open."""

    __tablename__ = "content_request_interests"
    __table_args__ = (UniqueConstraint("request_id", "user_id"), {"schema": "shared"})

    request_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("shared.content_requests.id", ondelete="CASCADE")
    )
    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), _user_fk(), index=True)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class RequestUserSettings(Timestamps, Base):
    """Per-user quota overrides (None = the server default, 0 = no limit) and auto-approve."""

    __tablename__ = "content_request_user_settings"
    __table_args__ = {"schema": "shared"}

    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), _user_fk(), primary_key=True)
    quota_movie: Mapped[int | None] = mapped_column(Integer)
    quota_tv: Mapped[int | None] = mapped_column(Integer)
    quota_music: Mapped[int | None] = mapped_column(Integer)
    quota_days: Mapped[int | None] = mapped_column(Integer)
    auto_approve: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
