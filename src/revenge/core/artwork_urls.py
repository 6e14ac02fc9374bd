"""Signed artwork URLs: any feature can put a poster or cover in its answer without a query.

``<img src>`` cannot send an ``Authorization`` header, so an artwork URL carries its own
proof: an HMAC (keyed with the server secret) over the item and the width. The URL is a
capability for that one picture in that one size, nothing else; it has no expiry, so the
browser may cache it for long (the library serves it with ``Cache-Control: max-age`` and an
ETag that changes with the file). Building one costs one HMAC and no database access, so a
list of a hundred items gets a hundred thumbnails for free; an item without artwork answers
404 and the web app shows its placeholder.

``GET /api/v1/artwork/{media_type}/{media_id}/{width}?sig=…`` is served by
``revenge.library.artwork``.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid

from pydantic import BaseModel

from revenge.core.media import MediaType

# The sizes the server renders (CSS px × 2 for sharp thumbnails on phones); any other width
# is refused, so the disk cache holds at most this many files per picture.
WIDTHS = (96, 160, 320, 640)
THUMBNAIL = 160  # list rows, cards in a row of many
POSTER = 320  # cards on the home and browse pages
LARGE = 640  # item pages, the player

_CONTEXT = b"revenge.artwork.v1:"
PATH_PREFIX = "/api/v1/artwork"


def signature(secret: str, media_type: MediaType | str, media_id: uuid.UUID, width: int) -> str:
    message = _CONTEXT + f"{MediaType(media_type).value}:{media_id.hex}:{width}".encode()
    # 16 bytes are plenty for an unguessable capability and keep the URL short.
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]


def artwork_url(
    secret: str, media_type: MediaType | str, media_id: uuid.UUID, width: int = POSTER
) -> str:
    """The relative URL of the item's poster or cover at ``width`` px (one of ``WIDTHS``)."""
    if width not in WIDTHS:
        raise ValueError(f"artwork width {width} is not one of {WIDTHS}")
    kind = MediaType(media_type).value
    sig = signature(secret, kind, media_id, width)
    return f"{PATH_PREFIX}/{kind}/{media_id}/{width}?sig={sig}"


def is_valid(
    secret: str, media_type: MediaType | str, media_id: uuid.UUID, width: int, sig: str | None
) -> bool:
    """True when ``sig`` was made by :func:`artwork_url` for exactly this picture (constant time)."""
    if not sig or width not in WIDTHS:
        return False
    expected = signature(secret, media_type, media_id, width)
    return hmac.compare_digest(sig.encode(), expected.encode())


class Artwork(BaseModel):
    """An item's poster or cover in the three sizes the web app shows."""

    thumb: str  # 160 px: list rows, notifications
    poster: str  # 320 px: cards
    large: str  # 640 px: item pages, the player


def urls_for(secret: str, media_type: MediaType | str, media_id: uuid.UUID) -> Artwork:
    return Artwork(
        thumb=artwork_url(secret, media_type, media_id, THUMBNAIL),
        poster=artwork_url(secret, media_type, media_id, POSTER),
        large=artwork_url(secret, media_type, media_id, LARGE),
    )
