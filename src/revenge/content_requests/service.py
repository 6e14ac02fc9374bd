"""Content request use cases: ask (or say "me too"), withdraw, search, and reading requests.

Admin decisions (approve/deny) and quotas live in ``review.py``, availability (matching library
items) in ``availability.py``; both notify through ``notices.tell_watchers`` so the requester
and every "me too" user hear about status changes.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import uuid
from collections.abc import Sequence
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.content_requests import availability, downloads, notices, repository, review
from revenge.content_requests.metadata.base import ExternalItem
from revenge.content_requests.metadata.problems import provider_problem
from revenge.content_requests.metadata.registry import provider_for
from revenge.content_requests.metadata.tmdb import poster_url
from revenge.content_requests.models import (
    MANUAL_REASON,
    ContentRequest,
    ExternalSource,
    RequestMediaType,
    RequestStatus,
)
from revenge.content_requests.schemas import (
    ContentRequestCreate,
    ContentRequestRead,
    DownloaderRef,
    DownloadRead,
    LibraryItemRef,
    RequesterRef,
)
from revenge.core import clock
from revenge.core.artwork_urls import Artwork
from revenge.core.config import Settings
from revenge.core.deps import Principal
from revenge.core.errors import Conflict, NotFound, Unprocessable
from revenge.core.http import ProviderError
from revenge.core.i18n import translate
from revenge.users import lookup as users

log = structlog.get_logger(__name__)
MBID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
MANUAL_PREFIX = "manual:"


# --- reading ------------------------------------------------------------------------------------


def _download(request: ContentRequest) -> DownloadRead | None:
    if request.status != RequestStatus.processing or request.download_checked_at is None:
        return None
    return DownloadRead(
        status=request.download_status,
        progress=request.download_progress,
        size_bytes=request.download_size,
        size_left_bytes=request.download_size_left,
        estimated_completion_at=request.download_eta,
        checked_at=request.download_checked_at,
    )


def _downloader(request: ContentRequest, is_admin: bool) -> DownloaderRef | None:
    if not is_admin or (request.downloader_name is None and request.downloader_id is None):
        return None
    return DownloaderRef(
        id=request.downloader_id,
        name=request.downloader_name,
        kind=request.downloader_kind,
        item_id=request.downloader_item_id,
    )


def _read(
    request: ContentRequest,
    interested: int,
    me_too: bool,
    locale: str,
    *,
    show_people: bool,
    is_admin: bool = False,
    requester_name: str | None = None,
    artwork: Artwork | None = None,
) -> ContentRequestRead:
    library_item = None
    if request.library_media_type and request.library_media_id:
        library_item = LibraryItemRef(
            media_type=request.library_media_type, media_id=request.library_media_id
        )
    requester = None
    if show_people and requester_name is not None:
        requester = RequesterRef(id=request.user_id, name=requester_name)
    reason_text = None
    if request.status_reason:
        reason_text = translate(
            f"content_requests.status_reason.{request.status_reason}",
            locale,
            downloader=request.downloader_name or request.downloader_kind or "",
        )
    return ContentRequestRead(
        id=request.id,
        user_id=request.user_id if show_people else None,
        media_type=RequestMediaType(request.media_type),
        external_source=request.external_source,
        external_id=request.external_id,
        tvdb_id=request.tvdb_id,
        title=request.title,
        year=request.year,
        overview=request.overview,
        poster_path=request.poster_path,
        poster_url=poster_url(request.poster_path)
        if request.external_source == ExternalSource.tmdb
        else None,
        artwork=artwork,
        seasons=request.seasons,
        status=RequestStatus(request.status),
        status_reason=request.status_reason,
        status_reason_text=reason_text,
        admin_note=request.admin_note,
        requested_at=request.requested_at,
        processed_at=request.processed_at,
        # An auto-approved request is processed by its requester: hidden alike.
        processed_by=request.processed_by if show_people else None,
        available_at=request.available_at,
        library_item=library_item,
        interested_count=interested,
        me_too=me_too,
        requester=requester,
        download=_download(request),
        downloader=_downloader(request, is_admin),
        handoff_error=request.handoff_error if is_admin else None,
    )


async def _read_many(
    session: AsyncSession,
    requests: Sequence[ContentRequest],
    viewer: Principal | None,
    locale: str,
    secret: str,
) -> list[ContentRequestRead]:
    """Requests as ``viewer`` may see them (None: an admin listing). Other users' ids and
    names (the requester, the admin who decided) are only shown to the requester and to
    admins."""
    viewer_id = viewer.id if viewer is not None else None
    sees_everyone = viewer is None or viewer.is_admin
    counts, mine = await repository.interest_summary(session, [r.id for r in requests], viewer_id)
    shown = [r for r in requests if sees_everyone or r.user_id == viewer_id]
    names = await users.display_names(session, {r.user_id for r in shown})
    art = await availability.library_artwork(
        session,
        [
            (r.library_media_type, r.library_media_id)
            for r in requests
            if r.library_media_type and r.library_media_id
        ],
        secret,
    )
    return [
        _read(
            r,
            counts.get(r.id, 0),
            r.id in mine and r.user_id != viewer_id,
            locale,
            show_people=sees_everyone or r.user_id == viewer_id,
            is_admin=sees_everyone,
            requester_name=names.get(r.user_id),
            artwork=art.get((r.library_media_type, r.library_media_id))
            if r.library_media_type and r.library_media_id
            else None,
        )
        for r in requests
    ]


async def read_one(
    session: AsyncSession, request: ContentRequest, viewer: Principal, locale: str, secret: str
) -> ContentRequestRead:
    await session.flush()
    await session.refresh(request)
    return (await _read_many(session, [request], viewer, locale, secret))[0]


async def list_mine(
    session: AsyncSession,
    user: Principal,
    status: RequestStatus | None,
    limit: int,
    offset: int,
    locale: str,
    secret: str,
) -> tuple[list[ContentRequestRead], int]:
    """The caller's requests and the ones they said "me too" to, newest first."""
    rows, total = await repository.list_for_user(session, user.id, status, limit, offset)
    return await _read_many(session, rows, user, locale, secret), total


