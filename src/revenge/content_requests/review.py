"""Content request policy: what admins decide. Approve or deny a request, and each user's
quota and auto-approval (their settings, the caller's remaining quota, and the quota check
``service.create`` runs before asking a provider).

Asking, "me too", withdrawing, search and reading live in ``service.py``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.content_requests import availability, downloads, repository
from revenge.content_requests.models import (
    MANUAL_REASON,
    OPEN_STATUSES,
    ContentRequest,
    ExternalSource,
    RequestMediaType,
    RequestStatus,
    RequestUserSettings,
)
from revenge.content_requests.notices import tell_watchers
from revenge.content_requests.schemas import (
    MyQuota,
    QuotaUsage,
    UserRequestSettingsRead,
    UserRequestSettingsUpdate,
)
from revenge.core import clock
from revenge.core.config import Settings
from revenge.core.deps import Principal
from revenge.core.errors import Conflict, NotFound, RateLimited
from revenge.notifications.types import NotificationType
from revenge.users import lookup as users

# --- the quota ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class EffectiveQuota:
    limit: int | None  # None = unlimited
    days: int
    auto_approve: bool


def effective_quota(
    row: RequestUserSettings | None, media_type: str, settings: Settings
) -> EffectiveQuota:
    default = getattr(settings.requests, f"quota_{media_type}")
    override = getattr(row, f"quota_{media_type}") if row is not None else None
    limit = default if override is None else override
    days = (row.quota_days if row is not None else None) or settings.requests.quota_days
    return EffectiveQuota(limit or None, days, bool(row and row.auto_approve))


async def check_quota(
    session: AsyncSession, user: Principal, media_type: str, quota: EffectiveQuota
) -> None:
    if user.is_admin or quota.limit is None:
        return
    # Serialise one user's creates of one media type, so two parallel requests cannot both
    # take the last slot.
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"content_request_quota:{user.id}:{media_type}"},
    )
    now = clock.utcnow()
    times = await repository.recent_request_times(
        session, user.id, media_type, now - timedelta(days=quota.days)
    )
    if len(times) < quota.limit:
        return
    frees_up_at = times[len(times) - quota.limit] + timedelta(days=quota.days)
    retry_after = max(1, int((frees_up_at - now).total_seconds()) + 1)
    raise RateLimited(
        "content_request.quota_exceeded",
        retry_after=retry_after,
        media_type=media_type,
        limit=quota.limit,
        days=quota.days,
        frees_up_at=frees_up_at,
        extra={"frees_up_at": frees_up_at.isoformat()},
    )


# --- deciding -----------------------------------------------------------------------------------


async def _pending_or_conflict(
    session: AsyncSession, request_id: uuid.UUID, allowed: Sequence[str]
) -> ContentRequest:
    request = await repository.get(session, request_id, lock=True)
    if request is None:
        raise NotFound("content_request.not_found")
    if request.status not in allowed:
        raise Conflict("content_request.not_pending", status=request.status)
    return request


async def approve(
    session: AsyncSession,
    admin: Principal,
    request_id: uuid.UUID,
    note: str | None,
    settings: Settings,
) -> ContentRequest:
    """Approve a pending request, tell everyone who asked, and mark it available at once if
    the library already has it."""
    request = await _pending_or_conflict(session, request_id, [RequestStatus.pending])
    request.status = RequestStatus.approved
    manual = request.external_source == ExternalSource.manual
    request.status_reason = MANUAL_REASON if manual else None
    request.processed_at = clock.utcnow()
    request.processed_by = admin.id
    if note is not None:
        request.admin_note = note
    await session.flush()
    await tell_watchers(
        session, request, NotificationType.request_approved, note=note, settings=settings
    )
    if not await availability.check_request(session, request, settings):
        # Not in the library yet: the downloader is asked for it.
        await downloads.announce_approved(session, request)
    return request


async def send_again(
    session: AsyncSession, admin: Principal, request_id: uuid.UUID
) -> ContentRequest:
    """Hand an approved (or processing) request to its downloader again, e.g. after the
    hand-off failed and the downloader's settings were fixed."""
    request = await repository.get(session, request_id, lock=True)
    if request is None:
        raise NotFound("content_request.not_found")
    if request.status not in (RequestStatus.approved, RequestStatus.processing):
        raise Conflict("content_request.not_approved", status=request.status)
    if request.external_source == ExternalSource.manual:
        raise Conflict("content_request.manual_not_sendable")
    downloads.forget_handoff_problem(request)
    await session.flush()
    await downloads.announce_approved(session, request, resend=True)
    return request


