"""Share-link routes: the owner's list/create/revoke, and the public page, unlock and stream.

Public routes answer refusals with a problem response instead of raising, so the request's
transaction still commits the access-log row that records the refusal.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.responses import FileResponse

from revenge.core.deps import AppSettings, CurrentUser, DbSession, client_ip
from revenge.core.errors import AppError, problem_response, problem_responses
from revenge.core.http_ranges import FileRangeResponse
from revenge.core.pagination import Page, PageParams, page_params
from revenge.share_links import access, public, service
from revenge.share_links.schemas import (
    GrantCreate,
    GrantCreated,
    GrantRead,
    SharePage,
    UnlockRequest,
    UnlockResult,
)

router = APIRouter(tags=["share links"], responses=problem_responses(422))
T = TypeVar("T")

AccessParam = Annotated[
    str | None,
    Query(
        alias="access",
        description="Access token from opening/unlocking the link (alternative to the cookie).",
    ),
]


@router.get("/users/me/grants", response_model=Page[GrantRead], responses=problem_responses(401))
async def list_my_grants(
    user: CurrentUser,
    session: DbSession,
    settings: AppSettings,
    page: PageParams = Depends(page_params),
) -> Page[GrantRead]:
    items, total = await service.list_grants(session, settings, user, page.limit, page.offset)
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.post(
    "/users/me/grants",
    response_model=GrantCreated,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 404),
    description="Create a share link. The full link (`token`, `url`) is shown in this response "
    "only: the server stores just a hash of it.",
)
async def create_grant(
    body: GrantCreate, user: CurrentUser, session: DbSession, settings: AppSettings
) -> GrantCreated:
    return await service.create_grant(session, settings, user, body)


@router.delete(
    "/users/me/grants/{grant_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 404),
)
async def revoke_grant(grant_id: uuid.UUID, user: CurrentUser, session: DbSession) -> None:
    await service.revoke_grant(session, user, grant_id)


# --- public ------------------------------------------------------------------------------


def _visitor(request: Request, settings: AppSettings) -> public.Visitor:
    return public.Visitor.from_request(
        settings, client_ip(request), request.headers.get("user-agent")
    )


Visitor = Annotated[public.Visitor, Depends(_visitor)]


def _presented_access(request: Request, query_value: str | None) -> str | None:
    return query_value or request.cookies.get(access.COOKIE_NAME)


def _set_access_cookie(
    response: Response, settings: AppSettings, token: str, link: str, expires_at: datetime
) -> None:
    # Path-scoped to this one link, so the browser sends it to nothing else.
    response.set_cookie(
        access.COOKIE_NAME,
        token,
        expires=expires_at,
        path=f"/api/v1/share/{link}",
        httponly=True,
        samesite="lax",
        secure=settings.public_url.startswith("https://"),
    )


async def _answer(request: Request, call: Awaitable[T]) -> T | Response:
    try:
        return await call
    except AppError as exc:
        return problem_response(request, exc.status, exc.code, exc.params, exc.headers, exc.extra)


PUBLIC_ERRORS = problem_responses(403, 404, 410)


@router.get("/share/{token}", response_model=SharePage, responses=PUBLIC_ERRORS)
async def open_share(
    token: str,
    request: Request,
    response: Response,
    session: DbSession,
    settings: AppSettings,
    visitor: Visitor,
    access_token: AccessParam = None,
) -> Any:
    presented = _presented_access(request, access_token)
    page = await _answer(request, public.open_page(session, settings, token, presented, visitor))
    if isinstance(page, SharePage) and page.access_expires_at and page.access_token:
        _set_access_cookie(response, settings, page.access_token, token, page.access_expires_at)
    return page


@router.post(
    "/share/{token}/unlock",
    response_model=UnlockResult,
    responses=problem_responses(403, 404, 410, 429),
)
async def unlock_share(
    token: str,
    body: UnlockRequest,
    request: Request,
    response: Response,
    session: DbSession,
    settings: AppSettings,
    visitor: Visitor,
) -> Any:
    result = await _answer(request, public.unlock(session, settings, token, body.password, visitor))
    if isinstance(result, UnlockResult):
        _set_access_cookie(response, settings, result.access_token, token, result.access_expires_at)
    return result


@router.get(
    "/share/{token}/stream",
    response_class=Response,
    responses={
        200: {"description": "The whole file", "content": {"application/octet-stream": {}}},
        206: {"description": "One byte range of the file"},
        **problem_responses(400, 403, 404, 410, 416),
    },
)
async def stream_share(
    token: str,
    request: Request,
    session: DbSession,
    settings: AppSettings,
    visitor: Visitor,
    access_token: AccessParam = None,
    item: Annotated[
        uuid.UUID | None, Query(description="For a shared series or album: which episode/track.")
    ] = None,
    download: bool = False,
) -> Response:
    plan = await _answer(
        request,
        public.prepare_stream(
            session,
            settings,
            token,
            access_token=_presented_access(request, access_token),
            item_id=item,
            range_header=request.headers.get("range"),
            if_range=request.headers.get("if-range"),
            download=download,
            visitor=visitor,
        ),
    )
    if isinstance(plan, Response):
        return plan
    disposition = "attachment" if plan.download else "inline"
    response = FileRangeResponse(
        plan.path,
        plan.stat,
        media_type=plan.media_type,
        etag=plan.etag,
        byte_range=plan.byte_range,
        headers={
            "content-disposition": f'{disposition}; filename="{plan.download_name}"',
            "cache-control": "private, no-store",
        },
    )
    if plan.new_access is not None:
        _set_access_cookie(response, settings, *plan.new_access[:1], token, plan.new_access[1])
    return response


@router.get(
    "/share/{token}/artwork",
    response_class=FileResponse,
    responses={200: {"content": {"image/jpeg": {}}}, **PUBLIC_ERRORS},
)
async def share_artwork(
    token: str,
    request: Request,
    session: DbSession,
    settings: AppSettings,
    visitor: Visitor,
    access_token: AccessParam = None,
) -> Response:
    path = await _answer(
        request,
        public.artwork(session, settings, token, _presented_access(request, access_token), visitor),
    )
    if isinstance(path, Response):
        return path
    return FileResponse(path, headers={"cache-control": "private, max-age=300"})
