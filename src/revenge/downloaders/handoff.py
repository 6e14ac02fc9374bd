"""Handing approved requests to their downloader, durably.

An approved request (``content_requests.approved``) becomes a ``download_handoffs`` row; one
job tries it. A downloader that is down, slow or busy only delays it: the row waits in
``next_attempt_at`` (exponential backoff with jitter, never sooner than its ``Retry-After``)
and the sweep resends whatever is due, so restarts lose nothing. A refusal (the key, the
settings, an unknown item) or too many attempts fail it for good: the request shows why and
every admin is told. Each change is announced (``downloaders.handoff_changed``) for the
request to show.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core import clock, events
from revenge.core.config import Settings
from revenge.core.db import session_scope
from revenge.core.http import ProviderError, backoff_seconds
from revenge.downloaders import repository as repo
from revenge.downloaders import tasks
from revenge.downloaders.clients.base import (
    DownloaderRejected,
    FailureCode,
    HandoffOrder,
    HandoffResult,
)
from revenge.downloaders.clients.registry import client_for, kind_for_media_type, kind_label
from revenge.downloaders.models import Downloader, DownloadHandoff
from revenge.downloaders.settings import config_of
from revenge.notifications import service as notifications
from revenge.notifications.types import NotificationType
from revenge.users import lookup as users

log = structlog.get_logger(__name__)


def order_of(row: DownloadHandoff) -> HandoffOrder:
    return HandoffOrder(
        media_type=row.media_type,
        external_source=row.external_source,
        external_id=row.external_id,
        title=row.title,
        year=row.year,
        tvdb_id=row.tvdb_id,
        seasons=tuple(row.seasons) if row.seasons is not None else None,
    )


def _facts(approved: events.ContentRequestApproved) -> dict[str, object]:
    return {
        "media_type": approved.media_type,
        "external_source": approved.external_source,
        "external_id": approved.external_id,
        "tvdb_id": approved.tvdb_id,
        "title": approved.title[:500],
        "year": approved.year,
        "seasons": sorted(set(approved.seasons)) if approved.seasons is not None else None,
    }


def _forget_download(row: DownloadHandoff) -> None:
    row.download_status = None
    row.download_progress = None
    row.download_size = None
    row.download_size_left = None
    row.download_eta = None
    row.download_checked_at = None


# --- from content requests' events -----------------------------------------------------------------


async def queue_handoff(
    session: AsyncSession, approved: events.ContentRequestApproved
) -> uuid.UUID | None:
    """A hand-off for an approved request, tried at once; an admin's "send again" (``resend``)
    starts a finished or failed one afresh. Returns the hand-off id (None: nothing to do)."""
    now = clock.utcnow()
    row = await repo.handoff_for_request(session, approved.request_id, lock=True)
    if row is None:
        handoff_id = await repo.insert_handoff(
            session,
            {
                "id": uuid.uuid4(),
                "request_id": approved.request_id,
                **_facts(approved),
                "status": "pending",
                "next_attempt_at": now,
            },
        )
        if handoff_id is not None:
            await tasks.schedule_send(session, handoff_id)
        return handoff_id
    if not approved.resend:
        return None  # the same approval heard twice
    for name, value in _facts(approved).items():
        setattr(row, name, value)
    row.status = "pending"
    row.attempts = 0
    row.next_attempt_at = now
    row.last_error = row.last_error_code = None
    row.last_status_code = None
    # Sent again to whichever downloader is the kind's default now.
    row.downloader_id = None
    row.item_id = None
    row.action = None
    _forget_download(row)
    await session.flush()
    await tasks.schedule_send(session, row.id)
    return row.id


async def close_handoff(session: AsyncSession, closed: events.ContentRequestClosed) -> bool:
    """The request is settled (denied or available): stop trying and following it. Nothing is
    removed from the downloader."""
    row = await repo.handoff_for_request(session, closed.request_id, lock=True)
    if row is None or row.status == "closed":
        return False
    row.status = "closed"
    return True


# --- sending -------------------------------------------------------------------------------------


async def send_handoff(handoff_id: uuid.UUID, settings: Settings) -> str:
    """One attempt at one hand-off (its own transaction, the row locked meanwhile); returns
    what became of it."""
    async with session_scope() as session:
        row = await repo.claim_handoff(session, handoff_id)
        if row is None:
            return "busy"
        if row.status != "pending":
            return row.status
        if row.next_attempt_at > clock.utcnow():
            return "not_due"
        downloader = await _downloader_for(session, row)
        if downloader is None:
            row.status = "skipped"
            row.last_error_code = "no_downloader"
            row.last_error = "no downloader of this kind is set up"
            return "skipped"
        row.downloader_id = downloader.id
        try:
            result = await _hand_off(row, downloader, settings)
        except DownloaderRejected as exc:
            await _fail(session, row, downloader, exc, settings)
            return "failed"
        except ProviderError as exc:
            return await _retry_later(session, row, downloader, exc, settings)
        except Exception as exc:  # a downloader's odd answer must not retry forever unnoticed
            log.exception("downloader.handoff_crashed", handoff_id=str(row.id))
            failure = ProviderError(f"{kind_label(downloader.kind)}: {type(exc).__name__}")
            return await _retry_later(session, row, downloader, failure, settings)
        await _sent(session, row, downloader, result)
        return "sent"


async def _downloader_for(session: AsyncSession, row: DownloadHandoff) -> Downloader | None:
    if row.downloader_id is not None:
        chosen = await repo.get_downloader(session, row.downloader_id)
        if chosen is not None:
            return chosen
    kind = kind_for_media_type(row.media_type)
    return await repo.default_for(session, kind) if kind is not None else None


async def _hand_off(
    row: DownloadHandoff, downloader: Downloader, settings: Settings
) -> HandoffResult:
    client = client_for(downloader.kind, config_of(downloader, settings), settings.downloaders)
    try:
        return await client.hand_off(order_of(row))
    finally:
        await client.aclose()


def _announce(
    row: DownloadHandoff, downloader: Downloader, state: str, **facts: object
) -> events.DownloadHandoffChanged:
    return events.DownloadHandoffChanged(
        request_id=row.request_id,
        state=state,
        downloader_id=downloader.id,
        downloader_name=downloader.name,
        downloader_kind=downloader.kind,
        **facts,  # type: ignore[arg-type]
    )


async def _sent(
    session: AsyncSession, row: DownloadHandoff, downloader: Downloader, result: HandoffResult
) -> None:
    row.status = "sent"
    row.attempts += 1
    row.item_id = result.item_id
    row.action = result.action
    row.sent_at = clock.utcnow()
    row.last_error = row.last_error_code = None
    row.last_status_code = None
    _forget_download(row)
    await events.emit(session, _announce(row, downloader, "sent", item_id=result.item_id))
    log.info(
        "downloader.handoff_sent",
        request_id=str(row.request_id),
        downloader=downloader.kind,
        action=result.action,
    )


def _code(exc: ProviderError) -> str:
    return str(getattr(exc, "code", FailureCode.server_error))


async def _retry_later(
    session: AsyncSession,
    row: DownloadHandoff,
    downloader: Downloader,
    exc: ProviderError,
    settings: Settings,
) -> str:
    policy = settings.downloaders
    row.attempts += 1
    row.last_error = exc.reason
    row.last_error_code = _code(exc)
    row.last_status_code = exc.status_code
    if row.attempts >= policy.max_attempts:
        await _fail(session, row, downloader, exc, settings, counted=True)
        return "failed"
    delay = backoff_seconds(
        row.attempts - 1,
        base=policy.backoff_base_seconds,
        cap=policy.backoff_cap_seconds,
        retry_after=getattr(exc, "retry_after", None),
    )
    row.next_attempt_at = clock.utcnow() + timedelta(seconds=delay)
    await events.emit(
        session,
        _announce(
            row,
            downloader,
            "retrying",
            reason_code=row.last_error_code,
            reason=exc.reason,
            next_attempt_at=row.next_attempt_at,
        ),
    )
    await tasks.schedule_send(session, row.id, in_seconds=delay)
    log.info(
        "downloader.handoff_retry",
        request_id=str(row.request_id),
        attempts=row.attempts,
        in_seconds=round(delay),
        reason=exc.reason,
    )
    return "retrying"


async def _fail(
    session: AsyncSession,
    row: DownloadHandoff,
    downloader: Downloader,
    exc: ProviderError,
    settings: Settings,
    *,
    counted: bool = False,
) -> None:
    """Failed for good: the request shows why, and every admin is told (in their language,
    on the channels they chose)."""
    if not counted:
        row.attempts += 1
    row.status = "failed"
    row.last_error = exc.reason
    row.last_error_code = _code(exc)
    row.last_status_code = exc.status_code
    await events.emit(
        session,
        _announce(row, downloader, "failed", reason_code=row.last_error_code, reason=exc.reason),
    )
    await notifications.notify_many(
        session,
        await users.active_admin_ids(session),
        NotificationType.request_handoff_failed,
        {
            "title": row.title,
            "request_id": str(row.request_id),
            "media_type": row.media_type,
            "downloader": downloader.name,
            "reason": exc.reason,
        },
        group_key=f"content_request:{row.request_id}",
        settings=settings,
    )
    log.warning(
        "downloader.handoff_failed",
        request_id=str(row.request_id),
        downloader=downloader.kind,
        code=row.last_error_code,
        reason=exc.reason,
    )


async def schedule_due(session: AsyncSession) -> int:
    """An attempt for every pending hand-off that is due (retries, and anything a restart or
    a lost job left behind). Returns how many."""
    due = await repo.due_handoffs(session, clock.utcnow())
    for handoff_id in due:
        await tasks.schedule_send(session, handoff_id)
    return len(due)
