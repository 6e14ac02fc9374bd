"""The small media library every feature works against (tables in ``public``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column, validates

from revenge.core.db import Base, Timestamps, UUIDPrimaryKey
from revenge.library.match_keys import title_key, track_match_key


def _fk(target: str, ondelete: str = "CASCADE") -> ForeignKey:
    return ForeignKey(target, ondelete=ondelete)


class Library(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "libraries"

    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))  # LibraryKind
    path: Mapped[str] = mapped_column(Text, unique=True)
    last_scan_at: Mapped[datetime | None]
    # A full scan is queued when the last one ended this long ago (0 = never by schedule).
    scan_interval_minutes: Mapped[int] = mapped_column(default=360, server_default="360")
    # Watch the folder for changes (inotify; local disks only, README "Arrivals").
    watch: Mapped[bool] = mapped_column(default=False, server_default="false")


class LibraryScan(UUIDPrimaryKey, Timestamps, Base):
    """One scan run, with the progress a UI shows."""

    __tablename__ = "library_scans"

    library_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), _fk("libraries.id"), index=True
    )
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued|running|done|failed
    # A folder or file inside the library: a targeted scan of that subtree (None: the whole library).
    target_path: Mapped[str | None] = mapped_column(Text)
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
    __table_args__ = (
        # Targeted scans read the files under one folder (path LIKE 'folder/%'), and look up a
        # file moved in from elsewhere by its size (migration 0018).
        Index("ix_media_files_path_prefix", "path", postgresql_ops={"path": "text_pattern_ops"}),
        Index("ix_media_files_size_bytes", "size_bytes"),
    )

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
    # The normalized title (library.match_keys), kept with the title: what other servers'
    # spellings of it are looked up by.
    match_key: Mapped[str | None] = mapped_column(Text, index=True)

    @validates("title")
    def _keep_match_key(self, _key: str, title: str) -> str:
        self.match_key = title_key(title)
        return title


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
    imdb_id: Mapped[str | None] = mapped_column(String(16), index=True)
    missing_at: Mapped[datetime | None]
    # As Movie.match_key.
    match_key: Mapped[str | None] = mapped_column(Text, index=True)

    @validates("title")
    def _keep_match_key(self, _key: str, title: str) -> str:
        self.match_key = title_key(title)
        return title


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
    # Senders name episodes by these (Jellyfin's provider ids of an episode are its own).
    tmdb_id: Mapped[int | None] = mapped_column(Integer, index=True)
    tvdb_id: Mapped[int | None] = mapped_column(Integer, index=True)
    imdb_id: Mapped[str | None] = mapped_column(String(16), index=True)
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


def _track_match_key(context: Any) -> str | None:
    """The key of a track inserted without one, from its artist's stored name (one query per
    row: the scanner passes the key it computed, so only tests and tools ever get here)."""
    row = context.get_current_parameters()
    name = context.connection.scalar(select(Artist.name).where(Artist.id == row["artist_id"]))
    return None if name is None else track_match_key(name, row["title"])


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
    # Its own artist's name and its title, normalized (library.match_keys.track_match_key):
    # what a batch of listens ("artist – title") is looked up by. Whoever changes the title or
    # the artist sets it again (library.items does).
    match_key: Mapped[str | None] = mapped_column(Text, index=True, default=_track_match_key)


class MediaImage(UUIDPrimaryKey, Timestamps, Base):
    """An image file that belongs to an item (poster, album cover, backdrop)."""

    __tablename__ = "media_images"
    __table_args__ = (
        Index("ix_media_images_owner", "media_type", "media_id"),
        Index("ix_media_images_path_prefix", "path", postgresql_ops={"path": "text_pattern_ops"}),
    )

    media_type: Mapped[str] = mapped_column(String(16))
    media_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    kind: Mapped[str] = mapped_column(String(16))  # poster|cover|backdrop|thumb
    path: Mapped[str] = mapped_column(Text, unique=True)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    mtime: Mapped[float]
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    missing_at: Mapped[datetime | None]
