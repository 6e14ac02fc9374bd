"""Routes under /api/v1/users/me/scrobbling (thin: parse, call one use case, return).

The use cases schedule their own follow-up jobs (delivery, sync, device polls)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from revenge.core.deps import AppSettings, CurrentUser, DbSession, Locale
from revenge.core.errors import problem_responses
from revenge.core.pagination import Page, PageParams, page_params
from revenge.scrobbling import authorisation, connections, queue, service
from revenge.scrobbling.providers.base import ProviderName
from revenge.scrobbling.schemas import (
    ConnectionRead,
    ConnectionSettingsUpdate,
    ConnectRequest,
    ConnectResponse,
    ImportedRead,
    LoveRead,
    QueueItemRead,
    RecommendationsRead,
    SyncStarted,
)

router = APIRouter(
    prefix="/users/me/scrobbling", tags=["scrobbling"], responses=problem_responses(401, 422)
)
QueueStatus = Literal["pending", "sent", "failed", "skipped"]


@router.get("/connections", response_model=list[ConnectionRead])
async def list_connections(
    user: CurrentUser, session: DbSession, settings: AppSettings, locale: Locale
) -> list[ConnectionRead]:
    return await connections.list_connections(session, user.id, settings, locale)


@router.post(
    "/connect/{provider}",
    response_model=ConnectResponse,
    responses=problem_responses(409, 503),
)
async def connect(
    provider: ProviderName,
    user: CurrentUser,
    session: DbSession,
    settings: AppSettings,
    locale: Locale,
    body: ConnectRequest | None = None,
) -> ConnectResponse:
    return await authorisation.connect(
        session, user.id, provider, body or ConnectRequest(), settings, locale
    )


@router.get(
    "/callback/{provider}",
    response_model=ConnectionRead,
    responses=problem_responses(400, 503),
)
async def callback(
    provider: ProviderName,
    request: Request,
    user: CurrentUser,
    session: DbSession,
    settings: AppSettings,
    locale: Locale,
) -> ConnectionRead:
    return await authorisation.complete_callback(
        session, user.id, provider, dict(request.query_params), settings, locale
    )


@router.delete("/disconnect/{provider}", status_code=204, responses=problem_responses(404))
async def disconnect(
    provider: ProviderName, user: CurrentUser, session: DbSession, settings: AppSettings
) -> Response:
    await connections.disconnect(session, user.id, provider, settings)
    return Response(status_code=204)


@router.patch(
    "/{provider}/settings", response_model=ConnectionRead, responses=problem_responses(404)
)
async def update_settings(
    provider: ProviderName,
    body: ConnectionSettingsUpdate,
    user: CurrentUser,
    session: DbSession,
    settings: AppSettings,
    locale: Locale,
) -> ConnectionRead:
    return await connections.update_settings(session, user.id, provider, body, settings, locale)


@router.post(
    "/{provider}/sync",
    response_model=SyncStarted,
    status_code=202,
    responses=problem_responses(404, 409),
)
async def start_sync(
    provider: ProviderName, user: CurrentUser, session: DbSession, settings: AppSettings
) -> SyncStarted:
    return await service.request_sync(session, user.id, provider, settings)


@router.get("/queue", response_model=Page[QueueItemRead])
async def list_queue(
    user: CurrentUser,
    session: DbSession,
    status: QueueStatus | None = None,
    page: PageParams = Depends(page_params),
) -> Page[QueueItemRead]:
    items, total = await queue.list_queue(session, user.id, status, page.limit, page.offset)
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.post(
    "/queue/{item_id}/retry", response_model=QueueItemRead, responses=problem_responses(404, 409)
)
async def retry_queue_item(
    item_id: uuid.UUID, user: CurrentUser, session: DbSession
) -> QueueItemRead:
    return await queue.retry_queue_item(session, user.id, item_id)


@router.get(
    "/{provider}/recommendations",
    response_model=RecommendationsRead,
    responses=problem_responses(404, 409, 503),
)
async def recommendations(
    provider: ProviderName,
    user: CurrentUser,
    session: DbSession,
    settings: AppSettings,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    track_id: uuid.UUID | None = None,
) -> RecommendationsRead:
    return await service.recommendations(
        session, user.id, provider, settings, limit=limit, seed_track_id=track_id
    )


def _imported_route(kind: str) -> None:
    @router.get(
        f"/{{provider}}/{kind}",
        response_model=Page[ImportedRead],
        name=f"scrobbling_imported_{kind}",
    )
    async def imported(
        provider: ProviderName,
        user: CurrentUser,
        session: DbSession,
        page: PageParams = Depends(page_params),
    ) -> Page[ImportedRead]:
        items, total = await service.list_imported(
            session, user.id, provider, kind, page.limit, page.offset
        )
        return Page(items=items, total=total, limit=page.limit, offset=page.offset)


for _kind in ("history", "watchlist", "ratings"):
    _imported_route(_kind)


@router.post(
    "/lastfm/love/{track_id}", response_model=LoveRead, responses=problem_responses(404, 409, 503)
)
async def love(
    track_id: uuid.UUID, user: CurrentUser, session: DbSession, settings: AppSettings
) -> LoveRead:
    await service.love_track(session, user.id, ProviderName.lastfm, track_id, True, settings)
    return LoveRead(track_id=track_id, loved=True)


@router.delete(
    "/lastfm/love/{track_id}", response_model=LoveRead, responses=problem_responses(404, 409, 503)
)
async def unlove(
    track_id: uuid.UUID, user: CurrentUser, session: DbSession, settings: AppSettings
) -> LoveRead:
    await service.love_track(session, user.id, ProviderName.lastfm, track_id, False, settings)
    return LoveRead(track_id=track_id, loved=False)
