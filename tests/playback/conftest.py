"""Playback fixtures: library items whose files really exist on disk (tmp_path), and helpers
to report plays as the web player does."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from revenge.core.db import session_scope
from revenge.library.models import MediaFile
from tests.share_links.conftest import Media

T0 = datetime(2026, 11, 1, 20, 0, tzinfo=UTC)


class PlaybackMedia(Media):
    """Share links' ``Media`` (real files under a temp folder) plus the probe's facts."""

    async def describe_file(self, file_id: uuid.UUID, **facts: Any) -> None:
        async with session_scope() as s:
            await s.execute(update(MediaFile).where(MediaFile.id == file_id).values(**facts))


@pytest.fixture
def media(tmp_path: Path) -> PlaybackMedia:
    return PlaybackMedia(tmp_path)


async def report(
    client: Any,
    headers: dict[str, str],
    media_type: str,
    media_id: uuid.UUID,
    event: str,
    minutes: float,
    position_ms: int,
) -> dict[str, Any]:
    """One player event at ``T0 + minutes``."""
    response = await client.post(
        "/api/v1/playback/events",
        json={
            "media_type": media_type,
            "media_id": str(media_id),
            "event": event,
            "position_ms": position_ms,
            "occurred_at": (T0 + timedelta(minutes=minutes)).isoformat(),
            "client": "Revenge Web",
        },
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


async def watch(
    client: Any,
    headers: dict[str, str],
    media_type: str,
    media_id: uuid.UUID,
    *,
    start_minutes: float,
    stop_at_ms: int,
    from_ms: int = 0,
) -> dict[str, Any]:
    """Play from ``from_ms`` to ``stop_at_ms`` without pausing, starting at ``T0 +
    start_minutes``; returns the stopped session."""
    await report(client, headers, media_type, media_id, "start", start_minutes, from_ms)
    minutes = start_minutes + (stop_at_ms - from_ms) / 60_000
    return await report(client, headers, media_type, media_id, "stop", minutes, stop_at_ms)
