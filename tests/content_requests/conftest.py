from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr

from revenge.core.config import Settings
from tests.fakes.musicbrainz import FakeMusicBrainz
from tests.fakes.musicbrainz import build_app as build_musicbrainz
from tests.fakes.tmdb import API_KEY, FakeTmdb
from tests.fakes.tmdb import build_app as build_tmdb
from tests.helpers import serve_asgi

MB_INTERVAL = 0.05


@pytest.fixture(autouse=True)
def no_metadata_providers(test_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Without a fake, no provider is configured (and nothing reaches the real services)."""
    monkeypatch.setattr(test_settings.metadata, "tmdb_api_key", None)
    monkeypatch.setattr(test_settings.metadata, "musicbrainz_api_url", "")
    return test_settings


@pytest.fixture
async def tmdb(
    no_metadata_providers: Settings, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[FakeTmdb]:
    state = FakeTmdb()
    async with serve_asgi(build_tmdb(state)) as url:
        state.base_url = url
        monkeypatch.setattr(no_metadata_providers.metadata, "tmdb_api_url", f"{url}/3")
        monkeypatch.setattr(no_metadata_providers.metadata, "tmdb_api_key", SecretStr(API_KEY))
        yield state


@pytest.fixture
async def musicbrainz(
    no_metadata_providers: Settings, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[FakeMusicBrainz]:
    state = FakeMusicBrainz(min_interval=MB_INTERVAL)
    async with serve_asgi(build_musicbrainz(state)) as url:
        monkeypatch.setattr(no_metadata_providers.metadata, "musicbrainz_api_url", f"{url}/ws/2")
        monkeypatch.setattr(
            no_metadata_providers.metadata, "musicbrainz_min_interval_seconds", MB_INTERVAL
        )
        yield state
