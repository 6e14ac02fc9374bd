"""What ``library.lookup`` answers: ``MediaRef``, ``MediaItem`` and the facts it carries, the
one display-title format per kind (described in ``library.lookup``), and building a
``MediaItem`` from a row of the resolver's statement for its kind (``lookup_queries``; the
converters read that statement's column labels).

Other features import these names from ``revenge.library.lookup``.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from revenge.core.media import MediaType

# Image kinds that stand for an item on a page, best first.
ARTWORK_KINDS = ("poster", "cover")


# --- the one title format -----------------------------------------------------------------------


def episode_code(season_number: int, episode_number: int) -> str:
    """``S01E02``."""
    return f"S{season_number:02d}E{episode_number:02d}"


def episode_title(
    series_title: str, season_number: int, episode_number: int, title: str | None
) -> str:
    """``Show S01E02 – Title``, or ``Show S01E02`` without a title."""
    display = f"{series_title} {episode_code(season_number, episode_number)}"
    return f"{display} – {title}" if title else display


def track_title(artist_name: str, title: str) -> str:
    """``Artist – Title``."""
    return f"{artist_name} – {title}"


def album_title(artist_name: str, title: str) -> str:
    """``Artist – Album``."""
    return f"{artist_name} – {title}"


def season_name(season_number: int, title: str | None) -> str:
    """A season's own name: its title, else what the scanner would call it."""
    if title:
        return title
    return "Specials" if season_number == 0 else f"Season {season_number}"


def season_title(series_title: str, season_number: int, title: str | None) -> str:
    """``Show – Season 1``."""
    return f"{series_title} – {season_name(season_number, title)}"


# --- what an answer looks like ----------------------------------------------------------------


@dataclass(frozen=True)
class MediaRef:
    """One library item: its media type and id. Hashable, so answers are keyed by it."""

    media_type: MediaType
    id: uuid.UUID

    def __post_init__(self) -> None:
        # Callers hold plain strings from their own tables; the key must not depend on that.
        if not isinstance(self.media_type, MediaType):
            object.__setattr__(self, "media_type", MediaType(self.media_type))
        if not isinstance(self.id, uuid.UUID):
            object.__setattr__(self, "id", uuid.UUID(str(self.id)))

    @classmethod
    def of(cls, media_type: MediaType | str, media_id: uuid.UUID | str) -> MediaRef:
        if not isinstance(media_id, uuid.UUID):
            media_id = uuid.UUID(str(media_id))
        return cls(MediaType(media_type), media_id)


@dataclass(frozen=True)
class ExternalIds:
    """Ids other services know the item by (only those it carries itself; parents have theirs)."""

    tmdb: int | None = None
    tvdb: int | None = None
    imdb: str | None = None
    musicbrainz_recording: str | None = None
    musicbrainz_release: str | None = None
    musicbrainz_release_group: str | None = None
    musicbrainz_artist: str | None = None


@dataclass(frozen=True)
class FileFacts:
    """The item's primary file (paths are for the server's own use, never for the public)."""

    id: uuid.UUID
    path: str
    size_bytes: int
    mtime: float
    mime_type: str | None
    container: str | None
    duration_ms: int | None
    bitrate: int | None
    width: int | None
    height: int | None
    audio_codec: str | None
    video_codec: str | None
    missing: bool


@dataclass(frozen=True)
class ImageFacts:
    """An image file that belongs to an item (poster, cover, backdrop, thumb)."""

    id: uuid.UUID
    owner: MediaRef
    kind: str
    path: str
    size_bytes: int
    mtime: float
    width: int | None
    height: int | None
    missing: bool = False


@dataclass(frozen=True)
class Parent:
    """A series, season, album or artist an item belongs to."""

    ref: MediaRef
    name: str
    year: int | None = None
    external_ids: ExternalIds = ExternalIds()


