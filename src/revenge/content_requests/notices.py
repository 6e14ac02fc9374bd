"""Telling the requester and every "me too" user that their request changed, and the admins
that a request waits for them."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from revenge.content_requests import repository
from revenge.content_requests.models import ContentRequest
from revenge.core.config import Settings
from revenge.notifications import service as notifications
from revenge.notifications.types import NotificationType
from revenge.users import lookup as users


async def tell_watchers(
    session: AsyncSession,
    request: ContentRequest,
    notification_type: NotificationType,
    *,
    settings: Settings,
    note: str | None = None,
) -> list[uuid.UUID]:
    """Notify the requester and every "me too" user, each in their own language and on the
    channels they chose (in the caller's transaction); returns who was meant."""
    user_ids = [request.user_id, *await repository.interested_user_ids(session, request.id)]
    data: dict[str, object] = {
        "title": request.title,
        "request_id": str(request.id),
        "media_type": request.media_type,
    }
    if request.library_media_type and request.library_media_id:
        # Once it is in the library, the notice is about that item: its media_type/media_id
        # give the notice its thumbnail (movie, series, album or artist). What was asked for
        # (movie, tv, music) stays in request_media_type.
        data["request_media_type"] = request.media_type
        data["media_type"] = request.library_media_type
        data["media_id"] = str(request.library_media_id)
    if note:
        data["note"] = note
    await notifications.notify_many(
        session,
        user_ids,
        notification_type,
        data,
        group_key=f"content_request:{request.id}",
        settings=settings,
    )
    return user_ids


async def tell_admins_pending(
    session: AsyncSession, request: ContentRequest, requester: str, *, settings: Settings
) -> list[uuid.UUID]:
    """Notify every admin that a new request waits for review (each in their language, on
    the channels they chose; in the caller's transaction)."""
    admin_ids = [a for a in await users.active_admin_ids(session) if a != request.user_id]
    await notifications.notify_many(
        session,
        admin_ids,
        NotificationType.request_pending,
        {
            "title": request.title,
            "request_id": str(request.id),
            "media_type": request.media_type,
            "requester": requester,
        },
        group_key=f"content_request:{request.id}",
        settings=settings,
    )
    return admin_ids
