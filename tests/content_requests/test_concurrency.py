"""Simultaneous creates for the same thing, on separate connections, leave one request."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from revenge.content_requests.models import ContentRequest, ContentRequestInterest
from revenge.core.db import session_scope
from tests.content_requests.helpers import ask

USERS = 8


async def test_concurrent_duplicate_creates_produce_one_row(committed_client, make_user):
    users = [await make_user() for _ in range(USERS)]
    body = {"media_type": "movie", "external_id": "949", "title": "Heat"}
    responses = await asyncio.gather(
        *(ask(committed_client, headers, **body) for _, headers in users)
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * (USERS - 1) + [201], [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    async with session_scope() as s:
        rows = (await s.execute(select(func.count()).select_from(ContentRequest))).scalar_one()
        owner = (await s.execute(select(ContentRequest.user_id))).scalar_one()
        interested = set((await s.execute(select(ContentRequestInterest.user_id))).scalars().all())
    assert rows == 1
    # Everybody but the winner is a "me too", exactly once.
    assert interested == {user.id for user, _ in users} - {owner}


async def test_one_user_racing_themselves_cannot_pass_the_quota(
    committed_client, make_user, test_settings, monkeypatch
):
    monkeypatch.setattr(test_settings.requests, "quota_movie", 2)
    _, headers = await make_user()
    responses = await asyncio.gather(
        *(
            ask(committed_client, headers, media_type="movie", external_id=str(n), title=f"F{n}")
            for n in range(1, 6)
        )
    )
    assert sorted(r.status_code for r in responses) == [201, 201, 429, 429, 429]
