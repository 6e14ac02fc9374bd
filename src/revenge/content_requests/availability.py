"""Is what was requested in the library now (or still)? Runs on library events and a sweep."""

from __future__ import annotations

import uuid

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.content_requests import repository
from revenge.content_requests.models import OPEN_STATUSES, ContentRequest, RequestStatus
from revenge.content_requests.notices import tell_watchers
from revenge.core.clock import utcnow
from revenge.notifications.types import NotificationType

log = structlog.get_logger(__name__)
SWEEP_BATCH = 200
ITEM_REMOVED = "item_removed"


async def _match(session: AsyncSession, request: ContentRequest) -> repository.LibraryItem | None:
    return await repository.find_in_library(
        session,
        media_type=request.media_type,
        external_source=request.external_source,
        external_id=request.external_id,
        tvdb_id=request.tvdb_id,
        seasons=request.seasons,
    )


async def _mark_available(
    session: AsyncSession, request: ContentRequest, item: repository.LibraryItem
) -> None:
    request.status = RequestStatus.available
    request.status_reason = None
    request.available_at = utcnow()
    request.library_media_type, request.library_media_id = item
    await session.flush()
    await tell_watchers(session, request, NotificationType.request_available)
    log.info("content_request.available", request_id=str(request.id), item=item[0])


async def _mark_gone(session: AsyncSession, request: ContentRequest) -> None:
    # Back to "approved": it was wanted and approved; it just is not there any more.
    request.status = RequestStatus.approved
    request.status_reason = ITEM_REMOVED
    request.available_at = None
    request.library_media_type = None
    request.library_media_id = None
    await session.flush()
    log.info("content_request.item_gone", request_id=str(request.id))


async def check_request(session: AsyncSession, request: ContentRequest) -> bool:
    """Bring one request in line with the library; True when its status changed."""
    item = await _match(session, request)
    if request.status in OPEN_STATUSES and item is not None:
        await _mark_available(session, request, item)
        return True
    if request.status == RequestStatus.available:
        if item is None:
            await _mark_gone(session, request)
            return True
        request.library_media_type, request.library_media_id = item
    return False


async def item_added(session: AsyncSession, media_type: str, media_id: uuid.UUID) -> int:
    """A library item appeared: settle every open request it may satisfy. Returns how many
    became available."""
    keys, tvdb_ids = await repository.external_keys_of_item(session, media_type, media_id)
    requests = await repository.requests_for_keys(session, keys, tvdb_ids, OPEN_STATUSES)
    changed = 0
    for request in requests:
        changed += await check_request(session, request)
    return changed


async def item_removed(session: AsyncSession, media_type: str, media_id: uuid.UUID) -> int:
    """A library item went away: requests it satisfied go back to approved unless another
    copy is still there. Returns how many went back."""
    requests = {r.id: r for r in await repository.requests_linked_to(session, media_type, media_id)}
    keys, tvdb_ids = await repository.external_keys_of_item(session, media_type, media_id)
    for request in await repository.requests_for_keys(
        session, keys, tvdb_ids, [RequestStatus.available]
    ):
        requests.setdefault(request.id, request)
    changed = 0
    for request in requests.values():
        changed += await check_request(session, request)
    return changed


def _may_change(request: ContentRequest, has_candidate: bool) -> bool:
    """Whether the exact check could change anything, given the one-query prefilter."""
    if request.status == RequestStatus.available:
        # Gone for sure without a candidate; with one only season coverage can differ.
        return not has_candidate or bool(request.seasons)
    return has_candidate


async def sweep(session: AsyncSession) -> int:
    """Re-check every open and available request (catches missed events and files marked
    missing by a rescan). Returns how many changed."""
    changed = 0
    after: uuid.UUID | None = None
    statuses = [*OPEN_STATUSES, RequestStatus.available]
    while True:
        batch = await repository.requests_with_status(
            session, statuses, after=after, limit=SWEEP_BATCH
        )
        candidates = await repository.requests_with_candidates(session, [r.id for r in batch])
        for request in batch:
            if _may_change(request, request.id in candidates):
                changed += await check_request(session, request)
        if len(batch) < SWEEP_BATCH:
            return changed
        after = batch[-1].id
