"""Playback events through the API → queue → Last.fm and ListenBrainz fakes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from revenge.scrobbling.jobs import process_scrobbles, sweep_scrobble_queue
from revenge.scrobbling.models import ScrobbleQueueItem
from tests.factories import make_movie, make_track
from tests.scrobbling.conftest import (
    API,
    Player,
    connect_lastfm,
    connect_listenbrainz,
    queue_tracks,
)


async def test_counted_track_play_reaches_lastfm_and_listenbrainz_exactly_once(
    client, make_user, jobs, lastfm, listenbrainz, session
):
    _, headers = await make_user()
    await connect_lastfm(client, headers, lastfm, "rj")
    await connect_listenbrainz(client, headers, listenbrainz, "rj-lb")
    track = await make_track(
        "Teardrop",
        "Massive Attack",
        duration_ms=330_000,
        musicbrainz_recording_id="3e8e4b3c-91c4-4f47-9b1e-1a7e3f1c0b6d",
    )
    player = Player(client, headers)
    _, started_at = await player.play(track, "track", 200_000)  # > 50 % of 330 s
    await jobs.run()

    # Now playing at start, then one scrobble stamped with the play's start.
    assert [n["track"] for n in lastfm.now_playing] == ["Teardrop"]
    assert lastfm.accepted("rj") == [
        {
            "user": "rj",
            "artist": "Massive Attack",
            "track": "Teardrop",
            "timestamp": int(started_at.timestamp()),
            "album": "Mezzanine",
            "albumArtist": "Massive Attack",
            "mbid": "3e8e4b3c-91c4-4f47-9b1e-1a7e3f1c0b6d",
            "duration": "330",
        }
    ]
    [listen] = listenbrainz.accepted("rj-lb")
    assert listen["listen_type"] == "single"
    assert listen["listened_at"] == int(started_at.timestamp())
    info = listen["track_metadata"]["additional_info"]
    assert info["recording_mbid"] == "3e8e4b3c-91c4-4f47-9b1e-1a7e3f1c0b6d"
    assert info["duration_ms"] == 330_000
    assert [p["track_metadata"]["track_name"] for p in listenbrainz.playing_now] == ["Teardrop"]

    # Running the jobs again sends nothing twice.
    await jobs.run()
    assert len(lastfm.accepted("rj")) == 1 and len(listenbrainz.accepted("rj-lb")) == 1
    queue = (await client.get(f"{API}/queue?status=sent", headers=headers)).json()
    assert queue["total"] == 4  # now playing + scrobble, per provider
    assert {i["title"] for i in queue["items"]} == {"Teardrop"}


async def test_short_play_sends_now_playing_but_no_scrobble(client, make_user, jobs, lastfm):
    _, headers = await make_user()
    await connect_lastfm(client, headers, lastfm, "shorty")
    track = await make_track(duration_ms=300_000)
    await Player(client, headers).play(track, "track", 60_000)  # 20 %, under 4 minutes
    await jobs.run()
    assert len(lastfm.now_playing) == 1
    assert lastfm.accepted("shorty") == []


async def test_movies_are_never_queued_for_music_providers(
    client, make_user, jobs, lastfm, listenbrainz, session
):
    user, headers = await make_user()
    await connect_lastfm(client, headers, lastfm, "cinephile")
    movie = await make_movie(duration_ms=60 * 60 * 1000)
    await Player(client, headers).play(movie, "movie", 55 * 60 * 1000)
    await jobs.run()
    rows = (
        (
            await session.execute(
                select(ScrobbleQueueItem).where(ScrobbleQueueItem.user_id == user.id)
            )
        )
        .scalars()
        .all()
    )
    assert rows == []
    assert lastfm.requests.count("track.scrobble") == 0


async def test_music_toggle_off_stops_queueing(client, make_user, jobs, lastfm):
    _, headers = await make_user()
    await connect_lastfm(client, headers, lastfm, "quiet")
    patched = await client.patch(
        f"{API}/lastfm/settings", json={"scrobble_music": False}, headers=headers
    )
    assert patched.status_code == 200 and patched.json()["scrobble_music"] is False
    await Player(client, headers).play(await make_track(duration_ms=200_000), "track", 200_000)
    await jobs.run()
    assert lastfm.now_playing == [] and lastfm.accepted("quiet") == []


async def test_provider_down_then_everything_delivered_in_order_once(
    client, make_user, jobs, lastfm, listenbrainz, clock_at, session
):
    user, headers = await make_user()
    await connect_lastfm(client, headers, lastfm, "binge")
    await connect_listenbrainz(client, headers, listenbrainz, "binge-lb")
    lastfm.failures.set("500")
    listenbrainz.failures.set("503")
    lastfm_starts = await queue_tracks(user.id, "lastfm", 120)
    lb_starts = await queue_tracks(user.id, "listenbrainz", 120)
    for provider in ("lastfm", "listenbrainz"):
        await process_scrobbles(str(user.id), provider)
    assert lastfm.accepted("binge") == [] and listenbrainz.accepted("binge-lb") == []
    waiting = (await client.get(f"{API}/queue?status=pending&limit=500", headers=headers)).json()
    assert waiting["total"] == 240
    # Only the head batch was tried; it waits with a reason, the rest keeps its place.
    assert {i["last_error"] for i in waiting["items"] if i["retry_count"]} == {
        "Last.fm: HTTP 500",
        "ListenBrainz: HTTP 503",
    }
    # Still inside the backoff: the sweep finds nothing due, nothing is sent.
    assert await sweep_scrobble_queue(0) == 0

    lastfm.failures.set(None)
    listenbrainz.failures.set(None)
    clock_at(datetime.now(UTC) + timedelta(hours=2))  # the backoff has passed
    assert await sweep_scrobble_queue(0) == 2
    await jobs.run("scrobbling.process")
    assert [s["timestamp"] for s in lastfm.accepted("binge")] == lastfm_starts
    assert lastfm.requests.count("track.scrobble") == 1 + 3  # the failed try, then 50+50+20
    assert [e["listened_at"] for e in listenbrainz.accepted("binge-lb")] == lb_starts
    assert ("import", 120) in listenbrainz.submissions
    left = (await client.get(f"{API}/queue?status=pending", headers=headers)).json()
    assert left["total"] == 0


async def test_listenbrainz_rate_limit_headers_are_honoured(
    client, make_user, listenbrainz, clock_at
):
    user, headers = await make_user()
    await connect_listenbrainz(client, headers, listenbrainz, "polite")
    listenbrainz.rate_limit, listenbrainz.window_seconds = 1, 60
    await queue_tracks(user.id, "listenbrainz", 1)
    assert (await process_scrobbles(str(user.id), "listenbrainz"))["sent"] == 1
    # The window is used up (X-RateLimit-Remaining: 0): the next play waits instead of
    # running into a 429.
    await queue_tracks(user.id, "listenbrainz", 1, start=datetime.now(UTC) - timedelta(hours=1))
    report = await process_scrobbles(str(user.id), "listenbrainz")
    assert report["stopped_because"] == "rate_limited" and report["sent"] == 0
    assert listenbrainz.submissions == [("single", 1)]
    listenbrainz.rate_limit = None
    clock_at(datetime.now(UTC) + timedelta(minutes=2))
    assert (await process_scrobbles(str(user.id), "listenbrainz"))["sent"] == 1


async def test_one_invalid_listen_does_not_sink_the_import_batch(
    client, make_user, listenbrainz, session
):
    from sqlalchemy import text

    user, headers = await make_user()
    await connect_listenbrainz(client, headers, listenbrainz, "picky")
    starts = await queue_tracks(user.id, "listenbrainz", 5)
    await session.execute(
        text(
            "UPDATE shared.scrobble_queue SET payload = jsonb_set(payload, "
            "'{musicbrainz_recording_id}', '\"not-a-uuid\"') "
            "WHERE user_id = :u AND payload->>'title' = 'Song 2'"
        ),
        {"u": user.id},
    )
    report = await process_scrobbles(str(user.id), "listenbrainz")
    assert (report["sent"], report["failed"]) == (4, 1)
    [failed] = (await client.get(f"{API}/queue?status=failed", headers=headers)).json()["items"]
    assert failed["title"] == "Song 2"
    assert failed["last_error"] == "ListenBrainz: recording_mbid MBID format invalid."
    assert [e["listened_at"] for e in listenbrainz.accepted("picky")] == starts[:2] + starts[3:]
