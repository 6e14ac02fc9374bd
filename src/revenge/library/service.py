"""Library use cases other features call: what an item is, how long it plays, where its file is."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core.media import MediaType
from revenge.library.models import Album, Artist, Episode, MediaFile, Movie, Series, Track


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
    """A movie, episode or track by id (None when it does not exist)."""
    if media_type == MediaType.movie:
        movie = await session.get(Movie, media_id)
        if movie is None:
            return None
        return PlayableItem(media_type, movie.id, movie.title, movie.duration_ms, movie.file_id)
    if media_type == MediaType.episode:
        row = (
            await session.execute(
                select(Episode, Series.title)
                .join(Series, Series.id == Episode.series_id)
                .where(Episode.id == media_id)
            )
        ).first()
        if row is None:
            return None
        episode, series_title = row
        title = f"{series_title} S{episode.season_number:02d}E{episode.episode_number:02d}"
        if episode.title:
            title += f" – {episode.title}"
        return PlayableItem(media_type, episode.id, title, episode.duration_ms, episode.file_id)
    if media_type == MediaType.track:
        track_row = (
            await session.execute(
                select(Track, Artist.name)
                .join(Artist, Artist.id == Track.artist_id)
                .where(Track.id == media_id)
            )
        ).first()
        if track_row is None:
            return None
        track, artist = track_row
        return PlayableItem(
            media_type, track.id, f"{artist} – {track.title}", track.duration_ms, track.file_id
        )
    return None


_TITLE_COLUMNS = {
    MediaType.movie: (Movie, Movie.title),
    MediaType.series: (Series, Series.title),
    MediaType.artist: (Artist, Artist.name),
    MediaType.album: (Album, Album.title),
}


async def describe_items(
    session: AsyncSession, items: Iterable[tuple[str, uuid.UUID]]
) -> dict[tuple[str, uuid.UUID], str]:
    """Display titles for many (media_type, id) pairs in few queries."""
    wanted: dict[str, set[uuid.UUID]] = {}
    for media_type, media_id in items:
        wanted.setdefault(str(media_type), set()).add(media_id)
    titles: dict[tuple[str, uuid.UUID], str] = {}
    for media_type, ids in wanted.items():
        kind = MediaType(media_type)
        if kind in _TITLE_COLUMNS:
            model, column = _TITLE_COLUMNS[kind]
            rows = await session.execute(select(model.id, column).where(model.id.in_(ids)))  # type: ignore[attr-defined]
            titles.update({(media_type, row[0]): row[1] for row in rows})
        else:
            for media_id in ids:
                item = await get_playable(session, kind, media_id)
                if item is not None:
                    titles[(media_type, media_id)] = item.title
    return titles


async def get_file(session: AsyncSession, file_id: uuid.UUID) -> MediaFile | None:
    return await session.get(MediaFile, file_id)
