"""The resolver's SQL: one statement per media type, its columns labelled as the matching
``lookup_items`` converter reads them; ``LOADERS`` pairs each statement with its converter.

Used by ``library.lookup`` only; other features ask ``lookup.resolve`` and friends.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import func, null, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import aliased

from revenge.core.media import MediaType
from revenge.library.lookup_items import (
    ARTWORK_KINDS,
    MediaItem,
    album_from_row,
    artist_from_row,
    episode_from_row,
    movie_from_row,
    season_from_row,
    series_from_row,
    track_from_row,
)
from revenge.library.models import (
    Album,
    Artist,
    Episode,
    MediaFile,
    MediaImage,
    Movie,
    Season,
    Series,
    Track,
)

# --- the statements: one per media type ----------------------------------------------------------

_FILE_COLUMNS = (
    MediaFile.id.label("file_id"),
    MediaFile.path.label("file_path"),
    MediaFile.size_bytes.label("file_size_bytes"),
    MediaFile.mtime.label("file_mtime"),
    MediaFile.mime_type.label("file_mime_type"),
    MediaFile.container.label("file_container"),
    MediaFile.duration_ms.label("file_duration_ms"),
    MediaFile.bitrate.label("file_bitrate"),
    MediaFile.width.label("file_width"),
    MediaFile.height.label("file_height"),
    MediaFile.audio_codec.label("file_audio_codec"),
    MediaFile.video_codec.label("file_video_codec"),
    MediaFile.missing_at.label("file_missing_at"),
)

_SERIES_COLUMNS = (
    Series.id.label("series_id"),
    Series.title.label("series_title"),
    Series.year.label("series_year"),
    Series.tmdb_id.label("series_tmdb_id"),
    Series.tvdb_id.label("series_tvdb_id"),
    Series.imdb_id.label("series_imdb_id"),
)


def _images_column(media_type: MediaType, owner_id: Any) -> Any:
    """The owner's present images as one JSON array (ordered by kind, path), so they come
    back in the item's own row instead of a second round trip."""
    fields = ("id", "kind", "path", "size_bytes", "mtime", "width", "height")
    image = func.json_build_object(
        *(part for name in fields for part in (name, getattr(MediaImage, name)))
    )
    return (
        select(func.json_agg(aggregate_order_by(image, MediaImage.kind, MediaImage.path)))
        .where(
            MediaImage.media_type == media_type.value,
            MediaImage.media_id == owner_id,
            MediaImage.missing_at.is_(None),
        )
        .scalar_subquery()
        .label("images")
    )


def _parent_artwork_column(media_type: MediaType, owner_id: Any) -> Any:
    return (
        select(MediaImage.path)
        .where(
            MediaImage.media_type == media_type.value,
            MediaImage.media_id == owner_id,
            MediaImage.kind.in_(ARTWORK_KINDS),
            MediaImage.missing_at.is_(None),
        )
        .order_by(MediaImage.kind.desc(), MediaImage.path)  # poster before cover
        .limit(1)
        .scalar_subquery()
        .label("parent_artwork")
    )


def _sum_column(column: Any, *where: Any) -> Any:
    return select(func.sum(column)).where(*where).scalar_subquery().label("total_ms")


def _movie_statement() -> Any:
    return (
        select(
            Movie.id,
            Movie.title,
            Movie.year,
            Movie.duration_ms,
            Movie.tmdb_id,
            Movie.imdb_id,
            Movie.missing_at,
            *_FILE_COLUMNS,
            _images_column(MediaType.movie, Movie.id),
        )
        .select_from(Movie)
        .outerjoin(MediaFile, MediaFile.id == Movie.file_id)
    )


def _series_statement() -> Any:
    return select(
        Series.id,
        Series.title,
        Series.year,
        Series.tmdb_id,
        Series.tvdb_id,
        Series.imdb_id,
        Series.missing_at,
        _sum_column(Episode.duration_ms, Episode.series_id == Series.id),
        _images_column(MediaType.series, Series.id),
    ).select_from(Series)


def _season_statement() -> Any:
    return (
        select(
            Season.id,
            Season.season_number,
            Season.title,
            *_SERIES_COLUMNS,
            _sum_column(Episode.duration_ms, Episode.season_id == Season.id),
            _images_column(MediaType.season, Season.id),
            _parent_artwork_column(MediaType.series, Season.series_id),
        )
        .select_from(Season)
        .join(Series, Series.id == Season.series_id)
    )


