"""Live inbox over Server-Sent Events, fed by PostgreSQL LISTEN/NOTIFY so a notification
stored by any process (API or worker) reaches the stream once its transaction commits."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator

import psycopg

from revenge.core.db import get_database, to_libpq_url
from revenge.core.i18n import normalize_locale
from revenge.notifications import repository
from revenge.notifications.fanout import PG_CHANNEL
from revenge.notifications.inbox import present
from revenge.notifications.schemas import NotificationRead
from revenge.users import lookup as user_lookup

HEARTBEAT_SECONDS = 15.0


async def notification_events(user_id: uuid.UUID, fallback_locale: str) -> AsyncIterator[str]:
    """SSE frames for ``user_id``'s new notifications (and a comment as heartbeat), each in
    the language the user reads at that moment (``fallback_locale`` if they chose none).

    Holds one LISTEN connection in autocommit mode (no transaction stays open); each
    notification is read in its own short transaction and only if the owner matches.
    """
    conn = await psycopg.AsyncConnection.connect(to_libpq_url(get_database().url), autocommit=True)
    try:
        await conn.execute(f"LISTEN {PG_CHANNEL}")
        yield ": connected\n\n"
        notifies = conn.notifies(timeout=HEARTBEAT_SECONDS)
        while True:
            got_any = False
            async for notify in notifies:
                got_any = True
                notification_id, _, owner = notify.payload.partition(":")
                if owner != str(user_id):
                    continue
                frame = await _frame(user_id, uuid.UUID(notification_id), fallback_locale)
                if frame:
                    yield frame
            if not got_any:
                yield ": keep-alive\n\n"
            notifies = conn.notifies(timeout=HEARTBEAT_SECONDS)
    finally:
        await asyncio.shield(conn.close())


async def _frame(
    user_id: uuid.UUID, notification_id: uuid.UUID, fallback_locale: str
) -> str | None:
    async with get_database().transaction() as session:
        notification = await repository.get_owned(session, user_id, notification_id)
        if notification is None:
            return None
        user = (await user_lookup.users_by_id(session, [user_id])).get(user_id)
        locale = normalize_locale(user.locale if user else None) or fallback_locale
        (shown,) = await present(session, [notification], locale)
        body = NotificationRead.model_validate(shown).model_dump(mode="json")
    return f"id: {notification_id}\nevent: notification\ndata: {json.dumps(body)}\n\n"
