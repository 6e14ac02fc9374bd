"""Library use cases other features call: what an item is, how long it plays, where its file is."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core.artwork_urls import Artwork
from revenge.core.errors import Conflict, NotFound, Unprocessable
from revenge.core.media import PLAYABLE_TYPES, MediaType
from revenge.library import artwork, lookup, repository, scans
from revenge.library.models import Library, MediaFile, MediaImage, Track

# Scans are asked for in ``scans.py``; these are the doors the API, the CLI and other
# features (a downloader's import webhook: ``request_targeted_scan``) use.
from revenge.library.scans import create_scan as create_scan
from revenge.library.scans import get_scan as get_scan
from revenge.library.scans import request_scan as request_scan
from revenge.library.scans import request_targeted_scan as request_targeted_scan
from revenge.library.schemas import (
    AlbumRead,
    ArtistRead,
    EpisodeRead,
    ImageRead,
    LibraryCreate,
    LibraryRead,
    LibraryUpdate,
    MediaFileRead,
    MovieRead,
    SeasonSummary,
    SeriesRead,
    TrackRead,
)


@dataclass(frozen=True)
class PlayableItem:
    media_type: MediaType
    id: uuid.UUID
    title: str
    duration_ms: int | None
    file_id: uuid.UUID | None


async def get_playable(
    session: AsyncSession, media_type: MediaType, media_id: uuid.UUID
) -> PlayableItem | None:
    """A movie, episode or track by id (None when it does not exist); its title is the
    display title of ``lookup``."""
    if media_type not in PLAYABLE_TYPES:
        return None
    item = await lookup.resolve_one(session, lookup.MediaRef(media_type, media_id))
    if item is None:
        return None
    return PlayableItem(media_type, item.id, item.display_title, item.duration_ms, item.file_id)


async def describe_items(
    session: AsyncSession, items: Iterable[tuple[str, uuid.UUID]]
) -> dict[tuple[str, uuid.UUID], str]:
    """Display titles for many (media_type, id) pairs: one query per media type, however many
    items (the titles of ``lookup``, as ``get_playable`` gives them)."""
    wanted = {(str(media_type), media_id) for media_type, media_id in items}
    titles = await lookup.display_titles(
        session, (lookup.MediaRef.of(media_type, media_id) for media_type, media_id in wanted)
    )
    return {
        (media_type, media_id): titles[ref]
        for media_type, media_id in wanted
        if (ref := lookup.MediaRef.of(media_type, media_id)) in titles
    }


async def artwork_for(
    session: AsyncSession, items: Iterable[tuple[MediaType | str, uuid.UUID]]
) -> dict[tuple[MediaType, uuid.UUID], Artwork | None]:
    """Signed artwork URLs for many (media_type, id) pairs (``None``: the item has no picture,
    nor does the parent it would borrow one from; unknown items get None too). One query per
    media type; the URLs themselves cost no query (``revenge.core.artwork_urls``)."""
    wanted: dict[MediaType, list[uuid.UUID]] = {}
    for media_type, media_id in items:
        wanted.setdefault(MediaType(media_type), []).append(media_id)
    found: dict[tuple[MediaType, uuid.UUID], Artwork | None] = {}
    for media_type, ids in wanted.items():
        present = await artwork.with_artwork(session, media_type, list(dict.fromkeys(ids)))
        for media_id in ids:
            found[(media_type, media_id)] = artwork.urls(media_type, media_id, present)
    return found


async def tracks_without_recording_id(
    session: AsyncSession, track_ids: Iterable[uuid.UUID]
) -> list[uuid.UUID]:
    """Those of ``track_ids`` that exist and have no MusicBrainz recording id."""
    ids = list(track_ids)
    if not ids:
        return []
    rows = await session.execute(
        select(Track.id).where(Track.id.in_(ids), _no_recording_id()).order_by(Track.id)
    )
    return list(rows.scalars())


def _no_recording_id() -> Any:
    return or_(Track.musicbrainz_recording_id.is_(None), Track.musicbrainz_recording_id == "")


async def fill_recording_id(session: AsyncSession, track_id: uuid.UUID, recording_id: str) -> bool:
    """Set a track's MusicBrainz recording id only if it has none; True if it was filled.

    One conditional UPDATE, so an id a rescan or an admin set meanwhile is never overwritten.
    """
    result = await session.execute(
        update(Track)
        .where(Track.id == track_id, _no_recording_id())
        .values(musicbrainz_recording_id=recording_id)
        .returning(Track.id)
    )
    return result.first() is not None


# --- libraries and scans (admin) --------------------------------------------------------


def _validated_folder(raw: str) -> Path:
    path = Path(raw).expanduser()
    if not path.is_absolute():
        raise Unprocessable("library.path_not_absolute", path=raw)
    if not path.exists():
        raise Unprocessable("library.path_not_found", path=raw)
    if not path.is_dir():
        raise Unprocessable("library.path_not_directory", path=raw)
    return path.resolve()


async def create_library(session: AsyncSession, data: LibraryCreate) -> Library:
    """A library over an existing folder that no other library contains or lies inside."""
    folder = _validated_folder(data.path)
    name = data.name.strip()
    if not name:
        raise Unprocessable("library.name_required")
    if await repository.get_library_by_name(session, name) is not None:
        raise Conflict("library.name_taken", name=name)
    for other in await repository.all_library_paths(session):
        other_path = Path(other)
        if other_path == folder:
            raise Conflict("library.path_taken", path=str(folder))
        # Nested libraries would claim the same files twice.
        if other_path in folder.parents or folder in other_path.parents:
            raise Conflict("library.path_overlaps", path=str(folder), other=other)
    library = Library(
        name=name,
        kind=str(data.kind),
        path=str(folder),
        scan_interval_minutes=data.scan_interval_minutes,
        watch=data.watch,
    )
    session.add(library)
    await session.flush()
    return library


async def list_libraries(
    session: AsyncSession, limit: int, offset: int
) -> tuple[list[Library], int]:
    return await repository.list_libraries(session, limit, offset)


async def get_library(session: AsyncSession, library_id: uuid.UUID) -> Library:
    library = await session.get(Library, library_id)
    if library is None:
        raise NotFound("library.not_found")
    return library


async def find_library(session: AsyncSession, name: str) -> Library | None:
    return await repository.get_library_by_name(session, name)


async def update_library(
    session: AsyncSession, library_id: uuid.UUID, data: LibraryUpdate
) -> Library:
    """Rename a library, change its scan interval or switch folder watching (the fields
    given; the watcher picks a change up within a minute)."""
    library = await get_library(session, library_id)
    if data.name is not None:
        name = data.name.strip()
        if not name:
            raise Unprocessable("library.name_required")
        other = await repository.get_library_by_name(session, name)
        if other is not None and other.id != library.id:
            raise Conflict("library.name_taken", name=name)
        library.name = name
    if data.scan_interval_minutes is not None:
        library.scan_interval_minutes = data.scan_interval_minutes
    if data.watch is not None:
        library.watch = data.watch
    await session.flush()
    return library


async def describe_libraries(
    session: AsyncSession, libraries: Sequence[Library]
) -> list[LibraryRead]:
    """Libraries as the admin API shows them, with when their next scheduled scan is due."""
    ends = await repository.last_full_scan_ends(session, [lib.id for lib in libraries])
    return [
        LibraryRead.model_validate(lib).model_copy(
            update={"next_scan_at": scans.next_scan_at(lib, ends.get(lib.id))}
        )
        for lib in libraries
    ]


async def watched_libraries(session: AsyncSession) -> list[tuple[uuid.UUID, str]]:
    """(id, folder) of the libraries whose folder is to be watched."""
    return await repository.watched_libraries(session)


# --- read API -------------------------------------------------------------------------------


class ItemKind(StrEnum):
    movies = "movies"
    series = "series"
    episodes = "episodes"
    artists = "artists"
    albums = "albums"
    tracks = "tracks"


def _file(file: MediaFile | None, show_paths: bool) -> MediaFileRead | None:
    if file is None:
        return None
    read = MediaFileRead.model_validate(file)
    return read if show_paths else read.model_copy(update={"path": None})


def _images(images: list[MediaImage], show_paths: bool) -> list[ImageRead]:
    reads = [ImageRead.model_validate(image) for image in images]
    return reads if show_paths else [r.model_copy(update={"path": None}) for r in reads]


def _movie(row: Any, images: list[MediaImage], art: Artwork | None, show_paths: bool) -> MovieRead:
    movie, file = row
    return MovieRead(
        id=movie.id,
        library_id=movie.library_id,
        title=movie.title,
        year=movie.year,
        overview=movie.overview,
        genres=list(movie.genres or []),
        tmdb_id=movie.tmdb_id,
        imdb_id=movie.imdb_id,
        duration_ms=movie.duration_ms,
        missing_at=movie.missing_at,
        file=_file(file, show_paths),
        images=_images(images, show_paths),
        added_at=movie.created_at,
        artwork=art,
    )


def _series(
    row: Any, images: list[MediaImage], art: Artwork | None, show_paths: bool
) -> SeriesRead:
    series, episode_count = row
    return SeriesRead(
        id=series.id,
        library_id=series.library_id,
        title=series.title,
        year=series.year,
        overview=series.overview,
        genres=list(series.genres or []),
        tmdb_id=series.tmdb_id,
        tvdb_id=series.tvdb_id,
        imdb_id=series.imdb_id,
        missing_at=series.missing_at,
        episode_count=episode_count,
        images=_images(images, show_paths),
        added_at=series.created_at,
        artwork=art,
    )


def _episode(
    row: Any, images: list[MediaImage], art: Artwork | None, show_paths: bool
) -> EpisodeRead:
    episode, series_title, file = row
    return EpisodeRead(
        id=episode.id,
        series_id=episode.series_id,
        series_title=series_title,
        season_id=episode.season_id,
        season_number=episode.season_number,
        episode_number=episode.episode_number,
        title=episode.title,
        tmdb_id=episode.tmdb_id,
        tvdb_id=episode.tvdb_id,
        imdb_id=episode.imdb_id,
        duration_ms=episode.duration_ms,
        missing_at=episode.missing_at,
        file=_file(file, show_paths),
        images=_images(images, show_paths),
        added_at=episode.created_at,
        artwork=art,
    )


def _artist(
    row: Any, images: list[MediaImage], art: Artwork | None, show_paths: bool
) -> ArtistRead:
    artist, album_count = row
    return ArtistRead(
        id=artist.id,
        library_id=artist.library_id,
        name=artist.name,
        musicbrainz_artist_id=artist.musicbrainz_artist_id,
        album_count=album_count,
        images=_images(images, show_paths),
        added_at=artist.created_at,
        artwork=art,
    )


def _album(row: Any, images: list[MediaImage], art: Artwork | None, show_paths: bool) -> AlbumRead:
    album, artist_name, track_count = row
    return AlbumRead(
        id=album.id,
        artist_id=album.artist_id,
        artist_name=artist_name,
        title=album.title,
        year=album.year,
        genres=list(album.genres or []),
        musicbrainz_release_id=album.musicbrainz_release_id,
        musicbrainz_release_group_id=album.musicbrainz_release_group_id,
        track_count=track_count,
        images=_images(images, show_paths),
        added_at=album.created_at,
        artwork=art,
    )


def _track(row: Any, images: list[MediaImage], art: Artwork | None, show_paths: bool) -> TrackRead:
    track, album_title, artist_name, file = row
    return TrackRead(
        id=track.id,
        album_id=track.album_id,
        album_title=album_title,
        artist_id=track.artist_id,
        artist_name=artist_name,
        title=track.title,
        track_number=track.track_number,
        disc_number=track.disc_number,
        duration_ms=track.duration_ms,
        musicbrainz_recording_id=track.musicbrainz_recording_id,
        missing_at=track.missing_at,
        file=_file(file, show_paths),
        images=_images(images, show_paths),
        added_at=track.created_at,
        artwork=art,
    )


@dataclass(frozen=True)
class _KindSpec:
    media_type: MediaType
    lister: Callable[..., Awaitable[tuple[list[Any], int]]]
    getter: Callable[..., Awaitable[Any]]
    sorts: repository.Sorts
    convert: Callable[[Any, list[MediaImage], Artwork | None, bool], BaseModel]


_KINDS: dict[ItemKind, _KindSpec] = {
    ItemKind.movies: _KindSpec(
        MediaType.movie,
        repository.list_movies,
        repository.get_movie,
        repository.MOVIE_SORTS,
        _movie,
    ),
    ItemKind.series: _KindSpec(
        MediaType.series,
        repository.list_series,
        repository.get_series,
        repository.SERIES_SORTS,
        _series,
    ),
    ItemKind.episodes: _KindSpec(
        MediaType.episode,
        repository.list_episodes,
        repository.get_episode,
        repository.EPISODE_SORTS,
        _episode,
    ),
    ItemKind.artists: _KindSpec(
        MediaType.artist,
        repository.list_artists,
        repository.get_artist,
        repository.ARTIST_SORTS,
        _artist,
    ),
    ItemKind.albums: _KindSpec(
        MediaType.album,
        repository.list_albums,
        repository.get_album,
        repository.ALBUM_SORTS,
        _album,
    ),
    ItemKind.tracks: _KindSpec(
        MediaType.track,
        repository.list_tracks,
        repository.get_track,
        repository.TRACK_SORTS,
        _track,
    ),
}


async def list_items(
    session: AsyncSession,
    kind: ItemKind,
    flt: repository.ListFilter,
    limit: int,
    offset: int,
    *,
    show_paths: bool,
) -> tuple[list[Any], int]:
    """One page of a kind of item, searched by title/name and ordered by ``flt.sort`` (see
    ``sort_choices``; file paths only for admins)."""
    spec = _KINDS[kind]
    if flt.sort is not None and not spec.sorts.accepts(flt.sort):
        raise Unprocessable(
            "library.invalid_sort", sort=flt.sort, choices=", ".join(spec.sorts.choices)
        )
    rows, total = await spec.lister(session, flt, limit, offset)
    ids = [row[0].id for row in rows]
    images = await repository.images_for(session, str(spec.media_type), ids)
    present = await artwork.with_artwork(session, spec.media_type, ids)
    return [
        spec.convert(
            row,
            images.get(row[0].id, []),
            artwork.urls(spec.media_type, row[0].id, present),
            show_paths,
        )
        for row in rows
    ], total


def sort_choices(kind: ItemKind) -> list[str]:
    """The ``sort`` values a list accepts ("-" first: descending)."""
    return _KINDS[kind].sorts.choices


async def get_item(
    session: AsyncSession, kind: ItemKind, item_id: uuid.UUID, *, show_paths: bool
) -> Any:
    """One item with its images; series come with their seasons."""
    spec = _KINDS[kind]
    row = await spec.getter(session, item_id)
    if row is None:
        raise NotFound("library.item_not_found")
    images = await repository.images_for(session, str(spec.media_type), [item_id])
    present = await artwork.with_artwork(session, spec.media_type, [item_id])
    read = spec.convert(
        row, images.get(item_id, []), artwork.urls(spec.media_type, item_id, present), show_paths
    )
    if isinstance(read, SeriesRead):
        read.seasons = [
            SeasonSummary(
                id=season.id,
                season_number=season.season_number,
                title=season.title,
                episode_count=count,
            )
            for season, count in await repository.season_summaries(session, item_id)
        ]
    return read
