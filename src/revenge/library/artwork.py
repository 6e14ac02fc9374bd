"""Posters and covers for the web app: which picture stands for an item, and serving it.

An item without a picture of its own borrows its parent's: a season its series' poster, an
episode its season's or series', a track its album's cover. ``find_source`` picks that
picture for one item (the artwork route); ``with_artwork`` answers for a page of items at
once whether there is any (the read models' ``artwork`` is null otherwise, so the web app
shows its placeholder without asking).

The route is public: ``<img src>`` cannot send a bearer token, so the signed URL of
``revenge.core.artwork_urls`` is the proof. A wrong signature answers exactly like an item
without artwork, so the route tells a guesser nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core import artwork_urls
from revenge.core.config import get_settings
from revenge.core.db import session_scope
from revenge.core.errors import NotFound, Unprocessable
from revenge.core.http_ranges import etag_matches
from revenge.core.media import MediaType
from revenge.library import artwork_cache
from revenge.library.models import (
    Album,
    Artist,
    Episode,
    MediaImage,
    Movie,
    Season,
    Series,
    Track,
)

log = structlog.get_logger(__name__)

# A poster before a cover (folder.jpg is either, see ``images.OwnerMap``).
_ARTWORK_KINDS = ("poster", "cover")
# An episode's own still (``<episode>-thumb.jpg``) shows that episode; better than any poster.
_OWN_KINDS = {MediaType.episode: ("thumb", *_ARTWORK_KINDS)}

_MODELS: dict[MediaType, Any] = {
    MediaType.movie: Movie,
    MediaType.series: Series,
    MediaType.season: Season,
    MediaType.episode: Episode,
    MediaType.artist: Artist,
    MediaType.album: Album,
    MediaType.track: Track,
}
# Whose picture an item borrows, nearest first, and the column holding that parent's id.
_FALLBACKS: dict[MediaType, tuple[tuple[MediaType, Any], ...]] = {
    MediaType.season: ((MediaType.series, Season.series_id),),
    MediaType.episode: (
        (MediaType.season, Episode.season_id),
        (MediaType.series, Episode.series_id),
    ),
    MediaType.track: ((MediaType.album, Track.album_id),),
}

CACHE_CONTROL = "public, max-age=604800"


def _own_kinds(media_type: MediaType) -> tuple[str, ...]:
    return _OWN_KINDS.get(media_type, _ARTWORK_KINDS)


def _image_of(media_type: MediaType, owner_id: Any, kinds: tuple[str, ...]) -> Any:
    return and_(
        MediaImage.media_type == media_type.value,
        MediaImage.media_id == owner_id,
        MediaImage.kind.in_(kinds),
        MediaImage.missing_at.is_(None),
    )


async def find_source(
    session: AsyncSession, media_type: MediaType, media_id: uuid.UUID
) -> str | None:
    """The path of the picture that stands for the item (its own, else the nearest parent's),
    or None when the item does not exist or nothing in its line has one. Two statements."""
    model = _MODELS[media_type]
    fallbacks = _FALLBACKS.get(media_type, ())
    row = (
        await session.execute(
            select(model.id, *(column for _, column in fallbacks)).where(model.id == media_id)
        )
    ).first()
    if row is None:
        return None
    # (owner type, owner id, kinds it may lend), in order of preference.
    line = [(media_type, media_id, _own_kinds(media_type))]
    line += [
        (parent_type, parent_id, _ARTWORK_KINDS)
        for (parent_type, _), parent_id in zip(fallbacks, row[1:], strict=True)
    ]
    images = await session.execute(
        select(MediaImage.media_type, MediaImage.media_id, MediaImage.kind, MediaImage.path).where(
            or_(*(_image_of(kind, owner, kinds) for kind, owner, kinds in line))
        )
    )

    def rank(image: Any) -> tuple[int, int, str]:
        for place, (kind, owner, kinds) in enumerate(line):
            if image.media_type == kind.value and image.media_id == owner:
                return place, kinds.index(image.kind), image.path
        raise AssertionError("the statement returns only images of the line")  # pragma: no cover

    best = min(images, key=rank, default=None)
    return None if best is None else str(best.path)


async def with_artwork(
    session: AsyncSession, media_type: MediaType, ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    """Those of ``ids`` that have a picture of their own or borrow one (one statement)."""
    if not ids:
        return set()
    model = _MODELS[media_type]
    sources = [select(MediaImage.id).where(_image_of(media_type, model.id, _own_kinds(media_type)))]
    sources += [
        select(MediaImage.id).where(_image_of(parent_type, column, _ARTWORK_KINDS))
        for parent_type, column in _FALLBACKS.get(media_type, ())
    ]
    rows = await session.execute(
        select(model.id).where(model.id.in_(ids), or_(*(s.exists() for s in sources)))
    )
    return set(rows.scalars())


def urls(
    media_type: MediaType, media_id: uuid.UUID, present: set[uuid.UUID]
) -> artwork_urls.Artwork | None:
    """The signed URLs of an item's artwork, or None when ``with_artwork`` found none."""
    if media_id not in present:
        return None
    return artwork_urls.urls_for(get_settings().secret, media_type, media_id)


# --- the route's use case ------------------------------------------------------------------------


@dataclass(frozen=True)
class Picture:
    etag: str
    body: bytes | None  # None: the client's copy is current (304)


def cache_dir() -> Path:
    return get_settings().data_dir / "cache" / "artwork"


async def picture(
    media_type: MediaType,
    media_id: uuid.UUID,
    width: int,
    sig: str | None,
    if_none_match: str | None = None,
) -> Picture:
    """The item's artwork at ``width`` px as WebP, for a signed URL. Raises ``NotFound``
    (``library.no_artwork``: bad signature, no such item, no picture, file gone) or
    ``Unprocessable`` (``library.artwork_unreadable``: not a picture, or too large)."""
    if not artwork_urls.is_valid(get_settings().secret, media_type, media_id, width, sig):
        raise NotFound("library.no_artwork")
    # A short transaction of its own: the connection goes back to the pool before the
    # (possibly queued) resize.
    async with session_scope() as session:
        path = await find_source(session, media_type, media_id)
    source = None if path is None else await artwork_cache.stat_source(path)
    if source is None:
        raise NotFound("library.no_artwork")
    etag = source.entity_tag(width)
    if etag_matches(if_none_match, etag):
        return Picture(etag, None)
    try:
        body = await artwork_cache.rendered(cache_dir(), source, width)
    except artwork_cache.UnreadableArtwork as exc:
        log.info(
            "artwork.unreadable", media_type=media_type.value, media_id=str(media_id), why=str(exc)
        )
        raise Unprocessable("library.artwork_unreadable") from exc
    return Picture(etag, body)
