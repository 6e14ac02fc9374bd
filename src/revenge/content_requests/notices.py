"""Telling the requester and every "me too" user that their request changed."""

from __future__ import annotations

import uuid

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.content_requests import repository
from revenge.content_requests.models import ContentRequest

log = structlog.get_logger(__name__)


async def tell_watchers(
    session: AsyncSession,
    request: ContentRequest,
    notification_type: str,
    *,
    note: str | None = None,
) -> list[uuid.UUID]:
    """Notify the requester and every "me too" user; returns who was meant.

    The notifications feature is not on this branch yet: until it is merged this only
    records the intent in the log (see README, "Content requests").
    """
    user_ids = [request.user_id, *await repository.interested_user_ids(session, request.id)]
    log.info(
        "content_request.notify",
        type=notification_type,
        request_id=str(request.id),
        recipients=len(user_ids),
        note=bool(note),
    )
    return user_ids
