"""Fixtures for the webhook door: an admin, sources, users, a movable clock, and the library
scan helpers (real files, real scans) for items that appear after their events."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from tests.library.conftest import create_and_scan, media, tree  # noqa: F401  (fixtures)

API = "/api/v1"


@pytest.fixture
async def admin(make_user: Any) -> dict[str, str]:
    _, headers = await make_user(is_admin=True)
    return headers


@pytest.fixture
def move_clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    """Set the application's clock (Plex dates its events when they arrive)."""
    from revenge.core import clock

    def move(when: datetime) -> None:
        monkeypatch.setattr(clock, "utcnow", lambda: when)

    return move


async def add_source(
    client: Any, headers: dict[str, str], kind: str, name: str | None = None, **extra: Any
) -> dict[str, Any]:
    created = await client.post(
        f"{API}/admin/sources",
        json={"kind": kind, "name": name or f"{kind} at home", **extra},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    return dict(created.json())


async def source_state(client: Any, headers: dict[str, str], source_id: str) -> dict[str, Any]:
    found = await client.get(f"{API}/admin/sources/{source_id}", headers=headers)
    assert found.status_code == 200, found.text
    return dict(found.json())


async def history(client: Any, headers: dict[str, str]) -> list[dict[str, Any]]:
    found = await client.get(f"{API}/users/me/history", headers=headers)
    assert found.status_code == 200, found.text
    return list(found.json()["items"])


async def unmatched(client: Any, headers: dict[str, str]) -> list[dict[str, Any]]:
    found = await client.get(f"{API}/admin/sources/unmatched", headers=headers)
    assert found.status_code == 200, found.text
    return list(found.json()["items"])


__all__ = ["create_and_scan"]
