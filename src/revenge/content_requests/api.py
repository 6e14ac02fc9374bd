"""Content request routes: users ask and follow; admins decide and set quotas."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response, status

from revenge.content_requests import discovery, review, service
from revenge.content_requests.models import RequestMediaType, RequestStatus
from revenge.content_requests.schemas import (
    ApproveBody,
    ContentRequestCreate,
    ContentRequestRead,
    DenyBody,
    DiscoverList,
    DiscoverMediaType,
    DiscoverPage,
    MyQuota,
    RequestOptions,
    SearchResults,
    SeriesSeasons,
    UserRequestSettingsRead,
    UserRequestSettingsUpdate,
)
from revenge.core.deps import AdminUser, AppSettings, CurrentUser, DbSession, Locale
from revenge.core.errors import problem_responses
from revenge.core.pagination import Page, PageParams, page_params
from revenge.core.types import text_query

router = APIRouter(tags=["requests"], responses=problem_responses(401, 422))
admin_router = APIRouter(tags=["requests (admin)"], responses=problem_responses(401, 403, 422))


@router.get("/requests/search", response_model=SearchResults, responses=problem_responses(502, 503))
async def search(
    user: CurrentUser,
    session: DbSession,
    settings: AppSettings,
    q: Annotated[str, text_query(min_length=1, max_length=200)],
    media_type: RequestMediaType,
) -> SearchResults:
    return SearchResults(items=await discovery.search(session, media_type, q, settings))


@router.get("/requests/options", response_model=RequestOptions)
async def request_options(user: CurrentUser, settings: AppSettings) -> RequestOptions:
    """What the request page can offer here: search per media type, discovery, by title."""
    return discovery.options(settings)


@router.get(
    "/requests/discover", response_model=DiscoverPage, responses=problem_responses(502, 503)
)
async def discover(
    user: CurrentUser,
    session: DbSession,
    settings: AppSettings,
    which: Annotated[DiscoverList, Query(alias="list")],
    media_type: DiscoverMediaType = "movie",
    page: Annotated[int, Query(ge=1, le=500)] = 1,
) -> DiscoverPage:
    """TMDB's popular or upcoming movies or series (upcoming series: on the air), marked as
    in the library or requested. 503 ``content_request.discover_unavailable`` without a key."""
    return await discovery.discover(session, which, media_type, page, settings)


@router.get(
    "/requests/tv/{external_id}/seasons",
    response_model=SeriesSeasons,
    responses=problem_responses(502, 503),
)
async def series_seasons(
    user: CurrentUser,
    session: DbSession,
    settings: AppSettings,
    external_id: Annotated[str, Path(pattern=r"^[0-9]{1,9}$")],
) -> SeriesSeasons:
    """The seasons of a TMDB series, for the season picker."""
    return await discovery.seasons(session, external_id, settings)


@router.get("/requests/quota", response_model=MyQuota)
async def my_quota(user: CurrentUser, session: DbSession, settings: AppSettings) -> MyQuota:
    return await review.my_quota(session, user, settings)


@router.get("/requests", response_model=Page[ContentRequestRead])
async def list_my_requests(
    user: CurrentUser,
    session: DbSession,
    settings: AppSettings,
    locale: Locale,
    status: RequestStatus | None = None,
    page: PageParams = Depends(page_params),
) -> Page[ContentRequestRead]:
    items, total = await service.list_mine(
        session, user, status, page.limit, page.offset, locale, settings.secret
    )
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.post(
    "/requests",
    response_model=ContentRequestRead,
    status_code=status.HTTP_201_CREATED,
    responses={
        **problem_responses(409, 429, 502, 503),
        200: {"model": ContentRequestRead, "description": "Joined an open request (me too)"},
    },
)
async def create_request(
    body: ContentRequestCreate,
    user: CurrentUser,
    session: DbSession,
    settings: AppSettings,
    locale: Locale,
    response: Response,
) -> ContentRequestRead:
    request, created = await service.create(session, user, body, settings)
    if not created:
        response.status_code = status.HTTP_200_OK
    return await service.read_one(session, request, user, locale, settings.secret)


@router.get(
    "/requests/{request_id}", response_model=ContentRequestRead, responses=problem_responses(404)
)
async def get_request(
    request_id: uuid.UUID,
    user: CurrentUser,
    session: DbSession,
    settings: AppSettings,
    locale: Locale,
) -> ContentRequestRead:
    return await service.get_for(session, user, request_id, locale, settings.secret)


@router.delete(
    "/requests/{request_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(404, 409),
)
async def delete_request(request_id: uuid.UUID, user: CurrentUser, session: DbSession) -> Response:
    await service.withdraw(session, user, request_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@admin_router.get("/admin/requests", response_model=Page[ContentRequestRead])
async def list_all_requests(
    admin: AdminUser,
    session: DbSession,
    settings: AppSettings,
    locale: Locale,
    status: RequestStatus | None = None,
    media_type: RequestMediaType | None = None,
    user_id: uuid.UUID | None = None,
    page: PageParams = Depends(page_params),
) -> Page[ContentRequestRead]:
    items, total = await service.list_all(
        session,
        status=status,
        media_type=media_type,
        user_id=user_id,
        limit=page.limit,
        offset=page.offset,
        locale=locale,
        secret=settings.secret,
    )
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@admin_router.post(
    "/admin/requests/{request_id}/approve",
    response_model=ContentRequestRead,
    responses=problem_responses(404, 409),
)
async def approve_request(
    request_id: uuid.UUID,
    admin: AdminUser,
    session: DbSession,
    settings: AppSettings,
    locale: Locale,
    body: ApproveBody | None = None,
) -> ContentRequestRead:
    note = body.admin_note if body else None
    request = await review.approve(session, admin, request_id, note, settings)
    return await service.read_one(session, request, admin, locale, settings.secret)


@admin_router.post(
    "/admin/requests/{request_id}/deny",
    response_model=ContentRequestRead,
    responses=problem_responses(404, 409),
)
async def deny_request(
    request_id: uuid.UUID,
    admin: AdminUser,
    session: DbSession,
    settings: AppSettings,
    locale: Locale,
    body: DenyBody | None = None,
) -> ContentRequestRead:
    note = body.admin_note if body else None
    request = await review.deny(session, admin, request_id, note, settings)
    return await service.read_one(session, request, admin, locale, settings.secret)


@admin_router.post(
    "/admin/requests/{request_id}/send",
    response_model=ContentRequestRead,
    responses=problem_responses(404, 409),
)
async def send_request(
    request_id: uuid.UUID,
    admin: AdminUser,
    session: DbSession,
    settings: AppSettings,
    locale: Locale,
) -> ContentRequestRead:
    """Hand an approved request to its downloader again (after a failed hand-off, say)."""
    request = await review.send_again(session, admin, request_id)
    return await service.read_one(session, request, admin, locale, settings.secret)


@admin_router.get(
    "/admin/users/{user_id}/request-settings",
    response_model=UserRequestSettingsRead,
    responses=problem_responses(404),
)
async def get_user_request_settings(
    user_id: uuid.UUID, admin: AdminUser, session: DbSession, settings: AppSettings
) -> UserRequestSettingsRead:
    return await review.get_user_settings(session, user_id, settings)


@admin_router.put(
    "/admin/users/{user_id}/request-settings",
    response_model=UserRequestSettingsRead,
    responses=problem_responses(404),
)
async def set_user_request_settings(
    user_id: uuid.UUID,
    body: UserRequestSettingsUpdate,
    admin: AdminUser,
    session: DbSession,
    settings: AppSettings,
) -> UserRequestSettingsRead:
    return await review.set_user_settings(session, user_id, body, settings)


router.include_router(admin_router)
