"""What a library item is: the one resolver every feature asks.

``resolve`` answers for many items at once, with one SQL statement per media type asked for:
kind, display title, year, external ids, duration, the primary file, images and parents.
Other features read items through here (or ``library.service``), never through
``library.models``; analytics' set-based SQL is the one named exception.

Display titles have exactly one format per kind, used wherever an item is named (play history,
share lists, notifications, duplicate groups, fingerprint matches, analytics, scrobble queue):

    movie, series   "Heat"
    artist          "Massive Attack"
    season          "Dark – Season 1"             (its own title if it has one: "Dark – Specials")
    episode         "Dark S01E02 – Lies"          ("Dark S01E02" for an episode without a title)
    album           "Massive Attack – Mezzanine"  (the album's artist)
    track           "Massive Attack – Teardrop"   (the track's own artist)

Season and episode numbers have at least two digits ("S01E02", "S2005E01"); the separator is
an en dash with a space either side. ``MediaItem.title`` is the item's own title for pages that
show the parent beside it: the stored title, or the code alone ("S01E02") for an untitled
episode.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import any_, bindparam, case, exists, func, literal, select, union_all
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.selectable import FromClause

from revenge.core.media import MediaType
from revenge.library.lookup_items import (
    ARTWORK_KINDS,
    ExternalIds,
    FileFacts,
    ImageFacts,
    MediaItem,
    MediaRef,
    Parent,
    album_title,
    episode_code,
    episode_from_row,
    episode_title,
    season_name,
    season_title,
    track_from_row,
    track_title,
)
from revenge.library.lookup_queries import LOADERS, duration_statements
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

# The public API. The answer types and title formats live in ``lookup_items``, the per-type
# statements in ``lookup_queries``; other features import all of it from here.
__all__ = [
    "ARTWORK_KINDS",
    "ExternalIds",
    "FileFacts",
    "ImageFacts",
    "MediaItem",
    "MediaRef",
    "Parent",
    "album_title",
    "children",
    "display_titles",
    "durations",
    "episode_code",
    "episode_title",
    "file_by_id",
    "file_lateral",
    "images",
    "recently_added",
    "resolve",
    "resolve_one",
    "season_name",
    "season_title",
    "track_title",
]


def _by_type(refs: Iterable[MediaRef]) -> dict[MediaType, list[uuid.UUID]]:
    wanted: dict[MediaType, dict[uuid.UUID, None]] = {}
    for ref in refs:
        wanted.setdefault(ref.media_type, {})[ref.id] = None
    return {kind: list(wanted[kind]) for kind in sorted(wanted)}


# --- the resolver --------------------------------------------------------------------------------


async def resolve(session: AsyncSession, refs: Iterable[MediaRef]) -> dict[MediaRef, MediaItem]:
    """Every item of ``refs`` that exists (missing-marked ones too), keyed by its ref; unknown
    ids are left out. One statement per media type, however many items."""
    found: dict[MediaRef, MediaItem] = {}
    for kind, ids in _by_type(refs).items():
        loader = LOADERS[kind]
        rows = await session.execute(loader.statement().where(loader.id_column.in_(ids)))
        for row in rows:
            item = loader.build(row)
            found[item.ref] = item
    return found


async def resolve_one(session: AsyncSession, ref: MediaRef) -> MediaItem | None:
    return (await resolve(session, [ref])).get(ref)


async def durations(session: AsyncSession, refs: Iterable[MediaRef]) -> dict[MediaRef, int | None]:
    """``MediaItem.duration_ms`` of each item of ``refs`` that exists (missing-marked ones
    too), keyed by its ref; unknown ids are left out. ``resolve`` without the rest of the item,
    for callers that need only the lengths of many items (a 1,000-listen import)."""
    found: dict[MediaRef, int | None] = {}
    for kind, ids in _by_type(refs).items():
        statement = duration_statements()[kind]
        # One bound array, not an IN list of a thousand parameters (the driver splits a
        # statement's placeholders in Python, which cost more than the lookup itself).
        wanted = bindparam(None, ids, type_=ARRAY(PG_UUID(as_uuid=True)))
        rows = await session.execute(statement.where(LOADERS[kind].id_column == any_(wanted)))
        for item_id, duration in rows:
            # sum(bigint) is numeric in PostgreSQL.
            found[MediaRef(kind, item_id)] = None if duration is None else int(duration)
    return found


async def children(session: AsyncSession, ref: MediaRef) -> list[MediaItem]:
    """A series' or season's present episodes, an album's present tracks, in play order
    (other kinds have none). One statement."""
    if ref.media_type in (MediaType.series, MediaType.season):
        owner = Episode.series_id if ref.media_type == MediaType.series else Episode.season_id
        statement = (
            LOADERS[MediaType.episode]
            .statement()
            .where(owner == ref.id, Episode.missing_at.is_(None))
            .order_by(Episode.season_number, Episode.episode_number)
        )
        build = episode_from_row
    elif ref.media_type == MediaType.album:
        statement = (
            LOADERS[MediaType.track]
            .statement()
            .where(Track.album_id == ref.id, Track.missing_at.is_(None))
            .order_by(Track.disc_number.nulls_first(), Track.track_number, Track.title)
        )
        build = track_from_row
    else:
        return []
    return [build(row) for row in await session.execute(statement)]


# --- display titles alone ------------------------------------------------------------------------
# Analytics names every ranked item after each rebuild (tens of thousands): the same titles
# as ``resolve`` gives, read from the title columns alone.


def _title_statements() -> dict[MediaType, tuple[Any, Callable[..., str]]]:
    def same(title: str) -> str:
        return title

    return {
        MediaType.movie: (select(Movie.id, Movie.title), same),
        MediaType.series: (select(Series.id, Series.title), same),
        MediaType.artist: (select(Artist.id, Artist.name), same),
        MediaType.album: (
            select(Album.id, Artist.name, Album.title).join(Artist, Artist.id == Album.artist_id),
            album_title,
        ),
        MediaType.season: (
            select(Season.id, Series.title, Season.season_number, Season.title).join(
                Series, Series.id == Season.series_id
            ),
            season_title,
        ),
        MediaType.episode: (
            select(
                Episode.id,
                Series.title,
                Episode.season_number,
                Episode.episode_number,
                Episode.title,
            ).join(Series, Series.id == Episode.series_id),
            episode_title,
        ),
        MediaType.track: (
            select(Track.id, Artist.name, Track.title).join(Artist, Artist.id == Track.artist_id),
            track_title,
        ),
    }


_TITLES = cache(_title_statements)


async def display_titles(session: AsyncSession, refs: Iterable[MediaRef]) -> dict[MediaRef, str]:
    """``display_title`` of each item of ``refs`` that exists: one statement per media type."""
    titles: dict[MediaRef, str] = {}
    for kind, ids in _by_type(refs).items():
        statement, title = _TITLES()[kind]
        rows = await session.execute(statement.where(LOADERS[kind].id_column.in_(ids)))
        titles.update({MediaRef(kind, row[0]): title(*row[1:]) for row in rows})
    return titles


# --- images by id --------------------------------------------------------------------------------


async def images(
    session: AsyncSession, image_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, ImageFacts]:
    """Images by their own id (missing-marked ones too), with the item each belongs to."""
    ids = list(dict.fromkeys(image_ids))
    if not ids:
        return {}
    rows = await session.execute(
        select(
            MediaImage.id,
            MediaImage.media_type,
            MediaImage.media_id,
            MediaImage.kind,
            MediaImage.path,
            MediaImage.size_bytes,
            MediaImage.mtime,
            MediaImage.width,
            MediaImage.height,
            MediaImage.missing_at,
        ).where(MediaImage.id.in_(ids))
    )
    return {
        row.id: ImageFacts(
            id=row.id,
            owner=MediaRef.of(row.media_type, row.media_id),
            kind=row.kind,
            path=row.path,
            size_bytes=row.size_bytes,
            mtime=row.mtime,
            width=row.width,
            height=row.height,
            missing=row.missing_at is not None,
        )
        for row in rows
    }


# --- a file, inside another feature's statement --------------------------------------------------


def file_lateral(
    media_type: Any,
    media_id: Any,
    child_id: Any,
    *,
    correlate: Any,
    name: str,
) -> FromClause:
    """The present file behind a (``media_type``, ``media_id``) pair held in another feature's
    table, as a LATERAL subquery with columns ``id``, ``path``, ``mime_type``: a movie's,
    episode's or track's own file; for a series or album, the file of its episode or track
    ``child_id`` (nothing when that child is not its own).

    For hot paths that must stay one round trip (every Range request of a shared stream):
    the caller joins it to its own rows, correlated to ``correlate``.
    """

    def own(model: Any) -> Any:
        return (
            select(model.file_id).where(model.id == media_id).correlate(correlate).scalar_subquery()
        )

    file_id = case(
        (media_type == MediaType.movie.value, own(Movie)),
        (media_type == MediaType.episode.value, own(Episode)),
        (media_type == MediaType.track.value, own(Track)),
        (
            media_type == MediaType.series.value,
            select(Episode.file_id)
            .where(Episode.id == child_id, Episode.series_id == media_id)
            .correlate(correlate)
            .scalar_subquery(),
        ),
        (
            media_type == MediaType.album.value,
            select(Track.file_id)
            .where(Track.id == child_id, Track.album_id == media_id)
            .correlate(correlate)
            .scalar_subquery(),
        ),
    )
    return (
        select(MediaFile.id, MediaFile.path, MediaFile.mime_type)
        .where(MediaFile.id == file_id, MediaFile.missing_at.is_(None))
        .correlate(correlate)
        .lateral(name)
    )


# --- a file by its own id ------------------------------------------------------------------------


async def file_by_id(session: AsyncSession, file_id: uuid.UUID) -> FileFacts | None:
    """A media file by its own id (missing-marked ones too): the player's stream route holds a
    file id only. One indexed statement."""
    row = (
        await session.execute(
            select(
                MediaFile.id,
                MediaFile.path,
                MediaFile.size_bytes,
                MediaFile.mtime,
                MediaFile.mime_type,
                MediaFile.container,
                MediaFile.duration_ms,
                MediaFile.bitrate,
                MediaFile.width,
                MediaFile.height,
                MediaFile.audio_codec,
                MediaFile.video_codec,
                MediaFile.missing_at,
            ).where(MediaFile.id == file_id)
        )
    ).one_or_none()
    if row is None:
        return None
    return FileFacts(
        id=row.id,
        path=row.path,
        size_bytes=row.size_bytes,
        mtime=row.mtime,
        mime_type=row.mime_type,
        container=row.container,
        duration_ms=row.duration_ms,
        bitrate=row.bitrate,
        width=row.width,
        height=row.height,
        audio_codec=row.audio_codec,
        video_codec=row.video_codec,
        missing=row.missing_at is not None,
    )


# --- what came in lately -------------------------------------------------------------------------


async def recently_added(session: AsyncSession, limit: int) -> list[tuple[MediaRef, datetime]]:
    """The ``limit`` newest movies, series and albums together, newest first, with when each
    came in: a movie or album when its row was made, a series when its newest present episode
    was (a new episode brings the series back to the top). Missing-marked items, and series and
    albums without a present episode or track, are left out. One statement."""
    movies = (
        select(literal(MediaType.movie.value).label("kind"), Movie.id, Movie.created_at.label("at"))
        .where(Movie.missing_at.is_(None))
        .order_by(Movie.created_at.desc())
        .limit(limit)
    )
    newest_episode = func.max(Episode.created_at)
    series = (
        select(literal(MediaType.series.value).label("kind"), Series.id, newest_episode.label("at"))
        .join(Episode, Episode.series_id == Series.id)
        .where(Series.missing_at.is_(None), Episode.missing_at.is_(None))
        .group_by(Series.id)
        .order_by(newest_episode.desc())
        .limit(limit)
    )
    present_track = exists().where(Track.album_id == Album.id, Track.missing_at.is_(None))
    albums = (
        select(literal(MediaType.album.value).label("kind"), Album.id, Album.created_at.label("at"))
        .where(present_track)
        .order_by(Album.created_at.desc())
        .limit(limit)
    )
    both = union_all(movies, series, albums).subquery("added")
    rows = await session.execute(
        select(both.c.kind, both.c.id, both.c.at).order_by(both.c.at.desc(), both.c.id).limit(limit)
    )
    return [(MediaRef.of(row.kind, row.id), row.at) for row in rows]
