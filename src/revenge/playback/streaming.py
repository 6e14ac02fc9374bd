"""The browser's stream: a signed URL per user and file, and what one request of it sends.

A ``<video>`` or ``<audio>`` element cannot send an ``Authorization`` header, and it asks for
the file again with a Range header on every seek. So the player's URL carries its own proof,
``?t=<user id>.<file id>.<expiry>.<HMAC>`` (keyed with the server secret, 12 hours): checking it
costs one HMAC. The holder's account is still read on every request, so a deactivated or
deleted user's URLs stop working on the next Range request, and so is the file, so a file
gone from disk answers a problem rather than a broken body.

Streaming counts nothing: the player reports plays through ``/playback/events``.
"""

from __future__ import annotations

import hashlib
import hmac
import mimetypes
import os
import stat as stat_mode
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import anyio
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core import clock
from revenge.core.config import Settings
from revenge.core.errors import Conflict, Forbidden, NotFound, Unauthorized
from revenge.core.http_ranges import ByteRange, range_for
from revenge.library import lookup
from revenge.users import lookup as users

TOKEN_TTL = timedelta(hours=12)
STREAM_PATH = "/api/v1/stream/{file_id}"
_CONTEXT = b"revenge.playback.stream.v1:"
_HEX_ID_LENGTH = 32


def _signature(secret: str, user_hex: str, file_hex: str, expires: int) -> str:
    message = _CONTEXT + f"{user_hex}.{file_hex}.{expires}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def issue_token(
    secret: str, user_id: uuid.UUID, file_id: uuid.UUID, ttl: timedelta = TOKEN_TTL
) -> tuple[str, datetime]:
    """A stream token for this user and file, and when it expires (whole seconds)."""
    expires = int((clock.utcnow() + ttl).timestamp())
    signature = _signature(secret, user_id.hex, file_id.hex, expires)
    return (
        f"{user_id.hex}.{file_id.hex}.{expires}.{signature}",
        datetime.fromtimestamp(expires, tz=UTC),
    )


def stream_url(settings: Settings, user_id: uuid.UUID, file_id: uuid.UUID) -> tuple[str, datetime]:
    """The relative URL the player streams ``file_id`` from, and when it stops working."""
    token, expires_at = issue_token(settings.secret, user_id, file_id)
    return f"{STREAM_PATH.format(file_id=file_id)}?t={token}", expires_at


class TokenExpired(Exception):
    """A token this server made, for this file, whose time is up (the player asks for a new
    URL: ``/playback/info`` hands one out)."""


def token_user(secret: str, file_id: uuid.UUID, token: str | None) -> uuid.UUID | None:
    """The user ``token`` was issued to for ``file_id``, or None when it was not made by this
    server for this file. Raises :class:`TokenExpired` for a genuine token past its time.

    The signature is compared first and always (constant time), so the answer's timing does
    not tell which part of a forged token was wrong."""
    if not token or len(token) > 256:
        return None
    parts = token.split(".")
    if len(parts) != 4:
        return None
    user_hex, file_hex, expires_text, signature = parts
    if not (expires_text.isascii() and expires_text.isdigit() and len(expires_text) <= 12):
        return None
    expected = _signature(secret, user_hex, file_hex, int(expires_text))
    if not hmac.compare_digest(signature.encode(), expected.encode()):
        return None
    if file_hex != file_id.hex or len(user_hex) != _HEX_ID_LENGTH:
        return None
    if int(expires_text) <= clock.utcnow().timestamp():
        raise TokenExpired
    return uuid.UUID(hex=user_hex)


def content_type(path: str, mime_type: str | None) -> str:
    """What the stream says the file is: the scanner's MIME type, else a guess from the name."""
    return mime_type or mimetypes.guess_type(path)[0] or "application/octet-stream"


@dataclass(frozen=True)
class StreamPlan:
    path: str
    stat: os.stat_result
    media_type: str
    etag: str
    byte_range: ByteRange | None


async def prepare_stream(
    session: AsyncSession,
    settings: Settings,
    file_id: uuid.UUID,
    token: str | None,
    *,
    range_header: str | None,
    if_range: str | None,
) -> StreamPlan:
    """Decide what one stream request sends: two indexed reads (the user, the file) and a
    ``stat``; the caller sends the bytes after the transaction has ended."""
    try:
        user_id = token_user(settings.secret, file_id, token)
    except TokenExpired:
        raise Unauthorized("playback.stream_token_expired") from None
    if user_id is None:
        raise Unauthorized("playback.stream_token_invalid")
    if not await users.users_by_id(session, [user_id], active_only=True):
        raise Forbidden("playback.stream_forbidden")
    facts = await lookup.file_by_id(session, file_id)
    if facts is None:
        raise NotFound("playback.file_not_found")
    if facts.missing:
        raise Conflict("playback.file_missing")
    try:
        stat = await anyio.to_thread.run_sync(os.stat, facts.path)
    except OSError:
        raise Conflict("playback.file_missing") from None
    if not stat_mode.S_ISREG(stat.st_mode):  # a folder or device now stands at the path
        raise Conflict("playback.file_missing")
    etag, byte_range = range_for(
        facts.id.hex, stat, range_header, if_range, error_code="playback.range_not_satisfiable"
    )
    return StreamPlan(
        path=facts.path,
        stat=stat,
        media_type=content_type(facts.path, facts.mime_type),
        etag=etag,
        byte_range=byte_range,
    )