@dataclass(frozen=True)
class MediaItem:
    """Everything other features need to know of one library item."""

    ref: MediaRef
    # The stored title or name; None only for an episode without a title.
    name: str | None
    display_title: str
    # Its own; an episode's or season's is its series', a track's its album's.
    year: int | None
    # Its own; a series', season's or album's is the sum over its episodes or tracks.
    duration_ms: int | None
    external_ids: ExternalIds
    # Marked missing by a rescan (the row stays, so history keeps its title).
    missing: bool = False
    season_number: int | None = None  # seasons, episodes
    episode_number: int | None = None
    disc_number: int | None = None  # tracks
    track_number: int | None = None
    file: FileFacts | None = None  # movies, episodes, tracks
    # Present images, by kind and path.
    images: tuple[ImageFacts, ...] = ()
    # Its own poster or cover; an episode or season falls back to its series', a track to its
    # album's.
    artwork_path: str | None = None
    series: Parent | None = None  # seasons, episodes
    season: Parent | None = None  # episodes
    album: Parent | None = None  # tracks
    artist: Parent | None = None  # tracks: who performs it; albums: whose album it is
    album_artist: Parent | None = None  # tracks: the album's artist

    @property
    def kind(self) -> MediaType:
        return self.ref.media_type

    @property
    def id(self) -> uuid.UUID:
        return self.ref.id

    @property
    def title(self) -> str:
        """Its own title, for pages that show the parent beside it (an untitled episode:
        ``S01E02``)."""
        if self.name is not None:
            return self.name
        return episode_code(self.season_number or 0, self.episode_number or 0)

    @property
    def file_id(self) -> uuid.UUID | None:
        return self.file.id if self.file is not None else None


# --- rows to answers -----------------------------------------------------------------------------


def _file(row: Any) -> FileFacts | None:
    if row.file_id is None:
        return None
    return FileFacts(
        id=row.file_id,
        path=row.file_path,
        size_bytes=row.file_size_bytes,
        mtime=row.file_mtime,
        mime_type=row.file_mime_type,
        container=row.file_container,
        duration_ms=row.file_duration_ms,
        bitrate=row.file_bitrate,
        width=row.file_width,
        height=row.file_height,
        audio_codec=row.file_audio_codec,
        video_codec=row.file_video_codec,
        missing=row.file_missing_at is not None,
    )


def _images(owner: MediaRef, raw: Any) -> tuple[ImageFacts, ...]:
    if raw is None:
        return ()
    if isinstance(raw, str | bytes):
        raw = json.loads(raw)
    return tuple(
        ImageFacts(
            id=uuid.UUID(image["id"]),
            owner=owner,
            kind=image["kind"],
            path=image["path"],
            size_bytes=int(image["size_bytes"]),
            mtime=float(image["mtime"]),
            width=image["width"],
            height=image["height"],
        )
        for image in raw
    )


def _artwork(images: tuple[ImageFacts, ...], fallback: str | None = None) -> str | None:
    for kind in ARTWORK_KINDS:
        for image in images:
            if image.kind == kind:
                return image.path
    return fallback


def _total(value: Any) -> int | None:
    # sum(bigint) is numeric in PostgreSQL.
    return None if value is None else int(value)


def _series_parent(row: Any) -> Parent:
    return Parent(
        MediaRef(MediaType.series, row.series_id),
        row.series_title,
        row.series_year,
        ExternalIds(tmdb=row.series_tmdb_id, tvdb=row.series_tvdb_id, imdb=row.series_imdb_id),
    )


def movie_from_row(row: Any) -> MediaItem:
    ref = MediaRef(MediaType.movie, row.id)
    images = _images(ref, row.images)
    return MediaItem(
        ref=ref,
        name=row.title,
        display_title=row.title,
        year=row.year,
        duration_ms=row.duration_ms,
        external_ids=ExternalIds(tmdb=row.tmdb_id, imdb=row.imdb_id),
        missing=row.missing_at is not None,
        file=_file(row),
        images=images,
        artwork_path=_artwork(images),
    )


def series_from_row(row: Any) -> MediaItem:
    ref = MediaRef(MediaType.series, row.id)
    images = _images(ref, row.images)
    return MediaItem(
        ref=ref,
        name=row.title,
        display_title=row.title,
        year=row.year,
        duration_ms=_total(row.total_ms),
        external_ids=ExternalIds(tmdb=row.tmdb_id, tvdb=row.tvdb_id, imdb=row.imdb_id),
        missing=row.missing_at is not None,
        images=images,
        artwork_path=_artwork(images),
    )


