from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import FileResponse, StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core import deps
from revenge.core.db import get_database
from revenge.core.deps import AdminUser, AppSettings, CurrentUser, DbSession
from revenge.core.errors import AppError, Forbidden, Unauthorized, problem_responses
from revenge.core.http_ranges import FileRangeResponse
from revenge.core.pagination import Page, PageParams, page_params
from revenge.playback import activity, home, info, marks, service, streaming
from revenge.playback.schemas import (
    ActivityRead,
    HistoryEntry,
    HomeRead,
    PlayableType,
    PlaybackEventCreate,
    PlaybackInfo,
    PlayedState,
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
    user: CurrentUser,
    session: DbSession,
    settings: AppSettings,
    page: PageParams = Depends(page_params),
    media_type: Annotated[
        PlayableType | None, Query(description="Only plays of this media type.")
    ] = None,
    media_id: Annotated[
        uuid.UUID | None, Query(description="Only plays of this item (its page's history).")
    ] = None,
) -> Page[HistoryEntry]:
    items, total = await service.history(
        session, user, settings, page.limit, page.offset, media_type=media_type, media_id=media_id
    )
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


# --- playing in the browser ----------------------------------------------------------------------

player_router = APIRouter(tags=["playback"], responses=problem_responses(401, 422))


@player_router.get(
    "/playback/info/{media_type}/{media_id}",
    response_model=PlaybackInfo,
    responses=problem_responses(404, 409),
)
async def playback_info(
    media_type: PlayableType,
    media_id: uuid.UUID,
    user: CurrentUser,
    session: DbSession,
    settings: AppSettings,
) -> PlaybackInfo:
    """Everything the web player needs for one item: the file's facts (can the browser play it
    itself?), a stream URL signed for the caller (12 hours), where to resume, and whether the
    caller played it. 409 ``playback.file_missing`` when the file is gone."""
    return await info.playback_info(session, settings, user.id, media_type, media_id)


STREAM_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"description": "The whole file", "content": {"application/octet-stream": {}}},
    206: {"description": "One byte range of the file"},
    **problem_responses(401, 403, 404, 409, 416),
}
StreamToken = Annotated[
    str | None,
    Query(alias="t", description="The token of `stream_url` (from `/playback/info`)."),
]


async def _stream(
    file_id: uuid.UUID,
    request: Request,
    session: DbSession,
    settings: AppSettings,
    token: str | None,
) -> Response:
    # Decided in the request's transaction, which ends when this returns: the bytes go out
    # with no database connection held.
    plan = await streaming.prepare_stream(
        session,
        settings,
        file_id,
        token,
        range_header=request.headers.get("range"),
        if_range=request.headers.get("if-range"),
    )
    return FileRangeResponse(
        plan.path,
        plan.stat,
        media_type=plan.media_type,
        etag=plan.etag,
        byte_range=plan.byte_range,
        # The URL is a capability: no shared cache may keep the bytes or the token's answer.
        headers={"cache-control": "private, no-store", "referrer-policy": "no-referrer"},
    )


@player_router.get("/stream/{file_id}", response_class=Response, responses=STREAM_RESPONSES)
async def stream_file(
    file_id: uuid.UUID,
    request: Request,
    session: DbSession,
    settings: AppSettings,
    token: StreamToken = None,
) -> Response:
    """The file for `<video>`/`<audio>`: HTTP Range (206, suffix ranges, 416 with
    `Content-Range: bytes */size`), `ETag` + `If-Range`. No login header: the signed `t`
    proves the caller; their account must still be active. Counts no play (the player reports
    to `/playback/events`)."""
    return await _stream(file_id, request, session, settings, token)


@player_router.head("/stream/{file_id}", response_class=Response, responses=STREAM_RESPONSES)
async def stream_file_head(
    file_id: uuid.UUID,
    request: Request,
    session: DbSession,
    settings: AppSettings,
    token: StreamToken = None,
) -> Response:
    """The headers `GET` would send (length, type, range), without the body."""
    return await _stream(file_id, request, session, settings, token)


@player_router.get("/users/me/home", response_model=HomeRead)
async def my_home(user: CurrentUser, session: DbSession, settings: AppSettings) -> HomeRead:
    """The start page: the caller's unfinished items (`continue`), their last plays, and what
    came into the library lately."""
    return await home.home(session, settings, user.id)


@player_router.put(
    "/users/me/played/{media_type}/{media_id}",
    response_model=PlayedState,
    responses=problem_responses(404),
)
async def mark_played(
    media_type: PlayableType, media_id: uuid.UUID, user: CurrentUser, session: DbSession
) -> PlayedState:
    """Mark the item played: records one finished, counted play (history, statistics and
    scrobbling see it). Repeating it within 60 s records nothing more."""
    return await marks.mark_played(session, user.id, media_type, media_id)


@player_router.delete(
    "/users/me/played/{media_type}/{media_id}",
    response_model=PlayedState,
    responses=problem_responses(404),
)
async def mark_unplayed(
    media_type: PlayableType, media_id: uuid.UUID, user: CurrentUser, session: DbSession
) -> PlayedState:
    """Mark the item unplayed: it leaves "continue" and is not played until the next play.
    The history stays."""
    return await marks.mark_unplayed(session, user.id, media_type, media_id)


# The feature's routes, as main.py mounts them.
router = APIRouter()
router.include_router(events_router)
router.include_router(activity_router)
router.include_router(player_router)
