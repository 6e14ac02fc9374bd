"""Downloaders (Radarr, Sonarr, Lidarr) and the durable hand-off of approved requests to them
(schema ``shared``)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from revenge.core.db import Base, Timestamps, UUIDPrimaryKey

# At most one default downloader per kind (the one approved requests go to).
DEFAULT_PER_KIND_INDEX = "uq_downloaders_default_per_kind"
NAME_INDEX = "uq_downloaders_lower_name"


class Downloader(UUIDPrimaryKey, Timestamps, Base):
    """One Radarr, Sonarr or Lidarr. The API key is AES-GCM sealed (``core.crypto``); of the
    webhook token only its SHA-256 is kept (the admin sees the URL once)."""

    __tablename__ = "downloaders"
    __table_args__ = (
        Index(DEFAULT_PER_KIND_INDEX, "kind", unique=True, postgresql_where=text("is_default")),
        Index(NAME_INDEX, func.lower(text("name")), unique=True),
        {"schema": "shared"},
    )

    kind: Mapped[str] = mapped_column(String(16))  # DownloaderKind
    name: Mapped[str] = mapped_column(String(100))
    base_url: Mapped[str] = mapped_column(String(500))
    api_key: Mapped[str] = mapped_column(Text)  # sealed
    quality_profile_id: Mapped[int | None] = mapped_column(Integer)
    root_folder: Mapped[str | None] = mapped_column(String(500))
    metadata_profile_id: Mapped[int | None] = mapped_column(Integer)  # Lidarr
    minimum_availability: Mapped[str | None] = mapped_column(String(16))  # Radarr
    series_type: Mapped[str | None] = mapped_column(String(16))  # Sonarr
    season_folder: Mapped[bool | None] = mapped_column(Boolean)  # Sonarr
    tags: Mapped[list[int]] = mapped_column(ARRAY(Integer), default=list, server_default="{}")
    search_on_add: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    is_default: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    # [{"from": "/data/movies", "to": "/srv/movies"}, …]: the longest matching prefix of a
    # path its webhook names is rewritten.
    path_map: Mapped[list[dict[str, str]]] = mapped_column(JSONB, default=list, server_default="[]")
    webhook_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    last_webhook_at: Mapped[datetime | None]
    last_webhook_event: Mapped[str | None] = mapped_column(String(40))
    # The queue poll: when it last worked, and why it did not.
    last_checked_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None]


class DownloadHandoff(UUIDPrimaryKey, Timestamps, Base):
    """One approved request on its way to a downloader: the durable unit of the hand-off (a
    downloader that is down loses nothing; the sweep resends what is due), then the request's
    download as the downloader's queue shows it."""

    __tablename__ = "download_handoffs"
    __table_args__ = (
        Index(
            "ix_download_handoffs_pending_due",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
        ),
        Index(
            "ix_download_handoffs_sent_downloader",
            "downloader_id",
            postgresql_where=text("status = 'sent'"),
        ),
        {"schema": "shared"},
    )

    request_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True),
        ForeignKey("shared.content_requests.id", ondelete="CASCADE"),
        unique=True,
    )
    # Chosen when it is sent: the kind's default downloader at that moment.
    downloader_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("shared.downloaders.id", ondelete="SET NULL")
    )
    # The request's facts when it was approved (content_requests.approved).
    media_type: Mapped[str] = mapped_column(String(16))
    external_source: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(64))
    tvdb_id: Mapped[int | None] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(500))
    year: Mapped[int | None] = mapped_column(Integer)
    seasons: Mapped[list[int] | None] = mapped_column(ARRAY(Integer))
    # pending | sent | failed | skipped (no downloader of its kind) | closed (request settled)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_code: Mapped[str | None] = mapped_column(String(32))
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    # The downloader's id of the movie / series / album / artist, and what was done.
    item_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str | None] = mapped_column(String(16))
    sent_at: Mapped[datetime | None]
    # The download as last seen in the downloader's queue.
    download_status: Mapped[str | None] = mapped_column(String(16))
    download_progress: Mapped[float | None] = mapped_column(Float)
    download_size: Mapped[int | None] = mapped_column(BigInteger)
    download_size_left: Mapped[int | None] = mapped_column(BigInteger)
    download_eta: Mapped[datetime | None]
    download_checked_at: Mapped[datetime | None]


__all__ = ["DownloadHandoff", "Downloader"]
