"""Library queries: libraries, scans, and the read lists (search, paging, filters)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.library.models import (
    Album,
    Artist,
    Episode,
    Library,
    LibraryScan,
    MediaFile,
    MediaImage,
    Movie,
    Season,
    Series,
    Track,
)


@dataclass(frozen=True)
class ListFilter:
    q: str | None = None
    include_missing: bool = False
    parent_id: uuid.UUID | None = None  # series (episodes), artist (albums), album (tracks)
    # A field of the list's ``SORTS`` entry, "-" first for descending; None: the natural order.
    sort: str | None = None


@dataclass(frozen=True)
class Sorts:
    """How a list can be ordered: the natural order (a page's order when no sort is asked
    for, and the tie-break of every other), and the columns behind each sort field."""

    natural: tuple[Any, ...]
    fields: dict[str, tuple[Any, ...]]

    def order_by(self, sort: str | None, id_column: Any) -> list[Any]:
        """The ORDER BY of ``sort``; the id comes last, so equal keys page stably."""
        if sort is None:
            return [*self.natural, id_column]
        descending = sort.startswith("-")
        columns = self.fields[sort.removeprefix("-")]
        # Unknown years and untitled episodes go last either way.
        primary = [(c.desc() if descending else c.asc()).nulls_last() for c in columns]
        return [*primary, *self.natural, id_column]

    def accepts(self, sort: str) -> bool:
        return sort.removeprefix("-") in self.fields

    @property
    def choices(self) -> list[str]:
        return [choice for field in self.fields for choice in (field, f"-{field}")]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _like(q: str) -> str:
    return f"%{_escape_like(q)}%"


def path_within(column: Any, path: str) -> Any:
    """``column`` is ``path`` or lies under it (a prefix search the ``text_pattern_ops`` index
    on ``media_files.path`` / ``media_images.path`` serves)."""
    return or_(column == path, column.like(_escape_like(path.rstrip("/")) + "/%"))


async def _page(
    session: AsyncSession, query: Any, limit: int, offset: int
) -> tuple[list[Any], int]:
    total = await session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = (await session.execute(query.limit(limit).offset(offset))).all()
    return list(rows), int(total or 0)


async def list_libraries(
    session: AsyncSession, limit: int, offset: int
) -> tuple[list[Library], int]:
    rows, total = await _page(session, select(Library).order_by(Library.name), limit, offset)
    return [row[0] for row in rows], total


async def get_library_by_name(session: AsyncSession, name: str) -> Library | None:
    return (
        await session.execute(select(Library).where(func.lower(Library.name) == name.lower()))
    ).scalar_one_or_none()


async def all_library_paths(session: AsyncSession) -> list[str]:
    return list((await session.execute(select(Library.path))).scalars())


async def waiting_scans(session: AsyncSession, library_id: uuid.UUID) -> list[LibraryScan]:
    """The library's queued scans, oldest first. A scan row locked by a scanner that is
    starting it is left out: its walk may already be done, so it cannot absorb a new request."""
    return list(
        (
            await session.execute(
                select(LibraryScan)
                .where(LibraryScan.library_id == library_id, LibraryScan.status == "queued")
                .order_by(LibraryScan.created_at, LibraryScan.id)
                .with_for_update(skip_locked=True)
            )
        ).scalars()
    )


async def waiting_scan(session: AsyncSession, library_id: uuid.UUID) -> LibraryScan | None:
    """The library's oldest queued full scan."""
    return next(
        (s for s in await waiting_scans(session, library_id) if s.target_path is None), None
    )


async def next_queued_scan_id(session: AsyncSession, library_id: uuid.UUID) -> uuid.UUID | None:
    return (
        await session.execute(
            select(LibraryScan.id)
            .where(LibraryScan.library_id == library_id, LibraryScan.status == "queued")
            .order_by(LibraryScan.created_at, LibraryScan.id)
            .limit(1)
        )
    ).scalar_one_or_none()


def _last_full_scan_end() -> Any:
    """When the library's last full scan ended (done or failed), else its last scan time."""
    ended = (
        select(func.max(LibraryScan.finished_at))
        .where(LibraryScan.library_id == Library.id, LibraryScan.target_path.is_(None))
        .scalar_subquery()
    )
    return func.coalesce(ended, Library.last_scan_at)


async def last_full_scan_ends(
    session: AsyncSession, library_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, datetime | None]:
    if not library_ids:
        return {}
    rows = await session.execute(
        select(Library.id, _last_full_scan_end()).where(Library.id.in_(library_ids))
    )
    return {library_id: ended for library_id, ended in rows}


