"""Two drains racing over the same deliveries (two workers): each is sent exactly once."""

from __future__ import annotations

import asyncio

from revenge.core.config import get_settings
from revenge.core.db import session_scope
from revenge.notifications import delivery, service
from revenge.notifications.channels.webhook import new_secret, seal_secret
from revenge.notifications.models import NotificationChannel
from revenge.notifications.types import ChannelKind


async def test_concurrent_drains_send_each_delivery_once(
    committed_db, make_user, receiver, settings
):
    fake, url = receiver
    secret = new_secret()
    fake.secrets["/hooks/c"] = secret
    users = [await make_user() for _ in range(6)]
    async with session_scope() as s:
        for user, _ in users:
            s.add(
                NotificationChannel(
                    user_id=user.id,
                    channel_type="webhook",
                    name="c",
                    config={
                        "url": f"{url}/hooks/c",
                        "secret_encrypted": seal_secret(settings, secret),
                    },
                )
            )
    async with session_scope() as s:
        for title in ("A", "B", "C", "D", "E"):
            await service.notify_many(
                s,
                [u.id for u, _ in users],
                "request_available",
                {"title": title},
                settings=get_settings(),
            )

    results = await asyncio.gather(
        *(
            delivery.deliver_pending(
                ChannelKind.webhook, get_settings(), batch_size=4, concurrency=2
            )
            for _ in range(3)
        )
    )
    assert sum(r.sent for r in results) == 30
    ids = [r["id"] for r in fake.received]
    assert len(ids) == 30 and len(set(ids)) == 30 and fake.rejected == []
