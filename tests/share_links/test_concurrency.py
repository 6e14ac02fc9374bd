"""The view limit holds under real concurrency (separate connections, committed data)."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx2 as httpx
from sqlalchemy import text

from revenge.core.db import Database, set_database


async def test_hundred_simultaneous_opens_of_a_ten_view_link(
    app, committed_db, make_user, media, share
):
    movie, _ = await media.movie()
    _, headers = await make_user()
    created = await share(headers, "movie", movie.id, max_views=10)
    url = f"/api/v1/share/{created['token']}"
    # A production-sized pool (PostgreSQL allows ~100 clients in all): 40 requests hit the
    # database at once, the rest wait for a connection, as they would in a real server.
    pooled = Database(committed_db.url, pool_size=20, max_overflow=20, pool_timeout=60)
    set_database(pooled)

    async def first_open() -> int | str:
        # Every request is a new viewer with its own (empty) cookie jar.
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as viewer:
            response = await viewer.get(url)
        return response.status_code if response.status_code == 200 else response.json()["code"]

    try:
        results = Counter(await asyncio.gather(*(first_open() for _ in range(100))))
    finally:
        set_database(committed_db)
        await pooled.dispose()
    assert results == {200: 10, "share_link.used_up": 90}
    async with committed_db.transaction() as s:
        views = (
            await s.execute(
                text("SELECT current_views FROM shared.media_grants WHERE id = :id"),
                {"id": created["id"]},
            )
        ).scalar_one()
        opened = (
            await s.execute(
                text(
                    "SELECT count(*) FROM shared.media_grant_access_log WHERE grant_id = :id AND outcome = 'opened'"
                ),
                {"id": created["id"]},
            )
        ).scalar_one()
    assert views == 10 and opened == 10