async def list_all(
    session: AsyncSession,
    *,
    status: RequestStatus | None,
    media_type: RequestMediaType | None,
    user_id: uuid.UUID | None,
    limit: int,
    offset: int,
    locale: str,
    secret: str,
) -> tuple[list[ContentRequestRead], int]:
    rows, total = await repository.list_all(
        session, status=status, media_type=media_type, user_id=user_id, limit=limit, offset=offset
    )
    return await _read_many(session, rows, None, locale, secret), total


async def get_for(
    session: AsyncSession, user: Principal, request_id: uuid.UUID, locale: str, secret: str
) -> ContentRequestRead:
    """A request its requester, a "me too" user or an admin may see; 404 for anyone else."""
    if user.is_admin:
        request = await repository.get(session, request_id)
    else:
        request = await repository.get_visible(session, request_id, user.id)
    if request is None:
        raise NotFound("content_request.not_found")
    return (await _read_many(session, [request], user, locale, secret))[0]


# --- creating -----------------------------------------------------------------------------------


def _source(body: ContentRequestCreate) -> str:
    if body.external_id is None:
        return ExternalSource.manual
    if body.media_type != RequestMediaType.music:
        return ExternalSource.tmdb
    if body.music_kind == "artist":
        return ExternalSource.musicbrainz_artist
    return ExternalSource.musicbrainz_release_group


def _normalized_external_id(media_type: str, external_id: str) -> str:
    value = external_id.strip().lower()
    if media_type == RequestMediaType.music:
        if not MBID.match(value):
            raise Unprocessable("content_request.invalid_external_id", external_id=external_id)
        return value
    if not value.isdigit() or int(value) <= 0:
        raise Unprocessable("content_request.invalid_external_id", external_id=external_id)
    return str(int(value))


def _manual_title(body: ContentRequestCreate) -> str:
    title = " ".join((body.title or "").split())
    if not title:
        raise Unprocessable("content_request.title_required")
    return title


def manual_key(media_type: str, title: str, year: int | None) -> str:
    """The stand-in external id of a request by title: the same title and year (ignoring
    case, accents' composition, punctuation and spacing) is the same request, so a second
    user asking for it says "me too" instead of making a duplicate."""
    folded = unicodedata.normalize("NFKC", title).casefold()
    words = re.sub(r"[\W_]+", " ", folded).split()
    digest = hashlib.sha256(f"{media_type}|{' '.join(words)}|{year or ''}".encode()).hexdigest()
    return MANUAL_PREFIX + digest[:40]


def _manual_item(body: ContentRequestCreate, external_id: str) -> ExternalItem:
    # No poster: an address typed by a user is not shown to the admins' browsers.
    return ExternalItem(
        media_type=body.media_type,
        external_source=ExternalSource.manual,
        external_id=external_id,
        title=_manual_title(body),
        year=body.year,
        overview=body.overview.strip() or None if body.overview else None,
    )


async def _describe(
    body: ContentRequestCreate, source: str, external_id: str, settings: Settings
) -> ExternalItem:
    if source == ExternalSource.manual:
        return _manual_item(body, external_id)
    provider = provider_for(body.media_type, settings)
    if provider is None:
        # No provider configured: the client's description is all there is.
        if not body.title or not body.title.strip():
            raise Unprocessable("content_request.title_required")
        return ExternalItem(
            media_type=body.media_type,
            external_source=source,
            external_id=external_id,
            title=body.title.strip(),
            year=body.year,
            overview=body.overview,
            poster_path=body.poster_path,
        )
    try:
        return await provider.lookup(body.media_type, source, external_id)
    except ProviderError as exc:
        log.warning("content_request.metadata_failed", provider=provider.name, reason=exc.reason)
        raise provider_problem(provider.name, exc) from exc
    finally:
        await provider.aclose()


