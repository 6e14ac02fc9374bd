"""Library rows and API calls the content request tests share."""

from __future__ import annotations

import uuid
from typing import Any

import httpx2 as httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core import events
from revenge.core.db import session_scope
from revenge.library.models import Album, Artist, Episode, MediaImage, Season, Series, Track
from tests.factories import make_library


async def make_series(
    title: str = "Dark",
    *,
    tmdb_id: int | None = None,
    tvdb_id: int | None = None,
    seasons: tuple[int, ...] = (1,),
) -> Series:
    """A series with one episode in each of ``seasons``."""
    library = await make_library("tv")
    async with session_scope() as s:
        series = Series(library_id=library.id, title=title, tmdb_id=tmdb_id, tvdb_id=tvdb_id)
        s.add(series)
        await s.flush()
        for number in seasons:
            await add_episode(s, series, number)
        return series


async def add_episode(s: AsyncSession, series: Series, season: int, number: int = 1) -> Episode:
    season_row = (
        await s.execute(
            select(Season).where(Season.series_id == series.id, Season.season_number == season)
        )
    ).scalar_one_or_none()
    if season_row is None:
        season_row = Season(series_id=series.id, season_number=season)
        s.add(season_row)
        await s.flush()
    episode = Episode(
        series_id=series.id,
        season_id=season_row.id,
        season_number=season,
        episode_number=number,
    )
    s.add(episode)
    await s.flush()
    return episode


async def make_album(
    title: str, artist: str, *, release_group: str | None = None, artist_mbid: str | None = None
) -> tuple[Album, Track]:
    """An album with one track, carrying MusicBrainz ids as a tagged scan would."""
    library = await make_library("music")
    async with session_scope() as s:
        artist_row = Artist(library_id=library.id, name=artist, musicbrainz_artist_id=artist_mbid)
        s.add(artist_row)
        await s.flush()
        album = Album(
            artist_id=artist_row.id, title=title, musicbrainz_release_group_id=release_group
        )
        s.add(album)
        await s.flush()
        track = Track(album_id=album.id, artist_id=artist_row.id, title=f"{title} (track 1)")
        s.add(track)
        await s.flush()
        return album, track


async def emit(
    event: type[events.LibraryItemAdded | events.LibraryItemRemoved],
    media_type: str,
    media_id: uuid.UUID,
    library_id: uuid.UUID,
) -> None:
    """What the library scanner does when it adds or removes an item."""
    async with session_scope() as s:
        await events.emit(s, event(media_type=media_type, media_id=media_id, library_id=library_id))


async def ask(client: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> httpx.Response:
    return await client.post("/api/v1/requests", json=body, headers=headers)


async def with_poster(media_type: str, media_id: uuid.UUID) -> None:
    """A poster image for a library item, as a scan that found one records it."""
    async with session_scope() as s:
        s.add(
            MediaImage(
                media_type=media_type,
                media_id=media_id,
                kind="poster",
                path=f"/srv/media/{uuid.uuid4().hex}/poster.jpg",
                size_bytes=10,
                mtime=1.0,
            )
        )
