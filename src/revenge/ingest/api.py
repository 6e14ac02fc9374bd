"""Ingest routes: the admin's sources, their users and the unmatched events; the webhook door."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Header, Request, status

from revenge.core.deps import AdminUser, AppSettings, DbSession
from revenge.core.errors import problem_responses
from revenge.core.pagination import Page, PageParams, page_params
from revenge.ingest import receiver, service, sources
from revenge.ingest.schemas import (
    MAX_LINKS,
    ExternalUserLink,
    ExternalUserRead,
    SourceCreate,
    SourceRead,
    SourceUpdate,
    SourceUpdated,
    SourceWithUrl,
    UnmatchedGroup,
    WebhookAccepted,
)

admin_router = APIRouter(
    prefix="/admin/sources", tags=["ingest admin"], responses=problem_responses(401, 403)
)
webhook_router = APIRouter(prefix="/ingest", tags=["ingest"])


@admin_router.post(
    "",
    response_model=SourceWithUrl,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(422),
    description="Add a Jellyfin, Emby or Plex server. The answer's `webhook_url` (with its "
    "`token`) is shown this once: the server keeps only a hash of it.",
)
async def create_source(
    body: SourceCreate, _: AdminUser, session: DbSession, settings: AppSettings
) -> SourceWithUrl:
    return await sources.create_source(session, settings, body)


@admin_router.get("", response_model=list[SourceRead])
async def list_sources(_: AdminUser, session: DbSession) -> list[SourceRead]:
    return await sources.list_sources(session)


@admin_router.get(
    "/unmatched",
    response_model=Page[UnmatchedGroup],
    description="Events waiting for an item the library does not have yet or for a user "
    "nobody linked, grouped, the newest first. They are applied when a scan or a link makes "
    "them match.",
)
async def list_unmatched(
    _: AdminUser, session: DbSession, page: PageParams = Depends(page_params)
) -> Page[UnmatchedGroup]:
    items, total = await service.unmatched(session, page.limit, page.offset)
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@admin_router.get("/{source_id}", response_model=SourceRead, responses=problem_responses(404, 422))
async def get_source(source_id: uuid.UUID, _: AdminUser, session: DbSession) -> SourceRead:
    return await sources.read_source(session, source_id)


@admin_router.patch(
    "/{source_id}",
    response_model=SourceUpdated,
    responses=problem_responses(404, 422),
    description="Rename, change the path map, or `rotate_token`: the old webhook URL stops "
    "working and the new one is in this answer only.",
)
async def update_source(
    source_id: uuid.UUID,
    body: SourceUpdate,
    _: AdminUser,
    session: DbSession,
    settings: AppSettings,
) -> SourceUpdated:
    return await sources.update_source(session, settings, source_id, body)


@admin_router.delete(
    "/{source_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(404, 422),
)
async def delete_source(source_id: uuid.UUID, _: AdminUser, session: DbSession) -> None:
    await sources.delete_source(session, source_id)


@admin_router.get(
    "/{source_id}/users",
    response_model=list[ExternalUserRead],
    responses=problem_responses(404, 422),
)
async def list_source_users(
    source_id: uuid.UUID, _: AdminUser, session: DbSession
) -> list[ExternalUserRead]:
    return await service.list_external_users(session, source_id)


@admin_router.put(
    "/{source_id}/users",
    response_model=list[ExternalUserRead],
    responses=problem_responses(404, 422),
    description="Link the source's users to local users (`user_id` null unlinks). A linked "
    "user's waiting events are then applied.",
)
async def link_source_users(
    source_id: uuid.UUID,
    links: Annotated[list[ExternalUserLink], Body(max_length=MAX_LINKS)],
    _: AdminUser,
    session: DbSession,
) -> list[ExternalUserRead]:
    return await service.link_external_users(session, source_id, links)


_WEBHOOK_ERRORS = problem_responses(400, 401, 413)


async def _receive(request: Request, source_id: str, token: str | None) -> WebhookAccepted:
    # No request transaction: the receiver stores bodies in shared batches and answers once
    # this one is committed (``receiver._GroupCommit``).
    body = await request.body()
    events = await receiver.receive_webhook(
        source_id, token, request.headers.get("content-type", ""), body
    )
    return WebhookAccepted(events=events)


@webhook_router.post(
    "/{source_id}/{token}",
    response_model=WebhookAccepted,
    status_code=status.HTTP_202_ACCEPTED,
    responses=_WEBHOOK_ERRORS,
    description="A webhook of the source: Jellyfin (JSON or text/plain), Plex "
    "(multipart/form-data) or Emby (form field `data`). Stored at once and applied by a job.",
)
async def receive_webhook(source_id: str, token: str, request: Request) -> WebhookAccepted:
    return await _receive(request, source_id, token)


@webhook_router.post(
    "/{source_id}",
    response_model=WebhookAccepted,
    status_code=status.HTTP_202_ACCEPTED,
    responses=_WEBHOOK_ERRORS,
    description="The same, with the token in the `X-Revenge-Token` header (Jellyfin's "
    "webhook plugin can send headers).",
)
async def receive_webhook_with_header(
    source_id: str,
    request: Request,
    x_revenge_token: Annotated[str | None, Header()] = None,
) -> WebhookAccepted:
    return await _receive(request, source_id, x_revenge_token)
