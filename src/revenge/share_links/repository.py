"""Queries for grants, their log, and the few library reads a public link needs."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, case, func, select, text, true, update
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core.media import MediaType
from revenge.library.models import (
    Album,
    Artist,
    Episode,
    MediaFile,
    MediaImage,
    Movie,
    Series,
    Track,
)
from revenge.share_links.models import MediaGrant, MediaGrantAccess


async def grant_by_token_hash(session: AsyncSession, token_hash: str) -> MediaGrant | None:
    """One indexed lookup (unique index on the digest): cheap enough for every range request."""
    return (
        await session.execute(select(MediaGrant).where(MediaGrant.token_hash == token_hash))
    ).scalar_one_or_none()


async def grant_of_owner(
    session: AsyncSession, owner_id: uuid.UUID, grant_id: uuid.UUID
) -> MediaGrant | None:
    return (
        await session.execute(
            select(MediaGrant).where(MediaGrant.id == grant_id, MediaGrant.created_by == owner_id)
        )
    ).scalar_one_or_none()


async def grants_of_owner(
    session: AsyncSession, owner_id: uuid.UUID, limit: int, offset: int
) -> tuple[list[MediaGrant], int]:
    rows = (
        (
            await session.execute(
                select(MediaGrant)
                .where(MediaGrant.created_by == owner_id)
                .order_by(MediaGrant.created_at.desc(), MediaGrant.id)
                .limit(limit)
                .offset(offset)
            )
        )
        .scalars()
        .all()
    )
    total = (
        await session.execute(
            select(func.count()).select_from(MediaGrant).where(MediaGrant.created_by == owner_id)
        )
    ).scalar_one()
    return list(rows), int(total)


# The view limit is enforced by this single statement: PostgreSQL's row lock serialises
# concurrent openers, and each re-checks the condition on the row it finally updates, so a
# 10-view link opens exactly 10 times however many requests race.
_CONSUME_VIEW = text(
    """
    UPDATE shared.media_grants
       SET current_views = current_views + 1, last_viewed_at = now()
     WHERE id = :id
       AND (max_views IS NULL OR current_views < max_views)
       AND revoked_at IS NULL
       AND (expires_at IS NULL OR expires_at > now())
    RETURNING current_views
    """
)


async def consume_view(session: AsyncSession, grant_id: uuid.UUID) -> int | None:
    """Count one view; the new view count, or None when the link may not be opened any more."""
    result = await session.execute(_CONSUME_VIEW, {"id": grant_id})
    value = result.scalar_one_or_none()
    return None if value is None else int(value)


async def refresh_state(session: AsyncSession, grant: MediaGrant) -> None:
    await session.refresh(grant, ["current_views", "revoked_at", "expires_at", "last_viewed_at"])


async def revoke(session: AsyncSession, grant: MediaGrant, at: datetime) -> None:
    await session.execute(
        update(MediaGrant)
        .where(MediaGrant.id == grant.id, MediaGrant.revoked_at.is_(None))
        .values(revoked_at=at)
    )


def log_access(
    session: AsyncSession, grant_id: uuid.UUID, ip_hash: str, user_agent: str | None, outcome: str
) -> None:
    session.add(
        MediaGrantAccess(
            grant_id=grant_id,
            ip_hash=ip_hash,
            user_agent=(user_agent or "")[:300] or None,
            outcome=outcome,
        )
    )


# --- library reads, shaped for the public page -------------------------------------------


async def item_exists(session: AsyncSession, media_type: MediaType, media_id: uuid.UUID) -> bool:
    model = {
        MediaType.movie: Movie,
        MediaType.episode: Episode,
        MediaType.series: Series,
        MediaType.track: Track,
        MediaType.album: Album,
    }[media_type]
    found = await session.execute(select(model.id).where(model.id == media_id))  # type: ignore[attr-defined]
    return found.first() is not None


@dataclass(frozen=True)
class PublicItem:
    """What a share page may show: no paths, no owners, no library internals."""

    media_type: str
    id: uuid.UUID
    title: str
    year: int | None
    duration_ms: int | None
    subtitle: str | None = None  # artist of an album/track, series of an episode
    season_number: int | None = None
    number: int | None = None  # episode or track number


async def public_item(
    session: AsyncSession, media_type: MediaType, media_id: uuid.UUID
) -> PublicItem | None:
    if media_type == MediaType.movie:
        movie = await session.get(Movie, media_id)
        if movie is None:
            return None
        return PublicItem("movie", movie.id, movie.title, movie.year, movie.duration_ms)
    if media_type == MediaType.series:
        series = await session.get(Series, media_id)
        if series is None:
            return None
        total = (
            await session.execute(
                select(func.sum(Episode.duration_ms)).where(Episode.series_id == series.id)
            )
        ).scalar()
        return PublicItem("series", series.id, series.title, series.year, total)
    if media_type == MediaType.episode:
        row = (
            await session.execute(
                select(Episode, Series.title, Series.year)
                .join(Series, Series.id == Episode.series_id)
                .where(Episode.id == media_id)
            )
        ).first()
        if row is None:
            return None
        episode, series_title, year = row
        return _episode_item(episode, series_title, year)
    if media_type == MediaType.album:
        album_row = (
            await session.execute(
                select(Album, Artist.name)
                .join(Artist, Artist.id == Album.artist_id)
                .where(Album.id == media_id)
            )
        ).first()
        if album_row is None:
            return None
        album, artist = album_row
        total = (
            await session.execute(
                select(func.sum(Track.duration_ms)).where(Track.album_id == album.id)
            )
        ).scalar()
        return PublicItem("album", album.id, album.title, album.year, total, subtitle=artist)
    if media_type == MediaType.track:
        track_row = (
            await session.execute(
                select(Track, Artist.name, Album.year)
                .join(Artist, Artist.id == Track.artist_id)
                .join(Album, Album.id == Track.album_id)
                .where(Track.id == media_id)
            )
        ).first()
        if track_row is None:
            return None
        return _track_item(*track_row)
    return None


def _episode_item(episode: Episode, series_title: str, year: int | None) -> PublicItem:
    return PublicItem(
        "episode",
        episode.id,
        episode.title or f"S{episode.season_number:02d}E{episode.episode_number:02d}",
        year,
        episode.duration_ms,
        subtitle=series_title,
        season_number=episode.season_number,
        number=episode.episode_number,
    )


def _track_item(track: Track, artist: str, year: int | None) -> PublicItem:
    return PublicItem(
        "track",
        track.id,
        track.title,
        year,
        track.duration_ms,
        subtitle=artist,
        season_number=track.disc_number,
        number=track.track_number,
    )


async def children(
    session: AsyncSession, media_type: MediaType, media_id: uuid.UUID
) -> list[PublicItem]:
    """A series' episodes or an album's tracks, in play order (other kinds have none)."""
    if media_type == MediaType.series:
        episode_rows = await session.execute(
            select(Episode, Series.title, Series.year)
            .join(Series, Series.id == Episode.series_id)
            .where(Episode.series_id == media_id, Episode.missing_at.is_(None))
            .order_by(Episode.season_number, Episode.episode_number)
        )
        return [_episode_item(*row) for row in episode_rows]
    if media_type == MediaType.album:
        track_rows = await session.execute(
            select(Track, Artist.name, Album.year)
            .join(Artist, Artist.id == Track.artist_id)
            .join(Album, Album.id == Track.album_id)
            .where(Track.album_id == media_id, Track.missing_at.is_(None))
            .order_by(Track.disc_number.nulls_first(), Track.track_number, Track.title)
        )
        return [_track_item(*row) for row in track_rows]
    return []


@dataclass(frozen=True)
class GrantedFile:
    id: uuid.UUID
    path: str
    mime_type: str | None


async def artwork_path(
    session: AsyncSession, grant_type: MediaType, grant_media_id: uuid.UUID
) -> str | None:
    """The granted item's poster or cover; an episode falls back to its series' poster and a
    track to its album's cover."""
    owners: list[tuple[str, uuid.UUID]] = [(grant_type.value, grant_media_id)]
    if grant_type == MediaType.episode:
        series_id = (
            await session.execute(select(Episode.series_id).where(Episode.id == grant_media_id))
        ).scalar()
        if series_id is not None:
            owners.append((MediaType.series.value, series_id))
    elif grant_type == MediaType.track:
        album_id = (
            await session.execute(select(Track.album_id).where(Track.id == grant_media_id))
        ).scalar()
        if album_id is not None:
            owners.append((MediaType.album.value, album_id))
    for owner_type, owner_id in owners:
        path = (
            await session.execute(
                select(MediaImage.path)
                .where(
                    MediaImage.media_type == owner_type,
                    MediaImage.media_id == owner_id,
                    MediaImage.kind.in_(("poster", "cover")),
                    MediaImage.missing_at.is_(None),
                )
                .order_by(MediaImage.kind.desc())  # poster before cover
                .limit(1)
            )
        ).scalar()
        if path is not None:
            return str(path)
    return None


