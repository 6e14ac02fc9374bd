"""Fake Radarr, Sonarr and Lidarr servers, and downloaders set up through the API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from pydantic import SecretStr

from revenge.core.config import Settings
from tests.fakes import tmdb as fake_tmdb
from tests.fakes.servarr import (
    API_KEY,
    FakeLidarr,
    FakeRadarr,
    FakeServarr,
    FakeSonarr,
    build_lidarr,
    build_radarr,
    build_sonarr,
)
from tests.helpers import free_port, serve_asgi

HEAT_TMDB = 949
DARK_TMDB, DARK_TVDB = 70523, 334824
OK_COMPUTER_RG = "b1392450-e666-3926-a536-22c65f834433"
RADIOHEAD = "a74b1b7f-71a5-4011-9441-d0b5e4122711"


@pytest.fixture(autouse=True)
def no_metadata_providers(test_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Requests describe themselves (no TMDB/MusicBrainz is asked unless a test adds a fake)."""
    monkeypatch.setattr(test_settings.metadata, "tmdb_api_key", None)
    monkeypatch.setattr(test_settings.metadata, "musicbrainz_api_url", "")
    return test_settings


@pytest.fixture
async def tmdb(
    no_metadata_providers: Settings, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[fake_tmdb.FakeTmdb]:
    """TMDB (the requests' metadata provider): it gives a series its TVDB id."""
    state = fake_tmdb.FakeTmdb()
    async with serve_asgi(fake_tmdb.build_app(state)) as url:
        monkeypatch.setattr(no_metadata_providers.metadata, "tmdb_api_url", f"{url}/3")
        monkeypatch.setattr(
            no_metadata_providers.metadata, "tmdb_api_key", SecretStr(fake_tmdb.API_KEY)
        )
        yield state


@dataclass
class Served:
    """A fake downloader and the address it answers at (``port`` stays when it is stopped)."""

    fake: FakeServarr
    url: str
    port: int
    build: Callable[[Any], Any]

    _stack: AsyncExitStack = field(default_factory=AsyncExitStack)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        async with serve_asgi(self.build(self.fake), port=self.port):
            yield

    @asynccontextmanager
    async def fake_stopped(self) -> AsyncIterator[None]:
        """The downloader is down inside the block (nothing listens on its port), up after."""
        await self._stack.aclose()
        try:
            yield
        finally:
            self._stack = AsyncExitStack()
            await self._stack.enter_async_context(self.running())


@asynccontextmanager
async def _serve(fake: FakeServarr, build: Callable[[Any], Any]) -> AsyncIterator[Served]:
    port = free_port()
    served = Served(fake, f"http://127.0.0.1:{port}", port, build)
    served._stack = AsyncExitStack()
    await served._stack.enter_async_context(served.running())
    try:
        yield served
    finally:
        await served._stack.aclose()


@pytest.fixture
async def radarr() -> AsyncIterator[Served]:
    fake = FakeRadarr()
    fake.know(HEAT_TMDB, "Heat", 1995)
    async with _serve(fake, build_radarr) as served:
        yield served


@pytest.fixture
async def sonarr() -> AsyncIterator[Served]:
    fake = FakeSonarr()
    fake.know(DARK_TVDB, "Dark", seasons=3, tmdb_id=DARK_TMDB)
    async with _serve(fake, build_sonarr) as served:
        yield served


@pytest.fixture
async def lidarr() -> AsyncIterator[Served]:
    fake = FakeLidarr()
    fake.know_artist(RADIOHEAD, "Radiohead")
    fake.know_album(OK_COMPUTER_RG, "OK Computer", RADIOHEAD)
    async with _serve(fake, build_lidarr) as served:
        yield served


@pytest.fixture
async def admin(make_user: Any) -> dict[str, str]:
    _, headers = await make_user(is_admin=True, locale="en")
    return headers


ROOTS = {"radarr": "/movies", "sonarr": "/tv", "lidarr": "/music"}


async def add_downloader(
    client: Any, headers: dict[str, str], kind: str, url: str, **fields: Any
) -> dict[str, Any]:
    """A downloader set up as an admin would, with the fake's profile and root folder."""
    body: dict[str, Any] = {
        "kind": kind,
        "name": fields.pop("name", f"My {kind.title()}"),
        "base_url": url,
        "api_key": fields.pop("api_key", API_KEY),
        "quality_profile_id": 4,
        "root_folder": ROOTS[kind],
        "tags": [1],
        **fields,
    }
    if kind == "lidarr":
        body.setdefault("metadata_profile_id", 1)
    response = await client.post("/api/v1/admin/downloaders", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def clock_at(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    """Move the application's clock (retries wait in next_attempt_at)."""
    from revenge.core import clock

    def move(when: datetime) -> None:
        monkeypatch.setattr(clock, "utcnow", lambda: when)

    return move


def later(seconds: float) -> datetime:
    from revenge.core import clock

    return clock.utcnow() + timedelta(seconds=seconds)
