"""Share-link use cases of the public side: open, unlock and stream grants, and their artwork.

Every public request reads the grant's state again (one indexed query), so a revoked or
expired link stops working on the very next request, including the next Range request of a
stream already playing. Views are counted by the database in one conditional UPDATE.
"""

from __future__ import annotations

import mimetypes
import os
import uuid
from dataclasses import dataclass
from datetime import datetime

import anyio
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core import ratelimit
from revenge.core.config import Settings
from revenge.core.errors import (
    BadRequest,
    Forbidden,
    Gone,
    NotFound,
    RateLimited,
)
from revenge.core.http_ranges import ByteRange, range_for
from revenge.core.media import MediaType
from revenge.core.security import keyed_digest, token_digest, verify_password_async
from revenge.library import lookup
from revenge.library import service as library
from revenge.share_links import access, repository
from revenge.share_links.models import MediaGrant
from revenge.share_links.schemas import SharedItem, SharePage, UnlockResult
from revenge.share_links.state import grant_state, views_left
from revenge.users import lookup as users


@dataclass(frozen=True)
class Visitor:
    """Who is knocking, as far as the log may know: the IP only as a keyed hash."""

    ip_hash: str
    user_agent: str | None

    @classmethod
    def from_request(cls, settings: Settings, ip: str, user_agent: str | None) -> Visitor:
        return cls(keyed_digest(settings.secret, ip), user_agent)


async def _find(session: AsyncSession, token: str) -> MediaGrant:
    # The lookup compares SHA-256 digests, never the token itself, so the index walk's timing
    # says nothing about how much of a guessed token was right.
    grant = await repository.grant_by_token_hash(session, token_digest(token))
    if grant is None:
        raise NotFound("share_link.not_found")
    return grant


_GONE_CODES = {
    "expired": "share_link.expired",
    "revoked": "share_link.revoked",
    "used_up": "share_link.used_up",
}


def _refuse(session: AsyncSession, grant: MediaGrant, visitor: Visitor, state: str) -> Gone:
    repository.log_access(session, grant.id, visitor.ip_hash, visitor.user_agent, state)
    return Gone(_GONE_CODES[state])


def _check_open(session: AsyncSession, grant: MediaGrant, visitor: Visitor) -> None:
    """Revoked and expired links refuse everything, even a viewer already holding access."""
    state = grant_state(grant)
    if state in ("revoked", "expired"):
        raise _refuse(session, grant, visitor, state)


async def _count_view(
    session: AsyncSession, settings: Settings, grant: MediaGrant, visitor: Visitor, outcome: str
) -> tuple[str, datetime]:
    if await repository.consume_view(session, grant.id) is None:
        await repository.refresh_state(session, grant)
        state = grant_state(grant)
        raise _refuse(session, grant, visitor, "used_up" if state == "active" else state)
    await repository.refresh_state(session, grant)
    repository.log_access(session, grant.id, visitor.ip_hash, visitor.user_agent, outcome)
    return access.issue(settings.secret, grant.id, settings.share.access_ttl_seconds)


async def _sharer(session: AsyncSession, grant: MediaGrant) -> str | None:
    """The name the page gives the person who shared: their display name, or None (the page
    then says "someone"). Never the username or email address: a login name is half of a
    credential, and the link may travel further than the person it was made for."""
    owner = (await users.users_by_id(session, [grant.created_by])).get(grant.created_by)
    return owner.display_name if owner is not None and owner.display_name else None


_OVERVIEW_KINDS = {
    MediaType.movie: library.ItemKind.movies,
    MediaType.series: library.ItemKind.series,
}


async def _overview(session: AsyncSession, ref: lookup.MediaRef) -> str | None:
    """A movie's or series' plot summary (the other kinds have none)."""
    kind = _OVERVIEW_KINDS.get(ref.media_type)
    if kind is None:
        return None
    try:
        read = await library.get_item(session, kind, ref.id, show_paths=False)
    except NotFound:
        return None
    overview = getattr(read, "overview", None)
    return str(overview) if overview else None


def _shared(item: lookup.MediaItem, overview: str | None = None) -> SharedItem:
    """What a share page may show of an item: no paths, no owners, no library internals. The
    title is the item's own; the series (of an episode) or artist (of an album or track) is
    the subtitle."""
    subtitle = None
    season_number = number = None
    if item.kind == MediaType.episode:
        subtitle = item.series.name if item.series is not None else None
        season_number, number = item.season_number, item.episode_number
    elif item.kind in (MediaType.album, MediaType.track):
        subtitle = item.artist.name if item.artist is not None else None
        season_number, number = item.disc_number, item.track_number
    return SharedItem(
        media_type=item.kind.value,
        id=item.id,
        title=item.title,
        subtitle=subtitle,
        year=item.year,
        duration_ms=item.duration_ms,
        season_number=season_number,
        number=number,
        overview=overview,
    )


async def open_page(
    session: AsyncSession,
    settings: Settings,
    token: str,
    access_token: str | None,
    visitor: Visitor,
) -> SharePage:
    """The public page. Opening it counts one view, unless the visitor already holds access
    for this link (a reload, the player's requests) or it still needs its password."""
    grant = await _find(session, token)
    _check_open(session, grant, visitor)
    media_type = MediaType(grant.media_type)
    has_access = access.is_valid(settings.secret, grant.id, access_token)
    if not has_access and grant_state(grant) == "used_up":
        raise _refuse(session, grant, visitor, "used_up")
    shared_by = await _sharer(session, grant)
    if grant.requires_password and not has_access:
        return SharePage(
            media_type=grant.media_type,
            shared_by=shared_by,
            requires_password=True,
            unlocked=False,
            expires_at=grant.expires_at,
            views_left=views_left(grant),
            allow_download=grant.allow_download,
        )
    if has_access:
        token_out, expires_out = access_token, None
    else:
        token_out, expires_out = await _count_view(session, settings, grant, visitor, "opened")
    ref = lookup.MediaRef(media_type, grant.media_id)
    item = await lookup.resolve_one(session, ref)
    if item is None:  # the item left the library after the link was made
        raise NotFound("share_link.item_not_found")
    items = await lookup.children(session, ref)
    return SharePage(
        media_type=grant.media_type,
        shared_by=shared_by,
        requires_password=grant.requires_password,
        unlocked=True,
        expires_at=grant.expires_at,
        views_left=views_left(grant),
        allow_download=grant.allow_download,
        item=_shared(item, await _overview(session, ref)),
        items=[_shared(child) for child in items],
        has_artwork=item.artwork_path is not None,
        access_token=token_out,
        access_expires_at=expires_out,
    )


