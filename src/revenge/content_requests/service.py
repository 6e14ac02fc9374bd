"""Content request use cases: ask (or say "me too"), withdraw, search, and reading requests.

Admin decisions (approve/deny) and quotas live in ``review.py``, availability (matching library
items) in ``availability.py``; both notify through ``notices.tell_watchers`` so the requester
and every "me too" user hear about status changes.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.content_requests import availability, downloads, notices, repository, review
from revenge.content_requests.metadata.base import ExternalItem, UnknownExternalId
from revenge.content_requests.metadata.registry import provider_for
from revenge.content_requests.models import (
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
    SearchResult,
)
from revenge.core import clock
from revenge.core.config import Settings
from revenge.core.deps import Principal
from revenge.core.errors import (
    AppError,
    Conflict,
    NotFound,
    ServiceUnavailable,
    Unprocessable,
)
from revenge.core.http import ProviderError, RetryableError
from revenge.core.i18n import translate

log = structlog.get_logger(__name__)
MBID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class BadGateway(AppError):
    status = 502
    default_code = "content_request.metadata_unavailable"


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
) -> ContentRequestRead:
    library_item = None
    if request.library_media_type and request.library_media_id:
        library_item = LibraryItemRef(
            media_type=request.library_media_type, media_id=request.library_media_id
        )
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
        download=_download(request),
        downloader=_downloader(request, is_admin),
        handoff_error=request.handoff_error if is_admin else None,
    )


async def _read_many(
    session: AsyncSession,
    requests: Sequence[ContentRequest],
    viewer: Principal | None,
    locale: str,
) -> list[ContentRequestRead]:
    """Requests as ``viewer`` may see them (None: an admin listing). Other users' ids (the
    requester, the admin who decided) are only shown to the requester and to admins."""
    viewer_id = viewer.id if viewer is not None else None
    sees_everyone = viewer is None or viewer.is_admin
    counts, mine = await repository.interest_summary(session, [r.id for r in requests], viewer_id)
    return [
        _read(
            r,
            counts.get(r.id, 0),
            r.id in mine and r.user_id != viewer_id,
            locale,
            show_people=sees_everyone or r.user_id == viewer_id,
            is_admin=sees_everyone,
        )
        for r in requests
    ]


async def read_one(
    session: AsyncSession, request: ContentRequest, viewer: Principal, locale: str
) -> ContentRequestRead:
    await session.flush()
    await session.refresh(request)
    return (await _read_many(session, [request], viewer, locale))[0]


async def list_mine(
    session: AsyncSession,
    user: Principal,
    status: RequestStatus | None,
    limit: int,
    offset: int,
    locale: str,
) -> tuple[list[ContentRequestRead], int]:
    """The caller's requests and the ones they said "me too" to, newest first."""
    rows, total = await repository.list_for_user(session, user.id, status, limit, offset)
    return await _read_many(session, rows, user, locale), total


async def list_all(
    session: AsyncSession,
    *,
    status: RequestStatus | None,
    media_type: RequestMediaType | None,
    user_id: uuid.UUID | None,
    limit: int,
    offset: int,
    locale: str,
) -> tuple[list[ContentRequestRead], int]:
    rows, total = await repository.list_all(
        session, status=status, media_type=media_type, user_id=user_id, limit=limit, offset=offset
    )
    return await _read_many(session, rows, None, locale), total


async def get_for(
    session: AsyncSession, user: Principal, request_id: uuid.UUID, locale: str
) -> ContentRequestRead:
    """A request its requester, a "me too" user or an admin may see; 404 for anyone else."""
    if user.is_admin:
        request = await repository.get(session, request_id)
    else:
        request = await repository.get_visible(session, request_id, user.id)
    if request is None:
        raise NotFound("content_request.not_found")
    return (await _read_many(session, [request], user, locale))[0]


# --- creating -----------------------------------------------------------------------------------


def _source(body: ContentRequestCreate) -> str:
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


def _provider_problem(provider: str, exc: ProviderError) -> AppError:
    """Map a provider failure to what the client sees; nothing has been written yet."""
    if isinstance(exc, UnknownExternalId):
        return Unprocessable("content_request.unknown_external_id", provider=provider)
    if isinstance(exc, RetryableError) and exc.status_code in (429, 503):
        retry_after = int(exc.retry_after or 30)
        return ServiceUnavailable(
            "content_request.metadata_busy",
            provider=provider,
            retry_after=retry_after,
            headers={"Retry-After": str(max(1, retry_after))},
        )
    if isinstance(exc, RetryableError):
        return BadGateway("content_request.metadata_unavailable", provider=provider)
    return BadGateway("content_request.metadata_rejected", provider=provider)


async def _describe(
    body: ContentRequestCreate, source: str, external_id: str, settings: Settings
) -> ExternalItem:
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
        raise _provider_problem(provider.name, exc) from exc
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
    external_id = _normalized_external_id(media_type, body.external_id)
    match = {"media_type": media_type.value, "external_source": source, "external_id": external_id}

    existing = await repository.find_open(session, media_type, external_id)
    if existing is not None:
        await _in_library_conflict(
            session, existing.title, **match, tvdb_id=existing.tvdb_id, seasons=seasons
        )
        await _join(session, existing, user, seasons)
        return existing, False

    settings_row = await repository.user_settings(session, user.id)
    quota = review.effective_quota(settings_row, media_type, settings)
    await review.check_quota(session, user, media_type, quota)
    item = await _describe(body, source, external_id, settings)
    await _in_library_conflict(session, item.title, **match, tvdb_id=item.tvdb_id, seasons=seasons)

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


# --- search -------------------------------------------------------------------------------------


async def search(
    session: AsyncSession, media_type: RequestMediaType, query: str, settings: Settings
) -> list[SearchResult]:
    """Provider search results, each saying whether it is in the library or requested."""
    provider = provider_for(media_type, settings)
    if provider is None:
        raise ServiceUnavailable("content_request.search_unavailable")
    try:
        items = await provider.search(media_type, query)
    except ProviderError as exc:
        log.warning("content_request.search_failed", provider=provider.name, reason=exc.reason)
        raise _provider_problem(provider.name, exc) from exc
    finally:
        await provider.aclose()
    requests = await repository.requests_by_external(
        session, media_type, [i.external_id for i in items]
    )
    results = []
    for item in items:
        found = await availability.find_in_library(
            session,
            media_type=item.media_type,
            external_source=item.external_source,
            external_id=item.external_id,
            tvdb_id=item.tvdb_id,
        )
        request = requests.get(item.external_id)
        results.append(
            SearchResult(
                media_type=media_type,
                external_source=item.external_source,
                external_id=item.external_id,
                title=item.title,
                year=item.year,
                overview=item.overview,
                poster_path=item.poster_path,
                in_library=found is not None,
                library_item=LibraryItemRef(media_type=found[0], media_id=found[1])
                if found
                else None,
                requested=request is not None,
                request_id=request.id if request else None,
                request_status=RequestStatus(request.status) if request else None,
            )
        )
    return results
