"""Routes: the inbox, preferences, push tokens, channels and the live stream."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.responses import FileResponse, StreamingResponse

from revenge.core import deps
from revenge.core.db import get_database
from revenge.core.deps import AppSettings, CurrentUser, DbSession
from revenge.core.errors import Unauthorized, problem_responses
from revenge.core.pagination import PageParams, page_params
from revenge.core.types import text_query
from revenge.notifications import channel_admin, inbox, stream
from revenge.notifications.schemas import (
    ChannelCreate,
    ChannelRead,
    ChannelTestResult,
    ChannelUpdate,
    NotificationPage,
    NotificationRead,
    PreferenceRead,
    PreferencesUpdate,
    PushDeviceRead,
    PushTokenCreate,
    PushTokenDelete,
    ReadAllResult,
    WebPushKeyRead,
)

router = APIRouter(prefix="/users/me", tags=["notifications"])
Paging = Annotated[PageParams, Depends(page_params)]


@router.get("/notifications", response_model=NotificationPage, responses=problem_responses(401))
async def list_notifications(
    session: DbSession,
    user: CurrentUser,
    paging: Paging,
    locale: deps.Locale,
    unread_only: bool = False,
) -> NotificationPage:
    """The inbox, newest first; titles and messages in the caller's current language."""
    items, total, unread = await inbox.list_notifications(
        session, user, paging.limit, paging.offset, unread_only, locale
    )
    return NotificationPage(
        items=items,
        total=total,
        unread=unread,
        limit=paging.limit,
        offset=paging.offset,
    )


@router.get(
    "/notifications/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}, **problem_responses(401)},
)
async def notification_stream(request: Request) -> StreamingResponse:
    """Server-Sent Events: each new notification of the caller as ``event: notification``.

    Authenticates in a short transaction of its own, then streams without holding one."""
    async with get_database().transaction() as session:
        principal = await deps.optional_principal(request, session)
    if principal is None:
        raise Unauthorized()
    # Each frame is rendered in the user's language of that moment; this is the fallback
    # when they chose none (their Accept-Language, else the server default).
    fallback = deps.request_locale(request, principal)
    return StreamingResponse(
        stream.notification_events(principal.id, fallback),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.post(
    "/notifications/read-all", response_model=ReadAllResult, responses=problem_responses(401)
)
async def read_all(session: DbSession, user: CurrentUser) -> ReadAllResult:
    return ReadAllResult(marked=await inbox.mark_all_read(session, user))


@router.post(
    "/notifications/{notification_id}/read",
    response_model=NotificationRead,
    responses=problem_responses(401, 404),
)
async def mark_read(
    notification_id: uuid.UUID, session: DbSession, user: CurrentUser, locale: deps.Locale
) -> NotificationRead:
    return await inbox.mark_read(session, user, notification_id, locale)


@router.get(
    "/notifications/{notification_id}/thumbnail",
    response_class=FileResponse,
    responses={200: {"content": {"image/jpeg": {}}}, **problem_responses(401, 404, 422)},
)
async def notification_thumbnail(
    notification_id: uuid.UUID, session: DbSession, user: CurrentUser
) -> FileResponse:
    """The poster or cover of the item a notice is about (its ``thumbnail``)."""
    path = await inbox.thumbnail_path(session, user, notification_id)
    return FileResponse(path, headers={"cache-control": "private, max-age=3600"})


@router.delete(
    "/notifications/{notification_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 404),
)
async def delete_notification(
    notification_id: uuid.UUID, session: DbSession, user: CurrentUser
) -> Response:
    await inbox.delete_notification(session, user, notification_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/notification-preferences",
    response_model=list[PreferenceRead],
    responses=problem_responses(401),
)
async def get_preferences(session: DbSession, user: CurrentUser) -> list[PreferenceRead]:
    return await inbox.get_preferences(session, user)


@router.patch(
    "/notification-preferences",
    response_model=list[PreferenceRead],
    responses=problem_responses(401, 422),
)
async def update_preferences(
    body: PreferencesUpdate, session: DbSession, user: CurrentUser
) -> list[PreferenceRead]:
    return await inbox.update_preferences(session, user, body)


@router.post(
    "/push-token",
    response_model=PushDeviceRead,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 422),
)
async def register_push_token(
    body: PushTokenCreate, session: DbSession, user: CurrentUser, settings: AppSettings
) -> PushDeviceRead:
    return PushDeviceRead.model_validate(
        await inbox.register_push_token(session, user, body, settings)
    )


@router.delete(
    "/push-token",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 404, 422),
)
async def unregister_push_token(
    session: DbSession,
    user: CurrentUser,
    token: Annotated[str, text_query(min_length=8, max_length=4096)],
) -> Response:
    await inbox.unregister_push_token(session, user, PushTokenDelete(token=token).token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/notification-channels", response_model=list[ChannelRead], responses=problem_responses(401)
)
async def list_channels(session: DbSession, user: CurrentUser) -> list[ChannelRead]:
    return await channel_admin.list_channels(session, user)


@router.post(
    "/notification-channels",
    response_model=ChannelRead,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 422),
)
async def create_channel(
    body: ChannelCreate, session: DbSession, user: CurrentUser, settings: AppSettings
) -> ChannelRead:
    return await channel_admin.create_channel(session, user, body, settings)


@router.get(
    "/notification-channels/{channel_id}",
    response_model=ChannelRead,
    responses=problem_responses(401, 404),
)
async def get_channel(channel_id: uuid.UUID, session: DbSession, user: CurrentUser) -> ChannelRead:
    return await channel_admin.get_channel(session, user, channel_id)


@router.patch(
    "/notification-channels/{channel_id}",
    response_model=ChannelRead,
    responses=problem_responses(401, 404, 422),
)
async def update_channel(
    channel_id: uuid.UUID,
    body: ChannelUpdate,
    session: DbSession,
    user: CurrentUser,
    settings: AppSettings,
) -> ChannelRead:
    return await channel_admin.update_channel(session, user, channel_id, body, settings)


@router.delete(
    "/notification-channels/{channel_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 404),
)
async def delete_channel(channel_id: uuid.UUID, session: DbSession, user: CurrentUser) -> Response:
    await channel_admin.delete_channel(session, user, channel_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/notification-channels/{channel_id}/test",
    response_model=ChannelTestResult,
    status_code=status.HTTP_202_ACCEPTED,
    responses=problem_responses(401, 404, 422),
)
async def test_channel(
    channel_id: uuid.UUID, session: DbSession, user: CurrentUser, settings: AppSettings
) -> ChannelTestResult:
    return await channel_admin.test_channel(session, user, channel_id, settings)


# Server-wide, not per user, but only for signed-in users: subscribing needs an account anyway.
webpush_router = APIRouter(prefix="/notifications", tags=["notifications"])


@webpush_router.get(
    "/webpush/public-key",
    response_model=WebPushKeyRead,
    responses=problem_responses(401, 404),
)
async def webpush_public_key(user: CurrentUser, settings: AppSettings) -> WebPushKeyRead:
    """The VAPID public key for ``PushManager.subscribe({applicationServerKey})``; 404
    ``notifications.webpush_unavailable`` when Web Push is switched off."""
    return inbox.webpush_public_key(settings)
