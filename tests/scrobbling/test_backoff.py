"""A provider's rate limit holds the whole connection, whichever queue item it came on.

The fakes are strict: after a 429 (or Last.fm error 29) they note every request on the
application's clock and keep those that came inside the announced back-off in ``early``.
Time moves through ``clock_at``; the sweep and the drains run as the worker would run them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from revenge.core.config import get_settings
from revenge.core.http import RetryableError
from revenge.scrobbling.jobs import process_scrobbles, sweep_scrobble_queue
from revenge.scrobbling.sync import sync_provider
from tests.factories import make_movie, make_track
from tests.scrobbling.conftest import (
    API,
    Player,
    connect_lastfm,
    connect_listenbrainz,
    connect_trakt,
)


@pytest.fixture(autouse=True)
def _backoff_base(test_settings, monkeypatch):
    """Last.fm names no Retry-After: our first backoff is then 15-30 s (base 30, jittered)."""
    monkeypatch.setattr(test_settings.scrobble, "backoff_base_seconds", 30.0)


async def _queue(client, headers, status: str) -> list[dict]:
    return (await client.get(f"{API}/queue?status={status}", headers=headers)).json()["items"]


@pytest.mark.parametrize("refused", ["start", "pause"])
async def test_trakt_429_on_start_or_pause_holds_every_post_until_retry_after(
    client, make_user, jobs, trakt, clock_at, refused
):
    user, headers = await make_user()
    await connect_trakt(client, headers, trakt, "patient")
    t0 = datetime.now(UTC)
    clock_at(t0)
    movie = await make_movie("Heat", duration_ms=100 * 60 * 1000, tmdb_id=949)
    player = Player(client, headers)
    if refused == "start":
        trakt.failures.set("429", remaining=1, retry_after=30)
    sid = (await player.event(movie, "movie", "start", 0))["session_id"]
    await jobs.run()
    if refused == "pause":
        trakt.failures.set("429", remaining=1, retry_after=30)
        player.now += timedelta(minutes=30)
        await player.event(movie, "movie", "pause", 30 * 60 * 1000, sid)
        await jobs.run()
    # The refused start/pause is dropped (never sent late), as before.
    [dropped] = await _queue(client, headers, "skipped")
    assert (dropped["action"], dropped["last_status_code"]) == (refused, 429)

    # The film ends during the back-off; the user even reconnects Trakt. Each of these
    # schedules a drain, and none may reach Trakt yet.
    player.now += timedelta(minutes=65)
    await player.event(movie, "movie", "stop", 95 * 60 * 1000, sid)
    await jobs.run()
    await connect_trakt(client, headers, trakt, "patient")
    await jobs.run()
    clock_at(t0 + timedelta(seconds=20))
    assert await sweep_scrobble_queue(0) == 0
    report = await process_scrobbles(str(user.id), "trakt")
    assert (report["sent"], report["stopped_because"]) == (0, "rate_limited")
    [stop] = await _queue(client, headers, "pending")
    assert stop["action"] == "stop"

    clock_at(t0 + timedelta(seconds=31))
    assert await sweep_scrobble_queue(0) == 1
    await jobs.run("scrobbling.process")
    assert [(s.action, s.result) for s in trakt.watched("patient")] == [("stop", "scrobble")]
    assert trakt.failures.early == []
    # After the 429 at t0, the next POST came once Retry-After had passed.
    assert trakt.failures.arrivals_after(t0) == [t0 + timedelta(seconds=31)]
    assert await _queue(client, headers, "pending") == []


@pytest.mark.parametrize("provider", ["lastfm", "listenbrainz"])
async def test_rate_limit_on_now_playing_holds_the_scrobble_until_the_back_off_is_over(
    client, make_user, jobs, clock_at, lastfm, listenbrainz, provider
):
    fake = lastfm if provider == "lastfm" else listenbrainz
    user, headers = await make_user()
    if provider == "lastfm":
        await connect_lastfm(client, headers, fake, "limited")
        # No Retry-After from Last.fm: the fake refuses for 15 s, the least we wait.
        fake.failures.set("error29", remaining=1, retry_after=15)
    else:
        await connect_listenbrainz(client, headers, fake, "limited")
        fake.failures.set("429", remaining=1, retry_after=30)
    t0 = datetime.now(UTC)
    clock_at(t0)
    track = await make_track("Roads", "Portishead", duration_ms=300_000)
    player = Player(client, headers)
    sid = (await player.event(track, "track", "start", 0))["session_id"]
    await jobs.run()  # now playing → rate limited
    assert fake.failures.failed == 1  # the now playing was refused
    player.now += timedelta(minutes=5)
    await player.event(track, "track", "stop", 300_000, sid)
    await jobs.run()  # the scrobble is queued; its drain finds the back-off

    clock_at(t0 + timedelta(seconds=9))
    assert await sweep_scrobble_queue(0) == 0
    report = await process_scrobbles(str(user.id), provider)
    assert (report["sent"], report["stopped_because"]) == (0, "rate_limited")

    clock_at(t0 + timedelta(seconds=31))
    assert await sweep_scrobble_queue(0) == 1
    await jobs.run("scrobbling.process")
    accepted = fake.accepted("limited")
    assert len(accepted) == 1
    assert fake.failures.early == []
    assert fake.failures.arrivals_after(t0) == [t0 + timedelta(seconds=31)]
    [dropped] = await _queue(client, headers, "skipped")
    assert dropped["action"] == "now_playing"


async def test_lastfm_error_29_stops_the_rest_of_the_batch(
    client, make_user, jobs, lastfm, clock_at
):
    _, headers = await make_user()
    await connect_lastfm(client, headers, lastfm, "backlog")
    t0 = datetime.now(UTC)
    clock_at(t0)
    skipped_early = await make_track("Intro", "Portishead", duration_ms=200_000)
    played = await make_track("Sour Times", "Portishead", duration_ms=250_000)
    player = Player(client, headers)
    await player.play(skipped_early, "track", 10_000)  # too short to count: now playing only
    await player.play(played, "track", 250_000)
    lastfm.failures.set("error29", remaining=1, retry_after=15)
    await jobs.run()  # one drain, one batch: now playing, now playing, scrobble

    assert lastfm.requests[2:] == ["track.updateNowPlaying"]  # after connecting: one call
    [waiting] = await _queue(client, headers, "pending")
    assert (waiting["action"], waiting["retry_count"]) == ("scrobble", 1)
    assert waiting["last_error"] == "Last.fm error 29: Rate Limit Exceeded"

    clock_at(t0 + timedelta(seconds=31))
    assert await sweep_scrobble_queue(0) == 1
    await jobs.run("scrobbling.process")
    assert [s["track"] for s in lastfm.accepted("backlog")] == ["Sour Times"]
    assert lastfm.failures.early == []


async def test_love_recommendations_and_sync_wait_out_the_back_off(
    client, make_user, jobs, lastfm, clock_at
):
    user, headers = await make_user()
    await connect_lastfm(client, headers, lastfm, "lover")
    t0 = datetime.now(UTC)
    clock_at(t0)
    track = await make_track("Roads", "Portishead", duration_ms=300_000)
    lastfm.failures.set("error29", remaining=1, retry_after=15)
    await Player(client, headers).event(track, "track", "start", 0)
    await jobs.run()  # now playing → error 29
    calls = list(lastfm.requests)

    clock_at(t0 + timedelta(seconds=5))
    loved = await client.post(f"{API}/lastfm/love/{track.id}", headers=headers)
    assert loved.status_code == 503
    assert loved.headers["content-type"] == "application/problem+json"
    assert loved.json()["code"] == "scrobbling.rate_limited"
    assert 10 <= int(loved.headers["Retry-After"]) <= 25
    similar = await client.get(
        f"{API}/lastfm/recommendations", params={"track_id": str(track.id)}, headers=headers
    )
    assert similar.status_code == 503 and similar.json()["code"] == "scrobbling.rate_limited"
    assert (await client.post(f"{API}/lastfm/sync", headers=headers)).status_code == 202
    with pytest.raises(RetryableError) as waiting:
        await sync_provider(user.id, "lastfm", get_settings())
    assert waiting.value.retry_after is not None and 10 <= waiting.value.retry_after <= 25
    assert lastfm.requests == calls and lastfm.failures.early == []

    clock_at(t0 + timedelta(seconds=31))
    loved = await client.post(f"{API}/lastfm/love/{track.id}", headers=headers)
    assert loved.status_code == 200 and ("lover", "Portishead", "Roads") in lastfm.loved
