"""Frozen facts about a playable item, as external services need them (scrobbling).

A snapshot is taken when the play happens and stored with the queued scrobble, so a later
rename or rescan of the library cannot change what is sent for a past play.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core.media import PLAYABLE_TYPES, MediaType
from revenge.library import lookup


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
    if kind not in PLAYABLE_TYPES:
        return None
    item = await lookup.resolve_one(session, lookup.MediaRef(kind, media_id))
    return snapshot_of(item) if item is not None else None


def snapshot_of(item: lookup.MediaItem) -> ItemSnapshot:
    """The snapshot of a resolved movie, episode or track.

    ``title`` is the item's own title, as services expect it (Last.fm's ``track``); an episode
    without one gets its display title ("Show S01E02"), the one format ``lookup`` names it by.
    """
    base: dict[str, Any] = {
        "media_type": item.kind.value,
        "media_id": str(item.id),
        "title": item.name if item.name is not None else item.display_title,
        "duration_ms": item.duration_ms,
    }
    ids = item.external_ids
    if item.kind == MediaType.episode and item.series is not None:
        series = item.series
        return ItemSnapshot(
            **base,
            tmdb_id=ids.tmdb,
            imdb_id=ids.imdb,
            tvdb_id=ids.tvdb,
            series_title=series.name,
            series_year=series.year,
            series_tmdb_id=series.external_ids.tmdb,
            series_tvdb_id=series.external_ids.tvdb,
            series_imdb_id=series.external_ids.imdb,
            season_number=item.season_number,
            episode_number=item.episode_number,
        )
    if item.kind == MediaType.track and item.album is not None and item.artist is not None:
        return ItemSnapshot(
            **base,
            year=item.year,
            artist=item.artist.name,
            album=item.album.name,
            album_artist=item.album_artist.name if item.album_artist is not None else None,
            track_number=item.track_number,
            musicbrainz_recording_id=ids.musicbrainz_recording,
            musicbrainz_release_id=item.album.external_ids.musicbrainz_release,
            musicbrainz_artist_id=item.artist.external_ids.musicbrainz_artist,
        )
    return ItemSnapshot(**base, year=item.year, tmdb_id=ids.tmdb, imdb_id=ids.imdb)
