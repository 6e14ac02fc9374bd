"""Provider fakes on 127.0.0.1 with the settings pointed at them, and play helpers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from pydantic import SecretStr

from revenge.scrobbling import queue as scrobbling_queue
from tests.fakes.lastfm import FakeLastfm
from tests.fakes.listenbrainz import FakeListenBrainz
from tests.fakes.trakt import FakeTrakt
from tests.helpers import serve_asgi

API = "/api/v1/users/me/scrobbling"


@pytest.fixture
async def trakt(test_settings, monkeypatch) -> AsyncIterator[FakeTrakt]:
    fake = FakeTrakt(min_write_interval=0.05)
    async with serve_asgi(fake.app()) as url:
        monkeypatch.setattr(test_settings.trakt, "api_url", url)
        monkeypatch.setattr(test_settings.trakt, "auth_url", url)
        monkeypatch.setattr(test_settings.trakt, "client_id", fake.client_id)
        monkeypatch.setattr(test_settings.trakt, "client_secret", SecretStr(fake.client_secret))
        monkeypatch.setattr(test_settings.trakt, "write_interval_seconds", 0.06)
        yield fake


@pytest.fixture
async def lastfm(test_settings, monkeypatch) -> AsyncIterator[FakeLastfm]:
    fake = FakeLastfm()
    async with serve_asgi(fake.app()) as url:
        monkeypatch.setattr(test_settings.lastfm, "api_url", f"{url}/2.0/")
        monkeypatch.setattr(test_settings.lastfm, "auth_url", f"{url}/api/auth/")
        monkeypatch.setattr(test_settings.lastfm, "api_key", fake.api_key)
        monkeypatch.setattr(test_settings.lastfm, "api_secret", SecretStr(fake.secret))
        yield fake


@pytest.fixture
async def listenbrainz(test_settings, monkeypatch) -> AsyncIterator[FakeListenBrainz]:
    fake = FakeListenBrainz()
    async with serve_asgi(fake.app()) as url:
        monkeypatch.setattr(test_settings.listenbrainz, "api_url", url)
        yield fake


@pytest.fixture
def clock_at(monkeypatch):
    """Move the application's clock (retries wait in next_attempt_at)."""
    from revenge.core import clock

    def move(when: datetime) -> None:
        monkeypatch.setattr(clock, "utcnow", lambda: when)

    return move


async def connect_lastfm(client, headers, fake: FakeLastfm, username: str) -> dict[str, Any]:
    started = await client.post(f"{API}/connect/lastfm", headers=headers)
    assert started.status_code == 200, started.text
    query = parse_qs(urlparse(started.json()["authorize_url"]).query)
    assert query["api_key"] == [fake.api_key]
    token = query["token"][0]
    fake.approve(token, username)
    done = await client.get(f"{API}/callback/lastfm", params={"token": token}, headers=headers)
    assert done.status_code == 200, done.text
    return done.json()


async def connect_listenbrainz(
    client, headers, fake: FakeListenBrainz, username: str
) -> dict[str, Any]:
    token = fake.add_user(username)
    response = await client.post(
        f"{API}/connect/listenbrainz", json={"token": token}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response.json()


async def connect_trakt(client, headers, fake: FakeTrakt, username: str) -> dict[str, Any]:
    started = await client.post(f"{API}/connect/trakt", json={"flow": "code"}, headers=headers)
    assert started.status_code == 200, started.text
    back = fake.authorize(started.json()["authorize_url"], username)
    done = await client.get(f"{API}/callback/trakt", params=back, headers=headers)
    assert done.status_code == 200, done.text
    return done.json()


class Player:
    """Sends playback events like a client would, on a fake timeline."""

    def __init__(self, client, headers, start: datetime | None = None) -> None:
        self.client, self.headers = client, headers
        self.now = start or datetime.now(UTC) - timedelta(hours=3)

    async def event(self, media, media_type: str, event: str, position_ms: int, session_id=None):
        body = {
            "media_type": media_type,
            "media_id": str(media.id),
            "event": event,
            "position_ms": position_ms,
            "occurred_at": self.now.isoformat(),
        }
        if session_id:
            body["session_id"] = session_id
        response = await self.client.post(
            "/api/v1/playback/events", json=body, headers=self.headers
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def play(self, media, media_type: str, played_ms: int, *, gap_ms: int = 5000):
        """Start, play ``played_ms`` and stop; returns (session json, start time)."""
        started_at = self.now
        session = await self.event(media, media_type, "start", 0)
        self.now += timedelta(milliseconds=played_ms)
        stopped = await self.event(media, media_type, "stop", played_ms, session["session_id"])
        self.now += timedelta(milliseconds=gap_ms)
        return stopped, started_at


async def queue_tracks(
    user_id, provider: str, count: int, *, start: datetime | None = None, artist: str = "Portishead"
) -> list[int]:
    """Queue ``count`` finished track plays for one provider (as the playback jobs would);
    returns their play-start timestamps in order."""
    import uuid

    from revenge.core import clock
    from revenge.core.db import session_scope
    from revenge.library.snapshots import ItemSnapshot
    from revenge.scrobbling import repository

    start = start or datetime.now(UTC) - timedelta(hours=6)
    rows, stamps = [], []
    for i in range(count):
        media_id = uuid.uuid4()
        at = start + timedelta(seconds=100 * i)
        snapshot = ItemSnapshot(
            media_type="track",
            media_id=str(media_id),
            title=f"Song {i}",
            artist=artist,
            album="Dummy",
            duration_ms=200_000,
        )
        rows.append(
            {
                "id": uuid.uuid4(),
                "user_id": user_id,
                "provider": provider,
                "media_type": "track",
                "media_id": media_id,
                "action": "scrobble",
                "timestamp": at,
                "play_started_at": at,
                "idempotency_key": scrobbling_queue.idempotency_key(
                    "track", media_id, int(at.timestamp() * 1000), "scrobble", None
                ),
                "payload": snapshot.to_json(),
                "status": "pending",
                "next_attempt_at": clock.utcnow(),
            }
        )
        stamps.append(int(at.timestamp()))
    async with session_scope() as session:
        await repository.insert_queue_items(session, rows)
    return stamps
