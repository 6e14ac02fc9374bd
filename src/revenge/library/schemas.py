from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field

from revenge.core.artwork_urls import Artwork
from revenge.core.media import LibraryKind
from revenge.core.types import SaneDatetime, Text

# A year; the schedule is checked every 5 minutes, so shorter intervals act as 5.
MAX_SCAN_INTERVAL_MINUTES = 525_600
_INTERVAL = "a full scan this many minutes after the last one ended; 0 = no scheduled scans"
_WATCH = (
    "watch the folder for changes and scan what changed after 5 quiet seconds (local disks "
    "only: network mounts deliver no change events)"
)


_ADDED = "when a scan first found the item"
_ARTWORK = "signed URLs of its poster or cover (or its parent's); null: it has none"


class LibraryCreate(BaseModel):
    name: Text = Field(min_length=1, max_length=200)
    kind: LibraryKind
    path: Text = Field(min_length=1, max_length=4096)
    scan_interval_minutes: int = Field(
        default=360, ge=0, le=MAX_SCAN_INTERVAL_MINUTES, description=_INTERVAL
    )
    watch: bool = Field(default=False, description=_WATCH)


class LibraryUpdate(BaseModel):
    """The fields to change; those left out keep their value."""

    name: Text | None = Field(default=None, min_length=1, max_length=200)
    scan_interval_minutes: int | None = Field(
        default=None, ge=0, le=MAX_SCAN_INTERVAL_MINUTES, description=_INTERVAL
    )
    watch: bool | None = Field(default=None, description=_WATCH)


class LibraryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: Text
    kind: LibraryKind
    path: Text
    last_scan_at: SaneDatetime | None
    scan_interval_minutes: int
    watch: bool
    next_scan_at: SaneDatetime | None = Field(
        default=None,
        description="when the schedule queues the next full scan (null: schedule off)",
    )
    created_at: SaneDatetime


class LibraryScanRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    library_id: uuid.UUID
    status: Text
    target_path: Text | None = Field(
        default=None, description="the folder or file a targeted scan covers (null: full scan)"
    )
    files_total: int
    files_done: int
    items_added: int
    items_updated: int
    items_missing: int
    error: Text | None
    started_at: SaneDatetime | None
    finished_at: SaneDatetime | None
    created_at: SaneDatetime


class MediaFileRead(BaseModel):
    """Technical facts of an item's file; ``path`` only for admins."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    path: Text | None = None
    size_bytes: int
    container: Text | None
    mime_type: Text | None
    duration_ms: int | None
    bitrate: int | None
    width: int | None
    height: int | None
    audio_codec: Text | None
    video_codec: Text | None
    missing_at: SaneDatetime | None


class ImageRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: Text
    width: int | None
    height: int | None
    path: Text | None = None


class MovieRead(BaseModel):
    id: uuid.UUID
    library_id: uuid.UUID
    title: Text
    year: int | None
    overview: Text | None
    genres: list[Text]
    tmdb_id: int | None
    imdb_id: Text | None
    duration_ms: int | None
    missing_at: SaneDatetime | None
    file: MediaFileRead | None
    images: list[ImageRead] = []
    added_at: SaneDatetime = Field(description=_ADDED)
    artwork: Artwork | None = Field(description=_ARTWORK)


class SeasonSummary(BaseModel):
    id: uuid.UUID
    season_number: int
    title: Text | None
    episode_count: int


class SeriesRead(BaseModel):
    id: uuid.UUID
    library_id: uuid.UUID
    title: Text
    year: int | None
    overview: Text | None
    genres: list[Text]
    tmdb_id: int | None
    tvdb_id: int | None
    imdb_id: Text | None
    missing_at: SaneDatetime | None
    episode_count: int
    seasons: list[SeasonSummary] = []
    images: list[ImageRead] = []
    added_at: SaneDatetime = Field(description=_ADDED)
    artwork: Artwork | None = Field(description=_ARTWORK)


class EpisodeRead(BaseModel):
    id: uuid.UUID
    series_id: uuid.UUID
    series_title: Text
    season_id: uuid.UUID
    season_number: int
    episode_number: int
    title: Text | None
    tmdb_id: int | None
    tvdb_id: int | None
    imdb_id: Text | None
    duration_ms: int | None
    missing_at: SaneDatetime | None
    file: MediaFileRead | None
    images: list[ImageRead] = []
    added_at: SaneDatetime = Field(description=_ADDED)
    artwork: Artwork | None = Field(description=_ARTWORK)


class ArtistRead(BaseModel):
    id: uuid.UUID
    library_id: uuid.UUID
    name: Text
    musicbrainz_artist_id: Text | None
    album_count: int
    images: list[ImageRead] = []
    added_at: SaneDatetime = Field(description=_ADDED)
    artwork: Artwork | None = Field(description=_ARTWORK)


class AlbumRead(BaseModel):
    id: uuid.UUID
    artist_id: uuid.UUID
    artist_name: Text
    title: Text
    year: int | None
    genres: list[Text]
    musicbrainz_release_id: Text | None
    musicbrainz_release_group_id: Text | None
    track_count: int
    images: list[ImageRead] = []
    added_at: SaneDatetime = Field(description=_ADDED)
    artwork: Artwork | None = Field(description=_ARTWORK)


class TrackRead(BaseModel):
    id: uuid.UUID
    album_id: uuid.UUID
    album_title: Text
    artist_id: uuid.UUID
    artist_name: Text
    title: Text
    track_number: int | None
    disc_number: int | None
    duration_ms: int | None
    musicbrainz_recording_id: Text | None
    missing_at: SaneDatetime | None
    file: MediaFileRead | None
    images: list[ImageRead] = []
    added_at: SaneDatetime = Field(description=_ADDED)
    artwork: Artwork | None = Field(description=_ARTWORK)