def _episode_statement() -> Any:
    return (
        select(
            Episode.id,
            Episode.season_number,
            Episode.episode_number,
            Episode.title,
            Episode.tmdb_id,
            Episode.tvdb_id,
            Episode.imdb_id,
            Episode.duration_ms,
            Episode.missing_at,
            Season.id.label("season_id"),
            Season.title.label("season_title"),
            *_SERIES_COLUMNS,
            *_FILE_COLUMNS,
            _images_column(MediaType.episode, Episode.id),
            _parent_artwork_column(MediaType.series, Episode.series_id),
        )
        .select_from(Episode)
        .join(Series, Series.id == Episode.series_id)
        .join(Season, Season.id == Episode.season_id)
        .outerjoin(MediaFile, MediaFile.id == Episode.file_id)
    )


def _artist_statement() -> Any:
    return select(
        Artist.id,
        Artist.name,
        Artist.musicbrainz_artist_id,
        _images_column(MediaType.artist, Artist.id),
    ).select_from(Artist)


def _album_statement() -> Any:
    return (
        select(
            Album.id,
            Album.title,
            Album.year,
            Album.musicbrainz_release_id,
            Album.musicbrainz_release_group_id,
            Artist.id.label("artist_id"),
            Artist.name.label("artist_name"),
            Artist.musicbrainz_artist_id.label("artist_mbid"),
            _sum_column(Track.duration_ms, Track.album_id == Album.id),
            _images_column(MediaType.album, Album.id),
        )
        .select_from(Album)
        .join(Artist, Artist.id == Album.artist_id)
    )


def _track_statement() -> Any:
    album_artist = aliased(Artist, name="album_artist")
    return (
        select(
            Track.id,
            Track.title,
            Track.track_number,
            Track.disc_number,
            Track.duration_ms,
            Track.musicbrainz_recording_id,
            Track.missing_at,
            Artist.id.label("artist_id"),
            Artist.name.label("artist_name"),
            Artist.musicbrainz_artist_id.label("artist_mbid"),
            Album.id.label("album_id"),
            Album.title.label("album_title"),
            Album.year.label("album_year"),
            Album.musicbrainz_release_id.label("album_release_id"),
            Album.musicbrainz_release_group_id.label("album_release_group_id"),
            album_artist.id.label("album_artist_id"),
            album_artist.name.label("album_artist_name"),
            album_artist.musicbrainz_artist_id.label("album_artist_mbid"),
            *_FILE_COLUMNS,
            _images_column(MediaType.track, Track.id),
            _parent_artwork_column(MediaType.album, Track.album_id),
        )
        .select_from(Track)
        .join(Artist, Artist.id == Track.artist_id)
        .join(Album, Album.id == Track.album_id)
        .join(album_artist, album_artist.id == Album.artist_id)
        .outerjoin(MediaFile, MediaFile.id == Track.file_id)
    )


# --- each statement with its converter ---------------------------------------------------------


@dataclass(frozen=True)
class Loader:
    id_column: Any
    statement: Callable[[], Any]
    build: Callable[[Any], MediaItem]


LOADERS: dict[MediaType, Loader] = {
    MediaType.movie: Loader(Movie.id, cache(_movie_statement), movie_from_row),
    MediaType.series: Loader(Series.id, cache(_series_statement), series_from_row),
    MediaType.season: Loader(Season.id, cache(_season_statement), season_from_row),
    MediaType.episode: Loader(Episode.id, cache(_episode_statement), episode_from_row),
    MediaType.artist: Loader(Artist.id, cache(_artist_statement), artist_from_row),
    MediaType.album: Loader(Album.id, cache(_album_statement), album_from_row),
    MediaType.track: Loader(Track.id, cache(_track_statement), track_from_row),
}


# --- lengths alone: ``MediaItem.duration_ms`` without the rest of the item -----------------------
# Recording a 1,000-listen import needs each track's length and nothing else; building whole
# items (files, images, parents) for it cost more than the import's own statements.


@cache
def duration_statements() -> dict[MediaType, Any]:
    """Per media type, ``SELECT id, duration_ms``: the same figure each converter above puts
    in ``MediaItem.duration_ms`` (a sum over the children for series, seasons and albums)."""
    return {
        MediaType.movie: select(Movie.id, Movie.duration_ms),
        MediaType.episode: select(Episode.id, Episode.duration_ms),
        MediaType.track: select(Track.id, Track.duration_ms),
        MediaType.series: select(
            Series.id, _sum_column(Episode.duration_ms, Episode.series_id == Series.id)
        ),
        MediaType.season: select(
            Season.id, _sum_column(Episode.duration_ms, Episode.season_id == Season.id)
        ),
        MediaType.album: select(
            Album.id, _sum_column(Track.duration_ms, Track.album_id == Album.id)
        ),
        MediaType.artist: select(Artist.id, null()),
    }
