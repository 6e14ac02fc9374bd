"""Scrobbling use cases that ask a provider: recommendations, love, history sync and what it
brought in.

The other use cases have their own modules: ``connections.py`` (credentials, status,
settings, disconnect), ``authorisation.py`` (connect, callback, device flow), ``queue.py``
(planning plays into the queue, the queue's views) and, on the job side, ``delivery.py``
(draining the queue) and ``sync.py`` (importing pages). Services never commit; the request or
job that calls them owns the transaction.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core.config import Settings
from revenge.core.errors import Conflict, NotFound, Unprocessable
from revenge.core.http import ProviderError
from revenge.core.media import MediaType
from revenge.library.snapshots import ItemSnapshot, scrobble_snapshot
from revenge.scrobbling import repository as repo
from revenge.scrobbling import tasks
from revenge.scrobbling.connections import (
    credentials_of,
    fresh_credentials,
    mark_needs_reconnect,
    provider_failure,
    refuse_while_backing_off,
    require_connection,
)
from revenge.scrobbling.providers.base import ProviderName, ReconnectRequired
from revenge.scrobbling.providers.registry import get_provider
from revenge.scrobbling.schemas import (
    ImportedRead,
    RecommendationRead,
    RecommendationsRead,
    SyncStarted,
)


async def recommendations(
    session: AsyncSession,
    user_id: uuid.UUID,
    provider_name: ProviderName,
    settings: Settings,
    *,
    limit: int,
    seed_track_id: uuid.UUID | None,
) -> RecommendationsRead:
    """What the provider suggests, seeded by a track (or the last one sent to it)."""
    provider = get_provider(provider_name, settings)
    connection = await require_connection(session, user_id, provider)
    if connection.status != "connected":
        raise Conflict("scrobbling.needs_reconnect", provider=provider.label)
    seed: ItemSnapshot | None = None
    if seed_track_id is not None:
        seed = await scrobble_snapshot(session, MediaType.track, seed_track_id)
        if seed is None:
            raise NotFound("library.item_not_found")
    else:
        last = await repo.last_sent(session, user_id, provider.name.value)
        seed = ItemSnapshot.from_json(last.payload) if last is not None else None
    refuse_while_backing_off(connection, provider)
    try:
        async with provider.client() as http:
            credentials = await fresh_credentials(session, connection, provider, settings, http)
            items = await provider.recommendations(http, credentials, seed, limit)
    except ReconnectRequired as exc:
        await mark_needs_reconnect(session, connection, exc.reason, settings)
        raise Conflict("scrobbling.needs_reconnect", provider=provider.label) from exc
    except ProviderError as exc:
        raise provider_failure(provider, exc) from exc
    return RecommendationsRead(
        provider=provider.name.value,
        items=[RecommendationRead(**item.__dict__) for item in items],
    )


async def love_track(
    session: AsyncSession,
    user_id: uuid.UUID,
    provider_name: ProviderName,
    track_id: uuid.UUID,
    loved: bool,
    settings: Settings,
) -> None:
    """Love (or unlove) a track at the provider."""
    provider = get_provider(provider_name, settings)
    if not provider.supports_love:
        raise Unprocessable("scrobbling.unsupported", provider=provider.label)
    connection = await require_connection(session, user_id, provider)
    track = await scrobble_snapshot(session, MediaType.track, track_id)
    if track is None:
        raise NotFound("library.item_not_found")
    refuse_while_backing_off(connection, provider)
    try:
        async with provider.client() as http:
            await provider.love(http, credentials_of(connection, settings), track, loved)
    except ReconnectRequired as exc:
        await mark_needs_reconnect(session, connection, exc.reason, settings)
        raise Conflict("scrobbling.needs_reconnect", provider=provider.label) from exc
    except ProviderError as exc:
        raise provider_failure(provider, exc) from exc


async def request_sync(
    session: AsyncSession, user_id: uuid.UUID, provider_name: ProviderName, settings: Settings
) -> SyncStarted:
    """Queue a sync and schedule its job; an unfinished one keeps its cursor and resumes."""
    provider = get_provider(provider_name, settings)
    connection = await require_connection(session, user_id, provider, lock=True)
    if connection.status != "connected":
        raise Conflict("scrobbling.needs_reconnect", provider=provider.label)
    if connection.sync_status not in ("running", "queued"):
        connection.sync_cursor = None
        connection.sync_items = 0
        connection.sync_pages_done = 0
    connection.sync_status = "queued"
    connection.sync_error = None
    await session.flush()
    await tasks.schedule_sync(session, user_id, provider.name)
    return SyncStarted(provider=provider.name.value, sync_status=connection.sync_status)


async def list_imported(
    session: AsyncSession,
    user_id: uuid.UUID,
    provider_name: ProviderName,
    kind: str,
    limit: int,
    offset: int,
) -> tuple[list[ImportedRead], int]:
    """What a sync brought in: history, watchlist or ratings, newest first."""
    rows, total = await repo.list_imported(
        session, user_id, provider_name.value, kind, limit, offset
    )
    result = [
        ImportedRead.model_validate(row).model_copy(
            update={"at": at, "rating": getattr(row, "rating", None)}
        )
        for row, at in rows
    ]
    return result, total
