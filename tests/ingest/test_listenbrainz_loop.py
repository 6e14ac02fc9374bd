"""A play that came in through /1/ goes on to the user's scrobbling connections, except back to
a ListenBrainz connection holding the very token it came in with (no loops)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr

from revenge.core.security import token_digest
from tests.factories import make_track
from tests.fakes.lastfm import FakeLastfm
from tests.fakes.listenbrainz import FakeListenBrainz
from tests.helpers import serve_asgi
from tests.ingest.test_listenbrainz_api import SUBMIT, api_key, listen, submission, token
from tests.scrobbling.conftest import API, Player, connect_lastfm


# The scrobbling tests' provider fakes, served and configured as there.
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


async def test_a_listen_never_goes_back_to_the_token_it_came_with(
    client,
    make_user,
    jobs,
    lastfm,
    listenbrainz,
):
    _, headers = await make_user()
    # The user's ListenBrainz connection and their /1/ client hold the same token (a
    # ListenBrainz-compatible server forwarding to another with one shared key, say).
    shared = await api_key(client, headers, "shared")
    listenbrainz.tokens[shared] = "rj-lb"
    connected = await client.post(
        f"{API}/connect/listenbrainz", json={"token": shared}, headers=headers
    )
    assert connected.status_code == 200, connected.text
    await connect_lastfm(client, headers, lastfm, "rj")
    await make_track("Teardrop", "Massive Attack", duration_ms=330_000)
    await make_track("Angel", "Massive Attack", duration_ms=380_000)

    at = int(time.time()) - 3600
    body = submission("single", listen(at, track="Teardrop", duration_ms=330_000))
    assert (await client.post(SUBMIT, json=body, headers=token(shared))).json() == {"status": "ok"}
    playing = submission("playing_now", listen(track="Angel"))
    assert (await client.post(SUBMIT, json=playing, headers=token(shared))).json() == {
        "status": "ok"
    }
    await jobs.run()
    # Last.fm hears the play and the now playing; ListenBrainz hears neither.
    assert [(s["track"], s["timestamp"]) for s in lastfm.accepted("rj")] == [("Teardrop", at)]
    assert [n["track"] for n in lastfm.now_playing] == ["Angel"]
    assert listenbrainz.accepted("rj-lb") == []
    assert listenbrainz.playing_now == []
    queued = (await client.get(f"{API}/queue", headers=headers)).json()
    assert {item["provider"] for item in queued["items"]} == {"lastfm"}

    # Another client with its own key: its plays do go to the ListenBrainz connection.
    other = await api_key(client, headers, "phone")
    assert token_digest(other) != token_digest(shared)
    later = at + 600
    body = submission("single", listen(later, track="Angel", duration_ms=380_000))
    assert (await client.post(SUBMIT, json=body, headers=token(other))).json() == {"status": "ok"}
    await jobs.run()
    assert [
        (sent["track_metadata"]["track_name"], sent["listened_at"])
        for sent in listenbrainz.accepted("rj-lb")
    ] == [("Angel", later)]
    assert [s["track"] for s in lastfm.accepted("rj")] == ["Teardrop", "Angel"]


async def test_plays_from_the_servers_own_players_still_reach_listenbrainz(
    client,
    make_user,
    jobs,
    listenbrainz,
):
    _, headers = await make_user()
    shared = await api_key(client, headers)
    listenbrainz.tokens[shared] = "rj-lb"
    await client.post(f"{API}/connect/listenbrainz", json={"token": shared}, headers=headers)
    track = await make_track(duration_ms=330_000)
    await Player(client, headers).play(track, "track", 200_000)
    await jobs.run()
    assert [sent["track_metadata"]["track_name"] for sent in listenbrainz.accepted("rj-lb")] == [
        "Teardrop"
    ]
