from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core import deps
from revenge.core.db import get_database
from revenge.core.deps import AdminUser, AppSettings, CurrentUser, DbSession
from revenge.core.errors import AppError, Forbidden, Unauthorized, problem_responses
from revenge.core.pagination import Page, PageParams, page_params
from revenge.playback import activity, service
from revenge.playback.schemas import (
    ActivityRead,
    HistoryEntry,
    PlaybackEventCreate,
    PlaySessionRead,
)

ERRORS = problem_responses(401, 404, 409, 422)
events_router = APIRouter(tags=["playback"], responses=ERRORS)
activity_router = APIRouter(
    prefix="/admin/activity", tags=["activity"], responses=problem_responses(401, 403)
)


@events_router.post("/playback/events", response_model=PlaySessionRead)
async def post_event(
    body: PlaybackEventCreate, user: CurrentUser, session: DbSession, settings: AppSettings
) -> PlaySessionRead:
    return PlaySessionRead.model_validate(await service.record_event(session, user, body, settings))


@events_router.get("/users/me/history", response_model=Page[HistoryEntry])
async def my_history(
    user: CurrentUser, session: DbSession, page: PageParams = Depends(page_params)
) -> Page[HistoryEntry]:
    items, total = await service.history(session, user, page.limit, page.offset)
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@activity_router.get("", response_model=ActivityRead)
async def list_activity(_: AdminUser, session: DbSession, settings: AppSettings) -> ActivityRead:
    """What plays now, from every door (this server's players, media server webhooks,
    ListenBrainz clients): sessions playing or paused that heard something within
    ``REVENGE_INGEST_ACTIVITY_STALE_SECONDS``, oldest start first."""
    return await activity.current_activity(session, settings)


@activity_router.get(
    "/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def activity_stream(request: Request, settings: AppSettings) -> StreamingResponse:
    """Server-Sent Events: ``event: activity`` with the same document as ``GET
    /admin/activity``, at once and whenever it changes (a comment every 15 s otherwise).

    Authenticates in a short transaction of its own and streams without holding one; the
    caller's login is checked again every minute, and a stream whose login ended stops."""
    async with get_database().transaction() as session:
        principal = await deps.optional_principal(request, session)
    if principal is None:
        raise Unauthorized()
    if not principal.is_admin:
        raise Forbidden("auth.admin_required")

    async def still_admin(session: AsyncSession) -> bool:
        try:
            again = await deps.optional_principal(request, session)
        except AppError:
            return False
        return again is not None and again.is_admin

    return StreamingResponse(
        activity.activity_events(settings, still_admin),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@activity_router.get(
    "/{session_id}/artwork",
    response_class=FileResponse,
    responses={200: {"content": {"image/jpeg": {}}}, **problem_responses(404, 422)},
)
async def activity_artwork(session_id: uuid.UUID, _: AdminUser, session: DbSession) -> FileResponse:
    """The poster or cover of the item a play session is of."""
    path = await activity.artwork_path(session, session_id)
    return FileResponse(path, headers={"cache-control": "private, max-age=300"})


# The feature's routes, as main.py mounts them.
router = APIRouter()
router.include_router(events_router)
router.include_router(activity_router)
