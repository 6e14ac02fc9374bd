"""Frozen facts about a playable item, as external services need them (scrobbling).

A snapshot is taken when the play happens and stored with the queued scrobble, so a later
rename or rescan of the library cannot change what is sent for a past play.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core.media import MediaType
from revenge.library.models import Album, Artist, Episode, Movie, Series, Track


@dataclass(frozen=True)
class ItemSnapshot:
    media_type: str
    media_id: str
    title: str
    duration_ms: int | None = None
    year: int | None = None
    # music
    artist: str | None = None
    album: str | None = None
    album_artist: str | None = None
    track_number: int | None = None
    musicbrainz_recording_id: str | None = None
    musicbrainz_release_id: str | None = None
    musicbrainz_artist_id: str | None = None
    # video
    tmdb_id: int | None = None
    imdb_id: str | None = None
    tvdb_id: int | None = None
    series_title: str | None = None
    series_year: int | None = None
    series_tmdb_id: int | None = None
    series_tvdb_id: int | None = None
    series_imdb_id: str | None = None
    season_number: int | None = None
    episode_number: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ItemSnapshot:
        known = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in known})


async def scrobble_snapshot(
    session: AsyncSession, media_type: MediaType | str, media_id: uuid.UUID
) -> ItemSnapshot | None:
    """Title, people and external ids of a movie, episode or track (None if it is gone)."""
    kind = MediaType(media_type)
    if kind == MediaType.movie:
        movie = await session.get(Movie, media_id)
        if movie is None:
            return None
        return ItemSnapshot(
            media_type=kind.value,
            media_id=str(movie.id),
            title=movie.title,
            duration_ms=movie.duration_ms,
            year=movie.year,
            tmdb_id=movie.tmdb_id,
            imdb_id=movie.imdb_id,
        )
    if kind == MediaType.episode:
        row = (
            await session.execute(
                select(Episode, Series)
                .join(Series, Series.id == Episode.series_id)
                .where(Episode.id == media_id)
            )
        ).first()
        if row is None:
            return None
        episode, series = row
        return ItemSnapshot(
            media_type=kind.value,
            media_id=str(episode.id),
            title=episode.title
            or f"{series.title} S{episode.season_number}E{episode.episode_number}",
            duration_ms=episode.duration_ms,
            tmdb_id=episode.tmdb_id,
            imdb_id=episode.imdb_id,
            tvdb_id=episode.tvdb_id,
            series_title=series.title,
            series_year=series.year,
            series_tmdb_id=series.tmdb_id,
            series_tvdb_id=series.tvdb_id,
            series_imdb_id=series.imdb_id,
            season_number=episode.season_number,
            episode_number=episode.episode_number,
        )
    if kind == MediaType.track:
        album_artist = Artist.__table__.alias("album_artist")
        track_row = (
            await session.execute(
                select(Track, Artist, Album, album_artist.c.name)
                .join(Artist, Artist.id == Track.artist_id)
                .join(Album, Album.id == Track.album_id)
                .join(album_artist, album_artist.c.id == Album.artist_id)
                .where(Track.id == media_id)
            )
        ).first()
        if track_row is None:
            return None
        track, artist, album, album_artist_name = track_row
        return ItemSnapshot(
            media_type=kind.value,
            media_id=str(track.id),
            title=track.title,
            duration_ms=track.duration_ms,
            year=album.year,
            artist=artist.name,
            album=album.title,
            album_artist=album_artist_name,
            track_number=track.track_number,
            musicbrainz_recording_id=track.musicbrainz_recording_id,
            musicbrainz_release_id=album.musicbrainz_release_id,
            musicbrainz_artist_id=artist.musicbrainz_artist_id,
        )
    return None
