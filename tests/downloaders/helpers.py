"""Requests made and decided through the API, and what the downloaders feature recorded."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from revenge.core.db import session_scope
from revenge.downloaders.models import DownloadHandoff
from revenge.notifications.models import Notification


async def ask(client: Any, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/requests", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def ask_movie(client: Any, headers: dict[str, str], tmdb_id: int = 949) -> dict[str, Any]:
    return await ask(
        client, headers, media_type="movie", external_id=str(tmdb_id), title="Heat", year=1995
    )


async def approve(client: Any, admin: dict[str, str], request_id: str) -> dict[str, Any]:
    response = await client.post(f"/api/v1/admin/requests/{request_id}/approve", headers=admin)
    assert response.status_code == 200, response.text
    return response.json()


async def read(client: Any, headers: dict[str, str], request_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/v1/requests/{request_id}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def handoff(request_id: str) -> DownloadHandoff:
    async with session_scope() as s:
        return (
            await s.execute(
                select(DownloadHandoff).where(DownloadHandoff.request_id == uuid.UUID(request_id))
            )
        ).scalar_one()


async def notifications_of(user_id: uuid.UUID, kind: str) -> list[Notification]:
    async with session_scope() as s:
        rows = await s.execute(
            select(Notification).where(Notification.user_id == user_id, Notification.type == kind)
        )
        return list(rows.scalars())