def season_from_row(row: Any) -> MediaItem:
    ref = MediaRef(MediaType.season, row.id)
    images = _images(ref, row.images)
    name = season_name(row.season_number, row.title)
    return MediaItem(
        ref=ref,
        name=name,
        display_title=season_title(row.series_title, row.season_number, row.title),
        year=row.series_year,
        duration_ms=_total(row.total_ms),
        external_ids=ExternalIds(),
        season_number=row.season_number,
        images=images,
        artwork_path=_artwork(images, row.parent_artwork),
        series=_series_parent(row),
    )


def episode_from_row(row: Any) -> MediaItem:
    ref = MediaRef(MediaType.episode, row.id)
    images = _images(ref, row.images)
    return MediaItem(
        ref=ref,
        name=row.title,
        display_title=episode_title(
            row.series_title, row.season_number, row.episode_number, row.title
        ),
        year=row.series_year,
        duration_ms=row.duration_ms,
        external_ids=ExternalIds(tmdb=row.tmdb_id, tvdb=row.tvdb_id, imdb=row.imdb_id),
        missing=row.missing_at is not None,
        season_number=row.season_number,
        episode_number=row.episode_number,
        file=_file(row),
        images=images,
        artwork_path=_artwork(images, row.parent_artwork),
        series=_series_parent(row),
        season=Parent(
            MediaRef(MediaType.season, row.season_id),
            season_name(row.season_number, row.season_title),
            row.series_year,
        ),
    )


def artist_from_row(row: Any) -> MediaItem:
    ref = MediaRef(MediaType.artist, row.id)
    images = _images(ref, row.images)
    return MediaItem(
        ref=ref,
        name=row.name,
        display_title=row.name,
        year=None,
        duration_ms=None,
        external_ids=ExternalIds(musicbrainz_artist=row.musicbrainz_artist_id),
        images=images,
        artwork_path=_artwork(images),
    )


def album_from_row(row: Any) -> MediaItem:
    ref = MediaRef(MediaType.album, row.id)
    images = _images(ref, row.images)
    return MediaItem(
        ref=ref,
        name=row.title,
        display_title=album_title(row.artist_name, row.title),
        year=row.year,
        duration_ms=_total(row.total_ms),
        external_ids=ExternalIds(
            musicbrainz_release=row.musicbrainz_release_id,
            musicbrainz_release_group=row.musicbrainz_release_group_id,
        ),
        images=images,
        artwork_path=_artwork(images),
        artist=Parent(
            MediaRef(MediaType.artist, row.artist_id),
            row.artist_name,
            external_ids=ExternalIds(musicbrainz_artist=row.artist_mbid),
        ),
    )


def track_from_row(row: Any) -> MediaItem:
    ref = MediaRef(MediaType.track, row.id)
    images = _images(ref, row.images)
    return MediaItem(
        ref=ref,
        name=row.title,
        display_title=track_title(row.artist_name, row.title),
        year=row.album_year,
        duration_ms=row.duration_ms,
        external_ids=ExternalIds(musicbrainz_recording=row.musicbrainz_recording_id),
        missing=row.missing_at is not None,
        disc_number=row.disc_number,
        track_number=row.track_number,
        file=_file(row),
        images=images,
        artwork_path=_artwork(images, row.parent_artwork),
        album=Parent(
            MediaRef(MediaType.album, row.album_id),
            row.album_title,
            row.album_year,
            ExternalIds(
                musicbrainz_release=row.album_release_id,
                musicbrainz_release_group=row.album_release_group_id,
            ),
        ),
        artist=Parent(
            MediaRef(MediaType.artist, row.artist_id),
            row.artist_name,
            external_ids=ExternalIds(musicbrainz_artist=row.artist_mbid),
        ),
        album_artist=Parent(
            MediaRef(MediaType.artist, row.album_artist_id),
            row.album_artist_name,
            external_ids=ExternalIds(musicbrainz_artist=row.album_artist_mbid),
        ),
    )
