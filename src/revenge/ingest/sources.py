"""Webhook sources, as the admin manages them: a Jellyfin, Emby or Plex server, its secret
webhook URL (shown once; only its SHA-256 is kept, as with share links), its path map, and what
it has sent so far."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core.config import Settings
from revenge.core.errors import NotFound
from revenge.core.security import new_token, token_digest
from revenge.ingest import repository as repo
from revenge.ingest import tasks
from revenge.ingest.models import IngestSource
from revenge.ingest.schemas import (
    PathRewrite,
    SourceCreate,
    SourceRead,
    SourceUpdate,
    SourceUpdated,
    SourceWithUrl,
)
from revenge.ingest.senders.base import SourceKind

TOKEN_BYTES = 32
# Where the receiver listens (``ingest.api``'s webhook routes under the API prefix).
WEBHOOK_PATH = "/api/v1/ingest"


def webhook_url(settings: Settings, source_id: uuid.UUID, token: str) -> str:
    return f"{settings.public_url.rstrip('/')}{WEBHOOK_PATH}/{source_id}/{token}"


def _path_map(rules: list[PathRewrite]) -> list[dict[str, str]]:
    return [{"from": rule.from_, "to": rule.to} for rule in rules]


def _read(source: IngestSource, backlog: repo.InboxBacklog | None) -> SourceRead:
    """The source's figures, with what its inbox holds that no drain has counted yet."""
    new, newest = (backlog.new, backlog.newest) if backlog else (0, None)
    last = max((t for t in (source.last_received_at, newest) if t is not None), default=None)
    return SourceRead(
        id=source.id,
        kind=SourceKind(source.kind),
        name=source.name,
        path_map=[PathRewrite.model_validate(rule) for rule in source.path_map],
        created_at=source.created_at,
        last_received_at=last,
        received=source.received + new,
        applied=source.applied,
        duplicates=source.duplicates,
        unmatched=source.unmatched,
        waiting=backlog.waiting if backlog else 0,
        last_error=source.last_error,
        last_error_at=source.last_error_at,
    )


async def _one(session: AsyncSession, source_id: uuid.UUID, *, lock: bool = False) -> IngestSource:
    source = await repo.get_source(session, source_id, lock=lock)
    if source is None:
        raise NotFound("ingest.source_not_found")
    return source


async def read_source(session: AsyncSession, source_id: uuid.UUID) -> SourceRead:
    source = await _one(session, source_id)
    backlog = await repo.inbox_backlog(session, [source.id])
    return _read(source, backlog.get(source.id))


async def create_source(
    session: AsyncSession, settings: Settings, body: SourceCreate
) -> SourceWithUrl:
    """Add a source; the answer's ``webhook_url`` and ``token`` are shown this once."""
    token = new_token(nbytes=TOKEN_BYTES)
    source = IngestSource(
        kind=body.kind.value,
        name=body.name,
        token_hash=token_digest(token),
        path_map=_path_map(body.path_map),
        received=0,
        applied=0,
        duplicates=0,
        unmatched=0,
    )
    session.add(source)
    await session.flush()
    await session.refresh(source)
    return SourceWithUrl(
        **_read(source, None).model_dump(),
        webhook_url=webhook_url(settings, source.id, token),
        token=token,
    )


async def list_sources(session: AsyncSession) -> list[SourceRead]:
    sources = await repo.list_sources(session)
    backlog = await repo.inbox_backlog(session, [source.id for source in sources])
    return [_read(source, backlog.get(source.id)) for source in sources]


async def update_source(
    session: AsyncSession, settings: Settings, source_id: uuid.UUID, body: SourceUpdate
) -> SourceUpdated:
    """Rename, change the path map (waiting events are matched again with it), or issue a new
    token (the old URL stops working; the new one is in this answer only)."""
    source = await _one(session, source_id, lock=True)
    if body.name is not None:
        source.name = body.name
    if body.path_map is not None:
        new_map = _path_map(body.path_map)
        if new_map != source.path_map:
            source.path_map = new_map
            await tasks.schedule_rematch(session)
    token = None
    if body.rotate_token:
        token = new_token(nbytes=TOKEN_BYTES)
        source.token_hash = token_digest(token)
    await session.flush()
    await session.refresh(source)
    backlog = await repo.inbox_backlog(session, [source.id])
    return SourceUpdated(
        **_read(source, backlog.get(source.id)).model_dump(),
        webhook_url=webhook_url(settings, source.id, token) if token else None,
        token=token,
    )


async def delete_source(session: AsyncSession, source_id: uuid.UUID) -> None:
    """The source goes with its inbox, users and waiting events; plays it brought stay."""
    source = await _one(session, source_id)
    await session.delete(source)
    await session.flush()