async def _in_library_conflict(session: AsyncSession, title: str, **match: Any) -> None:
    if await availability.find_in_library(session, **match) is not None:
        raise Conflict("content_request.in_library", title=title)


async def _join(
    session: AsyncSession, request: ContentRequest, user: Principal, seasons: list[int] | None
) -> None:
    """Add ``user`` as a "me too" (the requester themselves changes nothing)."""
    if request.user_id != user.id:
        await repository.add_interest(session, request.id, user.id)
    if request.media_type == RequestMediaType.tv and request.seasons is not None:
        # Someone wanting more seasons widens the request; None means the whole series.
        wider = None if seasons is None else sorted(set(request.seasons) | set(seasons))
        if wider != request.seasons:
            request.seasons = wider
            if request.status in (RequestStatus.approved, RequestStatus.processing):
                # Already with the downloader: it is told about the added seasons.
                await session.flush()
                await downloads.announce_approved(session, request, resend=True)


async def create(
    session: AsyncSession, user: Principal, body: ContentRequestCreate, settings: Settings
) -> tuple[ContentRequest, bool]:
    """Request something; returns (request, created). An open request for the same thing
    gains the caller as a "me too" instead of a duplicate row."""
    media_type = RequestMediaType(body.media_type)
    if body.seasons is not None and media_type != RequestMediaType.tv:
        raise Unprocessable("content_request.seasons_only_for_tv")
    seasons = sorted(set(body.seasons)) if body.seasons else None
    if seasons and seasons[0] < 0:
        raise Unprocessable("content_request.invalid_season")
    source = _source(body)
    if source == ExternalSource.manual:
        external_id = manual_key(media_type, _manual_title(body), body.year)
    else:
        assert body.external_id is not None
        external_id = _normalized_external_id(media_type, body.external_id)
    match = {"media_type": media_type.value, "external_source": source, "external_id": external_id}

    existing = await repository.find_open(session, media_type, external_id)
    if existing is not None:
        if source != ExternalSource.manual:
            await _in_library_conflict(
                session, existing.title, **match, tvdb_id=existing.tvdb_id, seasons=seasons
            )
        await _join(session, existing, user, seasons)
        return existing, False

    settings_row = await repository.user_settings(session, user.id)
    quota = review.effective_quota(settings_row, media_type, settings)
    await review.check_quota(session, user, media_type, quota)
    item = await _describe(body, source, external_id, settings)
    if source != ExternalSource.manual:
        # A request by title cannot be matched to the library by id; the admin judges it.
        await _in_library_conflict(
            session, item.title, **match, tvdb_id=item.tvdb_id, seasons=seasons
        )

    now = clock.utcnow()
    approve = user.is_admin or quota.auto_approve
    new_id = await repository.insert_open(
        session,
        {
            "user_id": user.id,
            "media_type": media_type.value,
            "external_source": source,
            "external_id": external_id,
            "tvdb_id": item.tvdb_id,
            "title": item.title[:500],
            "year": item.year,
            "overview": item.overview,
            "poster_path": item.poster_path,
            "seasons": seasons,
            "status": RequestStatus.approved if approve else RequestStatus.pending,
            "status_reason": MANUAL_REASON if source == ExternalSource.manual else None,
            "requested_at": now,
            "processed_at": now if approve else None,
            "processed_by": user.id if approve else None,
        },
    )
    if new_id is None:
        # Someone else created it between our look and our insert: join theirs.
        existing = await repository.find_open(session, media_type, external_id)
        if existing is None:  # theirs was closed meanwhile; vanishingly rare, let them retry
            raise Conflict("content_request.changed_concurrently")
        await _join(session, existing, user, seasons)
        return existing, False
    request = await repository.get(session, new_id)
    assert request is not None
    if approve:
        await downloads.announce_approved(session, request)
    else:
        await notices.tell_admins_pending(session, request, user.username, settings=settings)
    return request, True


# --- withdrawing --------------------------------------------------------------------------------


async def withdraw(session: AsyncSession, user: Principal, request_id: uuid.UUID) -> None:
    """The requester deletes their pending request; a "me too" user withdraws their interest.

    When others said "me too", the earliest of them takes the request over instead of it
    disappearing under them.
    """
    request = await repository.get(session, request_id, lock=True)
    if request is None:
        raise NotFound("content_request.not_found")
    if request.user_id != user.id:
        if await repository.remove_interest(session, request.id, user.id):
            return
        raise NotFound("content_request.not_found")
    if request.status != RequestStatus.pending:
        raise Conflict("content_request.not_pending", status=request.status)
    successor = await repository.first_interested(session, request.id)
    if successor is None:
        await session.delete(request)
        return
    await repository.remove_interest(session, request.id, successor)
    request.user_id = successor