def _grant_with_file_statement() -> Select[Any]:
    item_id = bindparam("item_id", type_=UUID(as_uuid=True))
    file_id = case(
        (
            MediaGrant.media_type == MediaType.movie.value,
            select(Movie.file_id)
            .where(Movie.id == MediaGrant.media_id)
            .correlate(MediaGrant)
            .scalar_subquery(),
        ),
        (
            MediaGrant.media_type == MediaType.episode.value,
            select(Episode.file_id)
            .where(Episode.id == MediaGrant.media_id)
            .correlate(MediaGrant)
            .scalar_subquery(),
        ),
        (
            MediaGrant.media_type == MediaType.track.value,
            select(Track.file_id)
            .where(Track.id == MediaGrant.media_id)
            .correlate(MediaGrant)
            .scalar_subquery(),
        ),
        (
            MediaGrant.media_type == MediaType.series.value,
            select(Episode.file_id)
            .where(Episode.id == item_id, Episode.series_id == MediaGrant.media_id)
            .correlate(MediaGrant)
            .scalar_subquery(),
        ),
        (
            MediaGrant.media_type == MediaType.album.value,
            select(Track.file_id)
            .where(Track.id == item_id, Track.album_id == MediaGrant.media_id)
            .correlate(MediaGrant)
            .scalar_subquery(),
        ),
    )
    # LATERAL: the file is fetched per grant row by its primary key, whatever the table sizes.
    granted = (
        select(MediaFile.id, MediaFile.path, MediaFile.mime_type)
        .where(MediaFile.id == file_id, MediaFile.missing_at.is_(None))
        .correlate(MediaGrant)
        .lateral("granted_file")
    )
    return (
        select(MediaGrant, granted.c.id, granted.c.path, granted.c.mime_type)
        .outerjoin(granted, true())
        .where(MediaGrant.token_hash == bindparam("token_hash"))
    )


# Built once: constructing this statement costs more CPU than running it.
_GRANT_WITH_FILE = _grant_with_file_statement()


async def grant_with_file(
    session: AsyncSession, token_hash: str, item_id: uuid.UUID | None
) -> tuple[MediaGrant, GrantedFile | None] | None:
    """The grant behind a link and the file it may stream, in ONE round trip: this runs on
    every Range request of every shared stream. The grant boundary is part of the query: a
    movie/episode/track grant reaches only its own file, a series/album grant only its own
    episodes'/tracks' files (picked by ``item_id``); any other id finds no file."""
    row = (
        await session.execute(_GRANT_WITH_FILE, {"token_hash": token_hash, "item_id": item_id})
    ).first()
    if row is None:
        return None
    grant, media_file_id, path, mime_type = row
    playable = grant.media_type in (MediaType.movie, MediaType.episode, MediaType.track)
    if media_file_id is None or (playable and item_id not in (None, grant.media_id)):
        return grant, None
    return grant, GrantedFile(media_file_id, path, mime_type)
