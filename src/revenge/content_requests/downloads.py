"""A request and its download: announcing approvals and settled requests to the downloaders
feature (``content_requests.approved`` / ``.closed``), and showing what it reports back (the
hand-off sent, waiting or failed; the download's progress).

Only facts travel between the two features; nothing here calls a downloader.
"""

from __future__ import annotations

from collections.abc import Sequence

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.content_requests import repository
from revenge.content_requests.models import ContentRequest, ExternalSource, RequestStatus
from revenge.core import events

log = structlog.get_logger(__name__)
HANDOFF_REASON_PREFIX = "handoff_"
HANDOFF_RETRYING = "handoff_retrying"
# Why a hand-off failed (the downloaders' stable codes); anything else reads as "failed".
_FAILURE_CODES = frozenset(
    {
        "unauthorized",
        "unreachable",
        "server_error",
        "rejected",
        "not_found",
        "no_tvdb_id",
        "not_configured",
        "wrong_kind",
        "bad_answer",
        "key_unreadable",
    }
)
# A request still waiting for (or in) its download; a settled one ignores late reports.
_FOLLOWED = (RequestStatus.approved, RequestStatus.processing)


async def announce_approved(
    session: AsyncSession, request: ContentRequest, *, resend: bool = False
) -> None:
    """Tell the downloaders what to fetch (in the caller's transaction). A request by title
    has no id Radarr, Sonarr or Lidarr could look up: an administrator fetches it by hand."""
    if request.external_source == ExternalSource.manual:
        log.info("content_request.manual_not_sent", request_id=str(request.id))
        return
    await events.emit(
        session,
        events.ContentRequestApproved(
            request_id=request.id,
            media_type=request.media_type,
            external_source=request.external_source,
            external_id=request.external_id,
            tvdb_id=request.tvdb_id,
            title=request.title,
            year=request.year,
            seasons=list(request.seasons) if request.seasons is not None else None,
            resend=resend,
        ),
    )


async def announce_closed(session: AsyncSession, request: ContentRequest) -> None:
    """The request is settled: its download need not be followed (nothing is deleted)."""
    await events.emit(
        session, events.ContentRequestClosed(request_id=request.id, status=request.status)
    )


def forget_handoff_problem(request: ContentRequest) -> None:
    if request.status_reason and request.status_reason.startswith(HANDOFF_REASON_PREFIX):
        request.status_reason = None
    request.handoff_error = None


def _clear_download(request: ContentRequest) -> None:
    request.download_status = None
    request.download_progress = None
    request.download_size = None
    request.download_size_left = None
    request.download_eta = None
    request.download_checked_at = None


async def handoff_changed(session: AsyncSession, change: events.DownloadHandoffChanged) -> bool:
    """Show a hand-off's news on its request: sent → ``processing`` with the downloader and
    its item id; waiting or failed → ``approved`` with the reason. Returns whether it applied."""
    request = await repository.get(session, change.request_id, lock=True)
    if request is None or request.status not in _FOLLOWED:
        return False
    if change.downloader_id is not None:
        request.downloader_id = change.downloader_id
        request.downloader_name = change.downloader_name
        request.downloader_kind = change.downloader_kind
    if change.state == "sent":
        request.status = RequestStatus.processing
        request.downloader_item_id = change.item_id
        forget_handoff_problem(request)
        _clear_download(request)
    else:
        request.status = RequestStatus.approved
        code = change.reason_code if change.reason_code in _FAILURE_CODES else "failed"
        request.status_reason = (
            HANDOFF_RETRYING if change.state == "retrying" else HANDOFF_REASON_PREFIX + code
        )
        request.handoff_error = (change.reason or "")[:2000] or None
    await session.flush()
    log.info("content_request.handoff", request_id=str(request.id), state=change.state)
    return True


async def progress_reported(
    session: AsyncSession, entries: Sequence[events.DownloadProgress]
) -> int:
    """Each processing request's download as its downloader's queue showed it. Returns how
    many requests changed."""
    changed = 0
    for entry in entries:
        request = await repository.get(session, entry.request_id, lock=True)
        if request is None or request.status != RequestStatus.processing:
            continue
        checked = request.download_checked_at
        if checked is not None and checked > entry.checked_at:
            continue  # a newer report already arrived
        request.download_status = entry.status
        request.download_progress = entry.progress
        request.download_size = entry.size_bytes
        request.download_size_left = entry.size_left_bytes
        request.download_eta = entry.estimated_completion_at
        request.download_checked_at = entry.checked_at
        changed += 1
    await session.flush()
    return changed