async def unlock(
    session: AsyncSession, settings: Settings, token: str, password: str, visitor: Visitor
) -> UnlockResult:
    """Trade the password for an access token (counts one view).

    Exactly one argon2 verification runs whatever the link is (unknown, no password, right or
    wrong), so the answer's timing does not tell a wrong password from a wrong link. Attempts
    are limited per client IP and per link; each is counted (and committed) before the
    password is checked, so parallel guesses get no more checks than the limit, and a right
    password gives its attempt back.
    """
    policy = settings.share
    window = policy.unlock_window_seconds
    link_key = f"share_unlock:link:{token_digest(token)}"
    ip_key = f"share_unlock:ip:{visitor.ip_hash}"
    retry_after = await ratelimit.count_attempts(
        session,
        [(ip_key, policy.unlock_ip_max_attempts), (link_key, policy.unlock_max_attempts)],
        window_seconds=window,
    )
    if retry_after is not None:
        raise RateLimited("share_link.too_many_attempts", retry_after=retry_after)
    grant = await repository.grant_by_token_hash(session, token_digest(token))
    stored_hash = grant.password_hash if grant is not None and grant.requires_password else None
    await session.commit()  # no connection held while argon2 runs
    correct = await verify_password_async(stored_hash, password)
    if grant is None:
        raise NotFound("share_link.not_found")
    _check_open(session, grant, visitor)
    if grant.requires_password and not correct:
        repository.log_access(
            session, grant.id, visitor.ip_hash, visitor.user_agent, "wrong_password"
        )
        await session.commit()  # the owner's access log keeps the failed attempt
        raise Forbidden("share_link.wrong_password")
    for key in (ip_key, link_key):
        await ratelimit.forgive(session, key, window_seconds=window)
    access_token, expires_at = await _count_view(session, settings, grant, visitor, "unlocked")
    return UnlockResult(access_token=access_token, access_expires_at=expires_at)


@dataclass(frozen=True)
class StreamPlan:
    path: str
    stat: os.stat_result
    media_type: str
    etag: str
    byte_range: ByteRange | None
    download_name: str  # never the real file name: the public side sees no paths
    download: bool
    new_access: tuple[str, datetime] | None  # set when this request counted a view


async def prepare_stream(
    session: AsyncSession,
    settings: Settings,
    token: str,
    *,
    access_token: str | None,
    item_id: uuid.UUID | None,
    range_header: str | None,
    if_range: str | None,
    download: bool,
    visitor: Visitor,
) -> StreamPlan:
    """Decide what one stream request sends. With a valid access token (every Range request
    after the first) no view is counted; without one the request is a direct stream start
    and counts one view."""
    found = await repository.grant_with_file(session, token_digest(token), item_id)
    if found is None:
        raise NotFound("share_link.not_found")
    grant, row = found
    _check_open(session, grant, visitor)
    has_access = access.is_valid(settings.secret, grant.id, access_token)
    if not has_access:
        if grant.requires_password:
            raise Forbidden("share_link.password_required")
        if grant_state(grant) == "used_up":
            raise _refuse(session, grant, visitor, "used_up")
    if download and not grant.allow_download:
        raise Forbidden("share_link.download_disabled")
    if grant.media_type in (MediaType.series, MediaType.album) and item_id is None:
        raise BadRequest("share_link.item_required")
    if row is None:
        raise NotFound("share_link.item_not_found")
    path, mime_type = row.path, row.mime_type
    try:
        stat = os.stat(path)
    except OSError:
        raise NotFound("share_link.file_missing") from None
    etag, byte_range = range_for(
        row.id.hex, stat, range_header, if_range, error_code="share_link.range_not_satisfiable"
    )
    new_access = None
    if not has_access:
        new_access = await _count_view(session, settings, grant, visitor, "stream_started")
    content_type = mime_type or mimetypes.guess_type(path)[0] or "application/octet-stream"
    return StreamPlan(
        path=path,
        stat=stat,
        media_type=content_type,
        etag=etag,
        byte_range=byte_range,
        download_name="revenge-share" + os.path.splitext(path)[1].lower(),
        download=download,
        new_access=new_access,
    )


async def artwork(
    session: AsyncSession,
    settings: Settings,
    token: str,
    access_token: str | None,
    visitor: Visitor,
) -> str:
    """The poster/cover file of the granted item (counts no view)."""
    grant = await _find(session, token)
    _check_open(session, grant, visitor)
    if not access.is_valid(settings.secret, grant.id, access_token):
        if grant.requires_password:
            raise Forbidden("share_link.password_required")
        if grant_state(grant) == "used_up":
            raise _refuse(session, grant, visitor, "used_up")
    item = await lookup.resolve_one(session, lookup.MediaRef.of(grant.media_type, grant.media_id))
    path = item.artwork_path if item is not None else None
    if path is None or not await anyio.Path(path).is_file():
        raise NotFound("share_link.no_artwork")
    return path
