"""The live inbox (SSE over LISTEN/NOTIFY): only the owner hears about a notification, and
only after its transaction committed. Real server, committed data."""

from __future__ import annotations

import asyncio
import json

import httpx2 as httpx

from revenge.core.config import get_settings
from revenge.core.db import session_scope
from revenge.notifications import service
from tests.helpers import serve_asgi

STREAM = "/api/v1/users/me/notifications/stream"


async def _next_event(lines) -> dict:
    event: dict = {}
    async for line in lines:
        if line.startswith("event: "):
            event["event"] = line[7:]
        elif line.startswith("data: "):
            event["data"] = json.loads(line[6:])
        elif line == "" and "data" in event:
            return event
    raise AssertionError("stream ended")


async def test_stream_delivers_only_the_owners_notifications(app, committed_db, make_user):
    alice, alice_headers = await make_user(locale="fr")
    bob, _ = await make_user()
    async with (
        serve_asgi(app) as base,
        httpx.AsyncClient(base_url=base, timeout=10) as http,
    ):
        assert (await http.get(STREAM)).status_code == 401
        async with http.stream("GET", STREAM, headers=alice_headers) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            lines = response.aiter_lines()
            assert await anext(lines) == ": connected"

            async with session_scope() as s:
                await service.notify(
                    s,
                    bob.id,
                    "system",
                    {"subject": "bob", "body": "secret"},
                    settings=get_settings(),
                )
            # Rolled back: never announced.
            try:
                async with session_scope() as s:
                    await service.notify(
                        s,
                        alice.id,
                        "system",
                        {"subject": "no", "body": "x"},
                        settings=get_settings(),
                    )
                    raise RuntimeError("rollback")
            except RuntimeError:
                pass
            async with session_scope() as s:
                mine = await service.notify(
                    s, alice.id, "request_available", {"title": "Dune"}, settings=get_settings()
                )

            event = await asyncio.wait_for(_next_event(lines), timeout=5)
            assert event["event"] == "notification"
            assert event["data"]["id"] == str(mine)
            assert event["data"]["title"] == "Disponible : Dune"


async def test_stream_renders_in_the_language_the_user_reads_now(app, committed_db, make_user):
    from sqlalchemy import update

    from revenge.notifications.models import Notification
    from revenge.users.models import User

    alice, headers = await make_user(locale="en")
    async with (
        serve_asgi(app) as base,
        httpx.AsyncClient(base_url=base, timeout=10) as http,
        http.stream("GET", STREAM, headers=headers) as response,
    ):
        lines = response.aiter_lines()
        assert await anext(lines) == ": connected"
        # Stored while she read English; she switches to German before it is shown.
        async with session_scope() as s:
            created = await service.notify(
                s, alice.id, "request_available", {"title": "Dune"}, settings=get_settings()
            )
            await s.execute(update(User).where(User.id == alice.id).values(locale="de"))
        event = await asyncio.wait_for(_next_event(lines), timeout=5)
        assert event["data"]["id"] == str(created)
        assert event["data"]["title"] == "Jetzt verfügbar: Dune"
        assert event["data"]["link"] == "/requests"
    async with session_scope() as s:
        stored = await s.get(Notification, created)
        assert stored is not None and stored.title == "Now available: Dune"
