"""Live inbox over Server-Sent Events, fed by PostgreSQL LISTEN/NOTIFY so a notification
stored by any process (API or worker) reaches the stream once its transaction commits."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator

import psycopg

from revenge.core.db import get_database, to_libpq_url
from revenge.notifications import repository
from revenge.notifications.fanout import PG_CHANNEL
from revenge.notifications.schemas import NotificationRead

HEARTBEAT_SECONDS = 15.0


async def notification_events(user_id: uuid.UUID) -> AsyncIterator[str]:
    """SSE frames for ``user_id``'s new notifications (and a comment as heartbeat).

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
                frame = await _frame(user_id, uuid.UUID(notification_id))
                if frame:
                    yield frame
            if not got_any:
                yield ": keep-alive\n\n"
            notifies = conn.notifies(timeout=HEARTBEAT_SECONDS)
    finally:
        await asyncio.shield(conn.close())


async def _frame(user_id: uuid.UUID, notification_id: uuid.UUID) -> str | None:
    async with get_database().transaction() as session:
        notification = await repository.get_owned(session, user_id, notification_id)
        if notification is None:
            return None
        body = NotificationRead.model_validate(notification).model_dump(mode="json")
    return f"id: {notification_id}\nevent: notification\ndata: {json.dumps(body)}\n\n"
