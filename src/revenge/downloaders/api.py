"""Downloader routes: admins set up Radarr/Sonarr/Lidarr; the downloaders post webhooks."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response, status

from revenge.core.deps import AdminUser, AppSettings, DbSession
from revenge.core.errors import problem_responses
from revenge.core.pagination import Page, PageParams, page_params
from revenge.downloaders import progress, webhooks
from revenge.downloaders import settings as downloader_settings
from revenge.downloaders.schemas import (
    DownloaderCreate,
    DownloaderCreated,
    DownloaderRead,
    DownloaderTestBody,
    DownloaderTestResult,
    DownloaderUpdate,
    QueueCheck,
    WebhookAck,
    WebhookUrl,
)

admin_router = APIRouter(
    prefix="/admin/downloaders",
    tags=["downloaders (admin)"],
    responses=problem_responses(401, 403, 422),
)
# The downloaders' door: no login, the URL's token is the credential.
webhook_router = APIRouter(prefix="/ingest/downloader", tags=["downloaders (webhooks)"])


@admin_router.get("", response_model=Page[DownloaderRead])
async def list_downloaders(
    admin: AdminUser, session: DbSession, page: PageParams = Depends(page_params)
) -> Page[DownloaderRead]:
    items = await downloader_settings.list_all(session)
    return Page(
        items=items[page.offset : page.offset + page.limit],
        total=len(items),
        limit=page.limit,
        offset=page.offset,
    )


@admin_router.post(
    "",
    response_model=DownloaderCreated,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(409),
)
async def create_downloader(
    body: DownloaderCreate, admin: AdminUser, session: DbSession, settings: AppSettings
) -> DownloaderCreated:
    return await downloader_settings.create(session, body, settings)


@admin_router.post(
    "/test", response_model=DownloaderTestResult, responses=problem_responses(404, 502)
)
async def test_unsaved_downloader(
    body: DownloaderTestBody, admin: AdminUser, session: DbSession, settings: AppSettings
) -> DownloaderTestResult:
    """Try settings before saving them: the profiles and root folders to choose from."""
    return await downloader_settings.test_unsaved(session, body, settings)


@admin_router.get(
    "/{downloader_id}", response_model=DownloaderRead, responses=problem_responses(404)
)
async def get_downloader(
    downloader_id: uuid.UUID, admin: AdminUser, session: DbSession
) -> DownloaderRead:
    return await downloader_settings.get_one(session, downloader_id)


@admin_router.patch(
    "/{downloader_id}", response_model=DownloaderRead, responses=problem_responses(404, 409)
)
async def update_downloader(
    downloader_id: uuid.UUID,
    body: DownloaderUpdate,
    admin: AdminUser,
    session: DbSession,
    settings: AppSettings,
) -> DownloaderRead:
    return await downloader_settings.update(session, downloader_id, body, settings)


@admin_router.delete(
    "/{downloader_id}", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(404)
)
async def delete_downloader(
    downloader_id: uuid.UUID, admin: AdminUser, session: DbSession
) -> Response:
    await downloader_settings.delete(session, downloader_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@admin_router.post(
    "/{downloader_id}/test",
    response_model=DownloaderTestResult,
    responses=problem_responses(404, 502),
)
async def test_downloader(
    downloader_id: uuid.UUID, admin: AdminUser, session: DbSession, settings: AppSettings
) -> DownloaderTestResult:
    """Call the downloader: a wrong key or an unreachable host is a translated problem."""
    return await downloader_settings.test_saved(session, downloader_id, settings)


@admin_router.post(
    "/{downloader_id}/queue-check", response_model=QueueCheck, responses=problem_responses(404)
)
async def check_queue(
    downloader_id: uuid.UUID, admin: AdminUser, session: DbSession, settings: AppSettings
) -> QueueCheck:
    """Read the downloader's queue now (it is read every minute anyway): the requests handed to
    it show their downloads' progress."""
    return await progress.check_downloader(session, downloader_id, settings)


@admin_router.post(
    "/{downloader_id}/webhook", response_model=WebhookUrl, responses=problem_responses(404)
)
async def renew_webhook(
    downloader_id: uuid.UUID, admin: AdminUser, session: DbSession, settings: AppSettings
) -> WebhookUrl:
    """A new webhook URL (shown once); the old one stops working."""
    return await downloader_settings.renew_webhook(session, downloader_id, settings)


@webhook_router.post(
    "/{downloader_id}/{token}",
    response_model=WebhookAck,
    responses=problem_responses(400, 401, 413),
)
async def downloader_webhook(
    downloader_id: uuid.UUID,
    token: Annotated[str, Path(max_length=200)],
    request: Request,
    session: DbSession,
    settings: AppSettings,
) -> WebhookAck:
    """Radarr/Sonarr/Lidarr "Connect → Webhook": an import, rename or delete there starts a
    targeted scan here; ``Test`` is answered OK; other events are ignored."""
    return await webhooks.receive(session, downloader_id, token, await request.body(), settings)


router = APIRouter()
router.include_router(admin_router)
router.include_router(webhook_router)
