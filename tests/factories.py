"""Library rows for tests that need items without scanning files."""

from __future__ import annotations

import uuid

from revenge.core.db import session_scope
from revenge.library.models import Album, Artist, Episode, Library, Movie, Season, Series, Track


async def make_library(kind: str = "movies") -> Library:
    async with session_scope() as s:
        library = Library(
            name=f"{kind}-{uuid.uuid4().hex[:6]}", kind=kind, path=f"/srv/{uuid.uuid4().hex}"
        )
        s.add(library)
        await s.flush()
        return library


async def make_movie(
    title: str = "Heat", *, duration_ms: int = 2 * 3600 * 1000, tmdb_id: int | None = None, **extra
) -> Movie:
    library = await make_library("movies")
    async with session_scope() as s:
        movie = Movie(
            library_id=library.id, title=title, duration_ms=duration_ms, tmdb_id=tmdb_id, **extra
        )
        s.add(movie)
        await s.flush()
        return movie


async def make_episode(
    series_title: str = "Dark",
    season: int = 1,
    number: int = 1,
    *,
    duration_ms: int = 45 * 60 * 1000,
) -> Episode:
    library = await make_library("tv")
    async with session_scope() as s:
        series = Series(library_id=library.id, title=series_title)
        s.add(series)
        await s.flush()
        season_row = Season(series_id=series.id, season_number=season)
        s.add(season_row)
        await s.flush()
        episode = Episode(
            series_id=series.id,
            season_id=season_row.id,
            season_number=season,
            episode_number=number,
            duration_ms=duration_ms,
        )
        s.add(episode)
        await s.flush()
        return episode


async def make_track(
    title: str = "Teardrop", artist: str = "Massive Attack", *, duration_ms: int = 330_000, **extra
) -> Track:
    library = await make_library("music")
    async with session_scope() as s:
        artist_row = Artist(library_id=library.id, name=artist)
        s.add(artist_row)
        await s.flush()
        album = Album(artist_id=artist_row.id, title="Mezzanine", year=1998)
        s.add(album)
        await s.flush()
        track = Track(
            album_id=album.id,
            artist_id=artist_row.id,
            title=title,
            duration_ms=duration_ms,
            **extra,
        )
        s.add(track)
        await s.flush()
        return track
