from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request, status

from revenge.core.deps import AdminUser, AppSettings, CurrentUser, DbSession, client_ip
from revenge.core.errors import problem_responses
from revenge.core.pagination import Page, PageParams, page_params
from revenge.users import service
from revenge.users.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyRead,
    GeneratedPassword,
    LoginRequest,
    RefreshRequest,
    TokenPair,
    UserAdminUpdate,
    UserCreate,
    UserRead,
    UserUpdateMe,
)

ERRORS = problem_responses(401, 403, 404, 409)
router = APIRouter(tags=["users"], responses=problem_responses(422))


@router.post(
    "/auth/login",
    response_model=TokenPair,
    responses=problem_responses(401, 429),
)
async def login(
    body: LoginRequest, request: Request, session: DbSession, settings: AppSettings
) -> TokenPair:
    return await service.login(
        session,
        settings,
        body.username,
        body.password,
        client_ip=client_ip(request),
        user_agent=request.headers.get("user-agent"),
    )


@router.post("/auth/refresh", response_model=TokenPair, responses=problem_responses(401))
async def refresh(
    body: RefreshRequest, request: Request, session: DbSession, settings: AppSettings
) -> TokenPair:
    return await service.refresh(
        session, settings, body.refresh_token, request.headers.get("user-agent")
    )


@router.post(
    "/auth/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**ERRORS, **problem_responses(400)},
)
async def logout(user: CurrentUser, session: DbSession) -> None:
    await service.logout(session, user)


@router.get("/users/me", response_model=UserRead, responses=ERRORS)
async def get_me(user: CurrentUser, session: DbSession) -> UserRead:
    return UserRead.model_validate(await service.get_me(session, user))


@router.patch("/users/me", response_model=UserRead, responses=ERRORS)
async def update_me(body: UserUpdateMe, user: CurrentUser, session: DbSession) -> UserRead:
    return UserRead.model_validate(await service.update_me(session, user, body))


@router.get("/users/me/api-keys", response_model=list[ApiKeyRead], responses=ERRORS)
async def list_api_keys(user: CurrentUser, session: DbSession) -> list[ApiKeyRead]:
    return [ApiKeyRead.model_validate(k) for k in await service.list_api_keys(session, user)]


@router.post("/users/me/api-keys", response_model=ApiKeyCreated, status_code=201, responses=ERRORS)
async def create_api_key(
    body: ApiKeyCreate, user: CurrentUser, session: DbSession
) -> ApiKeyCreated:
    return await service.create_api_key(session, user, body)


@router.delete("/users/me/api-keys/{key_id}", status_code=204, responses=ERRORS)
async def delete_api_key(key_id: uuid.UUID, user: CurrentUser, session: DbSession) -> None:
    await service.delete_api_key(session, user, key_id)


@router.get("/admin/users", response_model=Page[UserRead], responses=ERRORS)
async def admin_list_users(
    admin: AdminUser, session: DbSession, page: PageParams = Depends(page_params)
) -> Page[UserRead]:
    users, total = await service.list_users(session, page.limit, page.offset)
    return Page(
        items=[UserRead.model_validate(u) for u in users],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post("/admin/users", response_model=UserRead, status_code=201, responses=ERRORS)
async def admin_create_user(body: UserCreate, admin: AdminUser, session: DbSession) -> UserRead:
    return UserRead.model_validate(await service.create_user(session, body))


@router.patch("/admin/users/{user_id}", response_model=UserRead, responses=ERRORS)
async def admin_update_user(
    user_id: uuid.UUID, body: UserAdminUpdate, admin: AdminUser, session: DbSession
) -> UserRead:
    return UserRead.model_validate(await service.admin_update_user(session, admin, user_id, body))


@router.post(
    "/admin/users/{user_id}/reset-password", response_model=GeneratedPassword, responses=ERRORS
)
async def admin_reset_password(
    user_id: uuid.UUID, admin: AdminUser, session: DbSession
) -> GeneratedPassword:
    """A new generated password, shown only in this answer. The user's logins end, and the web
    app asks them to choose their own password at the next sign-in."""
    return GeneratedPassword(password=await service.reset_password(session, admin, user_id))


@router.delete("/admin/users/{user_id}", status_code=204, responses=ERRORS)
async def admin_delete_user(user_id: uuid.UUID, admin: AdminUser, session: DbSession) -> None:
    await service.delete_user(session, admin, user_id)
