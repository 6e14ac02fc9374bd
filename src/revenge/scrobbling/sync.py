"""Importing a provider's history, watchlist and ratings: paged and resumable.

Each page is stored in its own transaction together with the cursor of the next page, so a
crash or restart continues where it stopped; progress is on the connection row.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core import clock
from revenge.core.config import Settings
from revenge.core.db import session_scope
from revenge.core.http import PermanentError, RetryableError
from revenge.scrobbling import repository as repo
from revenge.scrobbling.connections import (
    fresh_credentials,
    mark_needs_reconnect,
    refresh_credentials,
)
from revenge.scrobbling.models import ScrobbleHistoryImport, ScrobbleRating, ScrobbleWatchlistItem
from revenge.scrobbling.providers.base import AuthExpired, ImportedItem, ReconnectRequired
from revenge.scrobbling.providers.registry import get_provider


async def _store(
    session: AsyncSession, user_id: uuid.UUID, provider: str, kind: str, items: list[ImportedItem]
) -> int:
    if not items:
        return 0
    rows: list[dict[str, Any]] = []
    for item in items:
        row: dict[str, Any] = {
            "id": uuid.uuid4(),
            "user_id": user_id,
            "provider": provider,
            "external_id": item.external_id[:200],
            "media_type": item.media_type,
            "title": item.title,
            "artist": item.artist,
            "year": item.year,
            "ids": item.ids,
        }
        if kind == "history":
            if item.at is None:
                continue
            row.update(album=item.album, watched_at=item.at)
        elif kind == "watchlist":
            row.update(listed_at=item.at, rank=item.rank)
        else:
            if item.rating is None:
                continue
            row.update(rated_at=item.at, rating=item.rating)
        rows.append(row)
    model: Any = {
        "history": ScrobbleHistoryImport,
        "watchlist": ScrobbleWatchlistItem,
        "ratings": ScrobbleRating,
    }[kind]
    # Re-importing the same entry changes nothing (unique per user, provider, external id).
    result = await session.execute(
        insert(model)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["user_id", "provider", "external_id"])
        .returning(model.id)
    )
    return len(result.all())


async def sync_provider(
    user_id: uuid.UUID, provider_name: str, settings: Settings, *, max_pages: int | None = None
) -> str:
    """Import page after page until done; returns the final sync status.

    A retryable provider error is raised (the job retries and resumes from the cursor).
    """
    provider = get_provider(provider_name, settings)
    pages = 0
    async with provider.client() as http:
        while max_pages is None or pages < max_pages:
            async with session_scope() as session:
                connection = await repo.get_connection(
                    session, user_id, provider.name.value, lock=True
                )
                if connection is None or connection.sync_status not in ("queued", "running"):
                    return connection.sync_status if connection else "gone"
                if connection.status != "connected":
                    connection.sync_status, connection.sync_error = (
                        "failed",
                        connection.status_reason,
                    )
                    return "failed"
                now = clock.utcnow()
                if connection.rate_limited_until and connection.rate_limited_until > now:
                    # The provider asked us to wait (a 429 on the queue): the job retries
                    # once the back-off is over, resuming from the cursor.
                    raise RetryableError(
                        f"{provider.label} asked us to wait",
                        retry_after=(connection.rate_limited_until - now).total_seconds(),
                    )
                connection.sync_status = "running"
                since = connection.last_sync_at
                try:
                    credentials = await fresh_credentials(
                        session, connection, provider, settings, http
                    )
                    try:
                        page = await provider.sync_page(
                            http, credentials, connection.sync_cursor, since
                        )
                    except AuthExpired:
                        credentials = await refresh_credentials(
                            session, connection, provider, settings, http
                        )
                        page = await provider.sync_page(
                            http, credentials, connection.sync_cursor, since
                        )
                except ReconnectRequired as exc:
                    await mark_needs_reconnect(session, connection, exc.reason, settings)
                    connection.sync_status, connection.sync_error = "failed", exc.reason
                    return "failed"
                except (PermanentError, AuthExpired) as exc:
                    connection.sync_status, connection.sync_error = "failed", exc.reason
                    return "failed"
                except RetryableError as exc:
                    connection.sync_error = exc.reason
                    raise
                added = 0
                for kind in ("history", "watchlist", "ratings"):
                    added += await _store(
                        session, user_id, provider.name.value, kind, getattr(page, kind)
                    )
                connection.sync_items += added
                connection.sync_pages_done += 1
                connection.sync_cursor = page.next_cursor
                pages += 1
                if page.next_cursor is None:
                    connection.sync_status = "done"
                    connection.last_sync_at = clock.utcnow()
                    return "done"
    return "running"