async def deny(
    session: AsyncSession,
    admin: Principal,
    request_id: uuid.UUID,
    note: str | None,
    settings: Settings,
) -> ContentRequest:
    """Deny a pending (or approved or processing, not yet available) request with an optional
    note. A download already handed to a downloader is left there."""
    request = await _pending_or_conflict(session, request_id, OPEN_STATUSES)
    handed_off = request.status != RequestStatus.pending
    request.status = RequestStatus.denied
    request.status_reason = None
    request.admin_note = note
    request.processed_at = clock.utcnow()
    request.processed_by = admin.id
    await session.flush()
    await tell_watchers(
        session, request, NotificationType.request_denied, note=note, settings=settings
    )
    if handed_off:
        # Its download is no longer followed; nothing is deleted in the downloader.
        await downloads.announce_closed(session, request)
    return request


# --- quotas -------------------------------------------------------------------------------------


async def _require_user(session: AsyncSession, user_id: uuid.UUID) -> None:
    if not await users.user_exists(session, user_id):
        raise NotFound("content_request.user_not_found")


def _settings_read(
    user_id: uuid.UUID, row: RequestUserSettings | None, settings: Settings
) -> UserRequestSettingsRead:
    effective = {kind: effective_quota(row, kind, settings) for kind in RequestMediaType}
    return UserRequestSettingsRead(
        user_id=user_id,
        quota_movie=row.quota_movie if row else None,
        quota_tv=row.quota_tv if row else None,
        quota_music=row.quota_music if row else None,
        quota_days=row.quota_days if row else None,
        auto_approve=bool(row and row.auto_approve),
        effective_quota_movie=effective[RequestMediaType.movie].limit,
        effective_quota_tv=effective[RequestMediaType.tv].limit,
        effective_quota_music=effective[RequestMediaType.music].limit,
        effective_quota_days=effective[RequestMediaType.movie].days,
    )


async def get_user_settings(
    session: AsyncSession, user_id: uuid.UUID, settings: Settings
) -> UserRequestSettingsRead:
    await _require_user(session, user_id)
    return _settings_read(user_id, await repository.user_settings(session, user_id), settings)


async def set_user_settings(
    session: AsyncSession, user_id: uuid.UUID, body: UserRequestSettingsUpdate, settings: Settings
) -> UserRequestSettingsRead:
    await _require_user(session, user_id)
    row = await repository.upsert_user_settings(session, user_id, body.model_dump())
    return _settings_read(user_id, row, settings)


async def my_quota(session: AsyncSession, user: Principal, settings: Settings) -> MyQuota:
    row = await repository.user_settings(session, user.id)
    now = clock.utcnow()
    usages = []
    for kind in RequestMediaType:
        quota = effective_quota(row, kind, settings)
        limit = None if user.is_admin else quota.limit
        times = await repository.recent_request_times(
            session, user.id, kind, now - timedelta(days=quota.days)
        )
        frees_up_at: datetime | None = None
        if times:
            frees_up_at = times[0] + timedelta(days=quota.days)
        usages.append(
            QuotaUsage(
                media_type=kind,
                limit=limit,
                used=len(times),
                remaining=None if limit is None else max(0, limit - len(times)),
                window_days=quota.days,
                frees_up_at=frees_up_at,
            )
        )
    return MyQuota(auto_approve=user.is_admin or bool(row and row.auto_approve), quotas=usages)
