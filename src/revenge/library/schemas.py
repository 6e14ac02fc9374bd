from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from revenge.core.media import LibraryKind


class LibraryCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    kind: LibraryKind
    path: str = Field(min_length=1, max_length=4096)


class LibraryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    kind: LibraryKind
    path: str
    last_scan_at: datetime | None
    created_at: datetime


class LibraryScanRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    library_id: uuid.UUID
    status: str
    files_total: int
    files_done: int
    items_added: int
    items_updated: int
    items_missing: int
    error: str | None
    started_at: datetime | None
    finished_at: datetime | None
    created_at: datetime


class MediaFileRead(BaseModel):
    """Technical facts of an item's file; ``path`` only for admins."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    path: str | None = None
    size_bytes: int
    container: str | None
    mime_type: str | None
    duration_ms: int | None
    bitrate: int | None
    width: int | None
    height: int | None
    audio_codec: str | None
    video_codec: str | None
    missing_at: datetime | None


class ImageRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: str
    width: int | None
    height: int | None
    path: str | None = None


class MovieRead(BaseModel):
    id: uuid.UUID
    library_id: uuid.UUID
    title: str
    year: int | None
    overview: str | None
    genres: list[str]
    tmdb_id: int | None
    imdb_id: str | None
    duration_ms: int | None
    missing_at: datetime | None
    file: MediaFileRead | None
    images: list[ImageRead] = []


class SeasonSummary(BaseModel):
    id: uuid.UUID
    season_number: int
    title: str | None
    episode_count: int


class SeriesRead(BaseModel):
    id: uuid.UUID
    library_id: uuid.UUID
    title: str
    year: int | None
    overview: str | None
    genres: list[str]
    tmdb_id: int | None
    tvdb_id: int | None
    imdb_id: str | None
    missing_at: datetime | None
    episode_count: int
    seasons: list[SeasonSummary] = []
    images: list[ImageRead] = []


class EpisodeRead(BaseModel):
    id: uuid.UUID
    series_id: uuid.UUID
    series_title: str
    season_id: uuid.UUID
    season_number: int
    episode_number: int
    title: str | None
    tmdb_id: int | None
    tvdb_id: int | None
    imdb_id: str | None
    duration_ms: int | None
    missing_at: datetime | None
    file: MediaFileRead | None
    images: list[ImageRead] = []


class ArtistRead(BaseModel):
    id: uuid.UUID
    library_id: uuid.UUID
    name: str
    musicbrainz_artist_id: str | None
    album_count: int
    images: list[ImageRead] = []


class AlbumRead(BaseModel):
    id: uuid.UUID
    artist_id: uuid.UUID
    artist_name: str
    title: str
    year: int | None
    genres: list[str]
    musicbrainz_release_id: str | None
    musicbrainz_release_group_id: str | None
    track_count: int
    images: list[ImageRead] = []


class TrackRead(BaseModel):
    id: uuid.UUID
    album_id: uuid.UUID
    album_title: str
    artist_id: uuid.UUID
    artist_name: str
    title: str
    track_number: int | None
    disc_number: int | None
    duration_ms: int | None
    musicbrainz_recording_id: str | None
    missing_at: datetime | None
    file: MediaFileRead | None
    images: list[ImageRead] = []
