"""The real ``liblistenbrainz`` client from PyPI, pointed at this server over HTTP, as a
ListenBrainz user would point any client at it."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
from liblistenbrainz import Listen, ListenBrainz
from liblistenbrainz.errors import InvalidAuthTokenException, ListenBrainzAPIException
from sqlalchemy import select

from revenge.playback.models import PlaySession
from tests.factories import make_track
from tests.helpers import serve_asgi
from tests.ingest.test_listenbrainz_api import RECORDING, api_key


@pytest.fixture
async def server(app, db):
    """This server on a real port; the client is synchronous (requests) and runs in a thread
    while the server answers in the test's event loop."""
    async with serve_asgi(app) as url:
        yield url


def call(function, *args, **kwargs):
    return asyncio.to_thread(function, *args, **kwargs)


async def test_a_listenbrainz_client_submits_and_reads_back(server, client, make_user, session):
    user, headers = await make_user()
    key = await api_key(client, headers, "liblistenbrainz")
    teardrop = await make_track(musicbrainz_recording_id=RECORDING, duration_ms=330_000)
    songs = [await make_track(f"Song {i}", "Portishead", duration_ms=200_000) for i in range(40)]

    lb = ListenBrainz(api_base_url=server)
    # The client checks the token as it takes it (GET /1/validate-token).
    await call(lb.set_auth_token, key)
    with pytest.raises(InvalidAuthTokenException):
        await call(ListenBrainz(api_base_url=server).set_auth_token, "rvk_not-a-key")

    # Now playing, then the listen of it.
    started = int(time.time()) - 400
    playing = Listen(
        track_name="Teardrop",
        artist_name="Massive Attack",
        release_name="Mezzanine",
        recording_mbid=RECORDING,
        additional_info={"duration_ms": 330_000, "submission_client": "liblistenbrainz"},
    )
    assert await call(lb.submit_playing_now, playing) == {"status": "ok"}
    now = await call(lb.get_playing_now, user.username)
    assert now is not None and now.track_name == "Teardrop" and now.recording_mbid == RECORDING

    single = Listen(
        track_name="Teardrop",
        artist_name="Massive Attack",
        release_name="Mezzanine",
        listened_at=started,
        recording_mbid=RECORDING,
        additional_info={"duration_ms": 330_000, "submission_client": "liblistenbrainz"},
    )
    assert await call(lb.submit_single_listen, single) == {"status": "ok"}
    assert await call(lb.get_playing_now, user.username) is None

    # An import of many (a scrobbler catching up), one of them twice.
    base = started - 86_400
    history = [
        Listen(
            track_name=f"Song {i}",
            artist_name="Portishead",
            listened_at=base + 300 * i,
            additional_info={"duration": 200},
        )
        for i in range(40)
    ]
    assert await call(lb.submit_multiple_listens, [*history, history[7]]) == {"status": "ok"}

    rows = (
        (await session.execute(select(PlaySession).where(PlaySession.user_id == user.id)))
        .scalars()
        .all()
    )
    assert len(rows) == 41 and all(row.counted and row.ended_at for row in rows)
    assert {row.media_id for row in rows} == {teardrop.id, *(song.id for song in songs)}
    assert {row.source for row in rows} == {"listenbrainz"}

    # Reading back, paged as the client pages.
    latest = await call(lb.get_listens, user.username, count=5)
    assert [item.listened_at for item in latest] == [
        started,
        *[base + 300 * i for i in (39, 38, 37, 36)],
    ]
    assert latest[0].track_name == "Teardrop" and latest[0].recording_mbid == RECORDING
    assert latest[0].release_name == "Mezzanine"
    older = await call(lb.get_listens, user.username, max_ts=latest[-1].listened_at, count=100)
    assert [item.listened_at for item in older] == [base + 300 * i for i in range(35, -1, -1)]
    assert older[0].track_name == "Song 35" and older[0].artist_name == "Portishead"
    assert await call(lb.get_user_listen_count, user.username) == 41


async def test_the_client_sees_refusals_with_the_servers_message(server, client, make_user):
    user, headers = await make_user()
    key = await api_key(client, headers)
    lb = ListenBrainz(api_base_url=server)
    lb.set_auth_token(key, check_validity=False)
    too_early = Listen(track_name="T", artist_name="A", listened_at=1_000_000_000)
    with pytest.raises(ListenBrainzAPIException) as refused:
        await call(lb.submit_single_listen, too_early)
    assert refused.value.status_code == 400
    assert refused.value.message.startswith("Value for key listened_at is too low.")

    # Somebody else's listens: refused, with the reason.
    other, _ = await make_user()
    with pytest.raises(ListenBrainzAPIException) as forbidden:
        await call(lb.get_listens, other.username)
    assert forbidden.value.status_code == 403

    anonymous = ListenBrainz(api_base_url=server)
    with pytest.raises(ListenBrainzAPIException) as unauthorised:
        await call(anonymous.get_listens, user.username)
    assert unauthorised.value.status_code == 401
    assert unauthorised.value.message == "You need to provide an Authorization header."
    # The rate-limit headers were read: nothing to wait for.
    assert anonymous.remaining_requests and anonymous.remaining_requests > 0
    assert anonymous.ratelimit_reset_in is not None


async def test_unique_names_keep_plays_apart(server, client, make_user, session):
    """Two users' clients, each with their own key: each play lands with its user."""
    alice, alice_headers = await make_user()
    bob, bob_headers = await make_user()
    track = await make_track(musicbrainz_recording_id=str(uuid.uuid4()))
    at = int(time.time()) - 1000
    for headers in (alice_headers, bob_headers):
        lb = ListenBrainz(api_base_url=server)
        await call(lb.set_auth_token, await api_key(client, headers))
        listen = Listen(track_name="Teardrop", artist_name="Massive Attack", listened_at=at)
        await call(lb.submit_single_listen, listen)
    owners = (
        await session.execute(select(PlaySession.user_id).where(PlaySession.media_id == track.id))
    ).scalars()
    assert sorted(owners) == sorted([alice.id, bob.id])