async def libraries_due_for_scan(
    session: AsyncSession, now: datetime, busy_after: datetime
) -> list[uuid.UUID]:
    """Libraries with a scan interval whose last full scan ended longer than that ago (or that
    never had one) and that have no scan waiting or running (a "running" scan not updated
    since ``busy_after`` died with its worker)."""
    busy = (
        select(LibraryScan.id)
        .where(
            LibraryScan.library_id == Library.id,
            or_(
                LibraryScan.status == "queued",
                (LibraryScan.status == "running") & (LibraryScan.updated_at > busy_after),
            ),
        )
        .exists()
    )
    ended = _last_full_scan_end()
    due = or_(
        ended.is_(None),
        ended + func.make_interval(0, 0, 0, 0, 0, Library.scan_interval_minutes) <= now,
    )
    rows = await session.execute(
        select(Library.id)
        .where(Library.scan_interval_minutes > 0, due, ~busy)
        .order_by(Library.name)
    )
    return list(rows.scalars())


async def libraries_with_stranded_scans(
    session: AsyncSession, queued_before: datetime, busy_after: datetime
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(library, oldest queued scan) for libraries whose queued scans have waited since
    ``queued_before`` with no scan of theirs running: their job was lost."""
    running = (
        select(LibraryScan.id)
        .where(
            LibraryScan.library_id == Library.id,
            LibraryScan.status == "running",
            LibraryScan.updated_at > busy_after,
        )
        .exists()
    )
    oldest = (
        select(LibraryScan.id)
        .where(LibraryScan.library_id == Library.id, LibraryScan.status == "queued")
        .order_by(LibraryScan.created_at, LibraryScan.id)
        .limit(1)
        .scalar_subquery()
    )
    stale = (
        select(LibraryScan.id)
        .where(
            LibraryScan.library_id == Library.id,
            LibraryScan.status == "queued",
            LibraryScan.created_at < queued_before,
        )
        .exists()
    )
    rows = await session.execute(select(Library.id, oldest).where(stale, ~running))
    return [(library_id, scan_id) for library_id, scan_id in rows]


async def watched_libraries(session: AsyncSession) -> list[tuple[uuid.UUID, str]]:
    rows = await session.execute(
        select(Library.id, Library.path).where(Library.watch.is_(True)).order_by(Library.name)
    )
    return [(library_id, path) for library_id, path in rows]


async def library_folders(session: AsyncSession) -> list[tuple[uuid.UUID, str]]:
    rows = await session.execute(select(Library.id, Library.path))
    return [(library_id, path) for library_id, path in rows]


# "added" is when the row was created (the scan that found the item). Episodes and tracks are
# listed in play order unless asked otherwise; their "title" is their own.
MOVIE_SORTS = Sorts(
    natural=(func.lower(Movie.title), Movie.year),
    fields={
        "title": (func.lower(Movie.title),),
        "year": (Movie.year,),
        "added": (Movie.created_at,),
    },
)
SERIES_SORTS = Sorts(
    natural=(func.lower(Series.title), Series.year),
    fields={
        "title": (func.lower(Series.title),),
        "year": (Series.year,),
        "added": (Series.created_at,),
    },
)
EPISODE_SORTS = Sorts(
    natural=(func.lower(Series.title), Episode.season_number, Episode.episode_number),
    fields={
        "title": (func.lower(Episode.title),),
        "year": (Series.year,),
        "added": (Episode.created_at,),
    },
)
ARTIST_SORTS = Sorts(
    natural=(func.lower(Artist.name),),
    fields={"title": (func.lower(Artist.name),), "added": (Artist.created_at,)},
)
ALBUM_SORTS = Sorts(
    natural=(func.lower(Album.title), Album.year),
    fields={
        "title": (func.lower(Album.title),),
        "year": (Album.year,),
        "added": (Album.created_at,),
        "artist": (func.lower(Artist.name),),
    },
)
TRACK_SORTS = Sorts(
    natural=(func.lower(Album.title), Track.disc_number, Track.track_number),
    fields={
        "title": (func.lower(Track.title),),
        "year": (Album.year,),
        "added": (Track.created_at,),
    },
)


async def list_movies(
    session: AsyncSession, flt: ListFilter, limit: int, offset: int
) -> tuple[list[Any], int]:
    query = (
        select(Movie, MediaFile)
        .outerjoin(MediaFile, MediaFile.id == Movie.file_id)
        .order_by(*MOVIE_SORTS.order_by(flt.sort, Movie.id))
    )
    if flt.q:
        query = query.where(Movie.title.ilike(_like(flt.q)))
    if not flt.include_missing:
        query = query.where(Movie.missing_at.is_(None))
    return await _page(session, query, limit, offset)


def _series_query() -> Any:
    episodes = (
        select(func.count(Episode.id))
        .where(Episode.series_id == Series.id, Episode.missing_at.is_(None))
        .scalar_subquery()
    )
    return select(Series, episodes)


async def list_series(
    session: AsyncSession, flt: ListFilter, limit: int, offset: int
) -> tuple[list[Any], int]:
    query = _series_query().order_by(*SERIES_SORTS.order_by(flt.sort, Series.id))
    if flt.q:
        query = query.where(Series.title.ilike(_like(flt.q)))
    if not flt.include_missing:
        query = query.where(Series.missing_at.is_(None))
    return await _page(session, query, limit, offset)


async def get_series(session: AsyncSession, series_id: uuid.UUID) -> Any:
    return (await session.execute(_series_query().where(Series.id == series_id))).first()


async def season_summaries(session: AsyncSession, series_id: uuid.UUID) -> Sequence[Any]:
    count = (
        select(func.count(Episode.id))
        .where(Episode.season_id == Season.id, Episode.missing_at.is_(None))
        .scalar_subquery()
    )
    return (
        await session.execute(
            select(Season, count)
            .where(Season.series_id == series_id)
            .order_by(Season.season_number)
        )
    ).all()


def _episode_query() -> Any:
    return (
        select(Episode, Series.title, MediaFile)
        .join(Series, Series.id == Episode.series_id)
        .outerjoin(MediaFile, MediaFile.id == Episode.file_id)
    )


async def list_episodes(
    session: AsyncSession, flt: ListFilter, limit: int, offset: int
) -> tuple[list[Any], int]:
    query = _episode_query().order_by(*EPISODE_SORTS.order_by(flt.sort, Episode.id))
    if flt.q:
        pattern = _like(flt.q)
        query = query.where(or_(Episode.title.ilike(pattern), Series.title.ilike(pattern)))
    if flt.parent_id:
        query = query.where(Episode.series_id == flt.parent_id)
    if not flt.include_missing:
        query = query.where(Episode.missing_at.is_(None))
    return await _page(session, query, limit, offset)


async def get_episode(session: AsyncSession, episode_id: uuid.UUID) -> Any:
    return (await session.execute(_episode_query().where(Episode.id == episode_id))).first()


def _artist_query() -> Any:
    albums = select(func.count(Album.id)).where(Album.artist_id == Artist.id).scalar_subquery()
    return select(Artist, albums)


async def list_artists(
    session: AsyncSession, flt: ListFilter, limit: int, offset: int
) -> tuple[list[Any], int]:
    query = _artist_query().order_by(*ARTIST_SORTS.order_by(flt.sort, Artist.id))
    if flt.q:
        query = query.where(Artist.name.ilike(_like(flt.q)))
    return await _page(session, query, limit, offset)


async def get_artist(session: AsyncSession, artist_id: uuid.UUID) -> Any:
    return (await session.execute(_artist_query().where(Artist.id == artist_id))).first()


def _album_query() -> Any:
    tracks = (
        select(func.count(Track.id))
        .where(Track.album_id == Album.id, Track.missing_at.is_(None))
        .scalar_subquery()
    )
    return select(Album, Artist.name, tracks).join(Artist, Artist.id == Album.artist_id)


async def list_albums(
    session: AsyncSession, flt: ListFilter, limit: int, offset: int
) -> tuple[list[Any], int]:
    query = _album_query().order_by(*ALBUM_SORTS.order_by(flt.sort, Album.id))
    if flt.q:
        pattern = _like(flt.q)
        query = query.where(or_(Album.title.ilike(pattern), Artist.name.ilike(pattern)))
    if flt.parent_id:
        query = query.where(Album.artist_id == flt.parent_id)
    return await _page(session, query, limit, offset)


async def get_album(session: AsyncSession, album_id: uuid.UUID) -> Any:
    return (await session.execute(_album_query().where(Album.id == album_id))).first()


def _track_query() -> Any:
    return (
        select(Track, Album.title, Artist.name, MediaFile)
        .join(Album, Album.id == Track.album_id)
        .join(Artist, Artist.id == Track.artist_id)
        .outerjoin(MediaFile, MediaFile.id == Track.file_id)
    )


async def list_tracks(
    session: AsyncSession, flt: ListFilter, limit: int, offset: int
) -> tuple[list[Any], int]:
    query = _track_query().order_by(*TRACK_SORTS.order_by(flt.sort, Track.id))
    if flt.q:
        pattern = _like(flt.q)
        query = query.where(or_(Track.title.ilike(pattern), Artist.name.ilike(pattern)))
    if flt.parent_id:
        query = query.where(Track.album_id == flt.parent_id)
    if not flt.include_missing:
        query = query.where(Track.missing_at.is_(None))
    return await _page(session, query, limit, offset)


async def get_track(session: AsyncSession, track_id: uuid.UUID) -> Any:
    return (await session.execute(_track_query().where(Track.id == track_id))).first()


async def get_movie(session: AsyncSession, movie_id: uuid.UUID) -> Any:
    return (
        await session.execute(
            select(Movie, MediaFile)
            .outerjoin(MediaFile, MediaFile.id == Movie.file_id)
            .where(Movie.id == movie_id)
        )
    ).first()


async def images_for(
    session: AsyncSession, media_type: str, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[MediaImage]]:
    if not ids:
        return {}
    rows = await session.execute(
        select(MediaImage)
        .where(
            MediaImage.media_type == media_type,
            MediaImage.media_id.in_(ids),
            MediaImage.missing_at.is_(None),
        )
        .order_by(MediaImage.kind, MediaImage.path)
    )
    found: dict[uuid.UUID, list[MediaImage]] = {}
    for image in rows.scalars():
        found.setdefault(image.media_id, []).append(image)
    return found
