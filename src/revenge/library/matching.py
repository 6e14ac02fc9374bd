"""Which library items carry given external ids (content requests are matched against these).

Only present items count: not marked missing, and an album or artist only with a present track.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String, cast, func, literal, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.library.models import Album, Artist, Episode, Movie, Series, Track


async def present_movie(session: AsyncSession, tmdb_id: int) -> uuid.UUID | None:
    movie = await session.execute(
        select(Movie.id).where(Movie.tmdb_id == tmdb_id, Movie.missing_at.is_(None)).limit(1)
    )
    return movie.scalar_one_or_none()


async def present_series(
    session: AsyncSession,
    *,
    tmdb_id: int | None,
    tvdb_id: int | None,
    seasons: Sequence[int] | None = None,
) -> uuid.UUID | None:
    """A present series with either id that has every one of ``seasons`` (a season counts
    once one of its episodes is present; no seasons: the series alone)."""
    matches = []
    if tmdb_id is not None:
        matches.append(Series.tmdb_id == tmdb_id)
    if tvdb_id is not None:
        matches.append(Series.tvdb_id == tvdb_id)
    if not matches:
        return None
    candidates = list(
        (
            await session.execute(
                select(Series.id).where(or_(*matches), Series.missing_at.is_(None))
            )
        ).scalars()
    )
    wanted = sorted(set(seasons or []))
    for series_id in candidates:
        if not wanted:
            return series_id
        present = await session.execute(
            select(func.count(func.distinct(Episode.season_number))).where(
                Episode.series_id == series_id,
                Episode.season_number.in_(wanted),
                Episode.missing_at.is_(None),
            )
        )
        if present.scalar_one() == len(wanted):
            return series_id
    return None


async def present_album(session: AsyncSession, release_group_id: str) -> uuid.UUID | None:
    album = await session.execute(
        select(Album.id)
        .join(Track, Track.album_id == Album.id)
        .where(Album.musicbrainz_release_group_id == release_group_id, Track.missing_at.is_(None))
        .limit(1)
    )
    return album.scalar_one_or_none()


async def present_artist(session: AsyncSession, artist_mbid: str) -> uuid.UUID | None:
    artist = await session.execute(
        select(Artist.id)
        .join(Track, Track.artist_id == Artist.id)
        .where(Artist.musicbrainz_artist_id == artist_mbid, Track.missing_at.is_(None))
        .limit(1)
    )
    return artist.scalar_one_or_none()


@dataclass(frozen=True)
class PresentIds:
    """Of the ids asked about, those some present item carries."""

    movie_tmdb: frozenset[int] = field(default_factory=frozenset)
    series_tmdb: frozenset[int] = field(default_factory=frozenset)
    series_tvdb: frozenset[int] = field(default_factory=frozenset)
    release_groups: frozenset[str] = field(default_factory=frozenset)
    artist_mbids: frozenset[str] = field(default_factory=frozenset)


async def present_ids(
    session: AsyncSession,
    *,
    movie_tmdb: Collection[int] = (),
    series_tmdb: Collection[int] = (),
    series_tvdb: Collection[int] = (),
    release_groups: Collection[str] = (),
    artist_mbids: Collection[str] = (),
) -> PresentIds:
    """Which of many external ids are in the library, in one statement (a sweep's prefilter)."""
    branches: list[Any] = []

    def branch(name: str, key: Any, *where: Any, join: tuple[Any, Any] | None = None) -> None:
        query = select(literal(name).label("kind"), cast(key, String).label("key"))
        if join is not None:
            query = query.join(*join)
        branches.append(query.where(*where))

    if movie_tmdb:
        branch(
            "movie_tmdb", Movie.tmdb_id, Movie.tmdb_id.in_(movie_tmdb), Movie.missing_at.is_(None)
        )
    if series_tmdb:
        branch(
            "series_tmdb",
            Series.tmdb_id,
            Series.tmdb_id.in_(series_tmdb),
            Series.missing_at.is_(None),
        )
    if series_tvdb:
        branch(
            "series_tvdb",
            Series.tvdb_id,
            Series.tvdb_id.in_(series_tvdb),
            Series.missing_at.is_(None),
        )
    if release_groups:
        branch(
            "release_groups",
            Album.musicbrainz_release_group_id,
            Album.musicbrainz_release_group_id.in_(release_groups),
            Track.missing_at.is_(None),
            join=(Track, Track.album_id == Album.id),
        )
    if artist_mbids:
        branch(
            "artist_mbids",
            Artist.musicbrainz_artist_id,
            Artist.musicbrainz_artist_id.in_(artist_mbids),
            Track.missing_at.is_(None),
            join=(Track, Track.artist_id == Artist.id),
        )
    if not branches:
        return PresentIds()
    statement: Any = branches[0] if len(branches) == 1 else union_all(*branches)
    found: dict[str, set[str]] = {}
    for kind, key in await session.execute(statement):
        found.setdefault(kind, set()).add(key)
    return PresentIds(
        movie_tmdb=frozenset(int(k) for k in found.get("movie_tmdb", ())),
        series_tmdb=frozenset(int(k) for k in found.get("series_tmdb", ())),
        series_tvdb=frozenset(int(k) for k in found.get("series_tvdb", ())),
        release_groups=frozenset(found.get("release_groups", ())),
        artist_mbids=frozenset(found.get("artist_mbids", ())),
    )


async def release_groups_of_artist(session: AsyncSession, artist_id: uuid.UUID) -> list[str]:
    """The MusicBrainz release groups of an artist's albums."""
    rows = await session.execute(
        select(Album.musicbrainz_release_group_id).where(Album.artist_id == artist_id).distinct()
    )
    return sorted(value for value in rows.scalars() if value)
