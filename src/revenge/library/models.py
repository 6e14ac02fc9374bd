"""The small media library every feature works against (tables in ``public``)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ARRAY, BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from revenge.core.db import Base, Timestamps, UUIDPrimaryKey


def _fk(target: str, ondelete: str = "CASCADE") -> ForeignKey:
    return ForeignKey(target, ondelete=ondelete)


class Library(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "libraries"

    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))  # LibraryKind
    path: Mapped[str] = mapped_column(Text, unique=True)
    last_scan_at: Mapped[datetime | None]


class LibraryScan(UUIDPrimaryKey, Timestamps, Base):
    """One scan run, with the progress a UI shows."""

    __tablename__ = "library_scans"

    library_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), _fk("libraries.id"), index=True
    )
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued|running|done|failed
    files_total: Mapped[int] = mapped_column(Integer, default=0)
    files_done: Mapped[int] = mapped_column(Integer, default=0)
    items_added: Mapped[int] = mapped_column(Integer, default=0)
    items_updated: Mapped[int] = mapped_column(Integer, default=0)
    items_missing: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class MediaFile(UUIDPrimaryKey, Timestamps, Base):
    """A file on disk; size and mtime let rescans and fingerprinting skip unchanged files."""

    __tablename__ = "media_files"

    library_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), _fk("libraries.id"), index=True
    )
    path: Mapped[str] = mapped_column(Text, unique=True)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    mtime: Mapped[float]
    container: Mapped[str | None] = mapped_column(String(32))
    mime_type: Mapped[str | None] = mapped_column(String(100))
    duration_ms: Mapped[int | None] = mapped_column(BigInteger)
    bitrate: Mapped[int | None] = mapped_column(Integer)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    audio_codec: Mapped[str | None] = mapped_column(String(32))
    video_codec: Mapped[str | None] = mapped_column(String(32))
    missing_at: Mapped[datetime | None]


class Movie(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "movies"
    __table_args__ = (Index("ix_movies_title_lower", "title"),)

    library_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), _fk("libraries.id"), index=True
    )
    title: Mapped[str] = mapped_column(String(500))
    year: Mapped[int | None] = mapped_column(Integer)
    overview: Mapped[str | None] = mapped_column(Text)
    genres: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list, server_default="{}")
    tmdb_id: Mapped[int | None] = mapped_column(Integer, index=True)
    imdb_id: Mapped[str | None] = mapped_column(String(16), index=True)
    duration_ms: Mapped[int | None] = mapped_column(BigInteger)
    file_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), _fk("media_files.id", "SET NULL"), unique=True
    )
    missing_at: Mapped[datetime | None]


class Series(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "series"

    library_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), _fk("libraries.id"), index=True
    )
    title: Mapped[str] = mapped_column(String(500))
    year: Mapped[int | None] = mapped_column(Integer)
    overview: Mapped[str | None] = mapped_column(Text)
    genres: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list, server_default="{}")
    tmdb_id: Mapped[int | None] = mapped_column(Integer, index=True)
    tvdb_id: Mapped[int | None] = mapped_column(Integer, index=True)
    imdb_id: Mapped[str | None] = mapped_column(String(16))
    missing_at: Mapped[datetime | None]


class Season(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "seasons"
    __table_args__ = (UniqueConstraint("series_id", "season_number"),)

    series_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), _fk("series.id"), index=True)
    season_number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str | None] = mapped_column(String(500))


class Episode(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "episodes"
    __table_args__ = (
        Index("ix_episodes_series_number", "series_id", "season_number", "episode_number"),
    )

    series_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), _fk("series.id"), index=True)
    season_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), _fk("seasons.id"), index=True)
    season_number: Mapped[int] = mapped_column(Integer)
    episode_number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str | None] = mapped_column(String(500))
    tmdb_id: Mapped[int | None] = mapped_column(Integer)
    tvdb_id: Mapped[int | None] = mapped_column(Integer)
    imdb_id: Mapped[str | None] = mapped_column(String(16))
    duration_ms: Mapped[int | None] = mapped_column(BigInteger)
    file_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), _fk("media_files.id", "SET NULL"), unique=True
    )
    missing_at: Mapped[datetime | None]


class Artist(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "artists"

    library_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), _fk("libraries.id"), index=True
    )
    name: Mapped[str] = mapped_column(String(500))
    musicbrainz_artist_id: Mapped[str | None] = mapped_column(String(36), index=True)


class Album(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "albums"

    artist_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), _fk("artists.id"), index=True)
    title: Mapped[str] = mapped_column(String(500))
    year: Mapped[int | None] = mapped_column(Integer)
    genres: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list, server_default="{}")
    musicbrainz_release_id: Mapped[str | None] = mapped_column(String(36), index=True)
    musicbrainz_release_group_id: Mapped[str | None] = mapped_column(String(36), index=True)


class Track(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "tracks"

    album_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), _fk("albums.id"), index=True)
    artist_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), _fk("artists.id"), index=True)
    title: Mapped[str] = mapped_column(String(500))
    track_number: Mapped[int | None] = mapped_column(Integer)
    disc_number: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[int | None] = mapped_column(BigInteger)
    musicbrainz_recording_id: Mapped[str | None] = mapped_column(String(36), index=True)
    file_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), _fk("media_files.id", "SET NULL"), unique=True
    )
    missing_at: Mapped[datetime | None]


class MediaImage(UUIDPrimaryKey, Timestamps, Base):
    """An image file that belongs to an item (poster, album cover, backdrop)."""

    __tablename__ = "media_images"
    __table_args__ = (Index("ix_media_images_owner", "media_type", "media_id"),)

    media_type: Mapped[str] = mapped_column(String(16))
    media_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    kind: Mapped[str] = mapped_column(String(16))  # poster|cover|backdrop|thumb
    path: Mapped[str] = mapped_column(Text, unique=True)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    mtime: Mapped[float]
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    missing_at: Mapped[datetime | None]
