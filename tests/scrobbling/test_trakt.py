"""Trakt: OAuth code + device flows, scrobble start/pause/stop, rate limit, refresh, revoke."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text

from revenge.scrobbling.jobs import process_scrobbles
from revenge.scrobbling.models import ScrobbleAuthState
from tests.factories import make_episode, make_movie
from tests.scrobbling.conftest import API, Player, connect_trakt


async def test_movie_play_start_pause_stop_reaches_trakt_as_watched(client, make_user, jobs, trakt):
    _, headers = await make_user()
    connection = await connect_trakt(client, headers, trakt, "neo")
    assert connection["username"] == "neo" and connection["status"] == "connected"
    movie = await make_movie("Heat", duration_ms=100 * 60 * 1000, tmdb_id=949, imdb_id="tt0113277")
    player = Player(client, headers)
    sid = (await player.event(movie, "movie", "start", 0))["session_id"]
    player.now += timedelta(minutes=30)
    await player.event(movie, "movie", "pause", 30 * 60 * 1000, sid)
    player.now += timedelta(minutes=5)
    await player.event(movie, "movie", "resume", 30 * 60 * 1000, sid)
    player.now += timedelta(minutes=60)
    await player.event(movie, "movie", "stop", 90 * 60 * 1000, sid)
    await jobs.run()

    # Start and pause were superseded by later events before the drain ran; the stop counts.
    sent = [(s.action, s.result, s.body["progress"]) for s in trakt.scrobbles]
    assert sent[-1] == ("stop", "scrobble", 90.0)
    assert trakt.scrobbles[-1].body["movie"] == {
        "title": "Heat",
        "ids": {"tmdb": 949, "imdb": "tt0113277"},
    }
    assert trakt.rate_limited == 0  # writes were spaced, Trakt never had to say 429
    assert len(trakt.watched("neo")) == 1


async def test_each_event_is_sent_when_delivered_promptly(client, make_user, jobs, trakt):
    _, headers = await make_user()
    await connect_trakt(client, headers, trakt, "prompt")
    episode = await make_episode("Dark", 1, 2, duration_ms=50 * 60 * 1000)
    player = Player(client, headers)
    sid = (await player.event(episode, "episode", "start", 0))["session_id"]
    await jobs.run()
    player.now += timedelta(minutes=10)
    await player.event(episode, "episode", "pause", 10 * 60 * 1000, sid)
    await jobs.run()
    player.now += timedelta(minutes=1)
    await player.event(episode, "episode", "stop", 20 * 60 * 1000, sid)
    await jobs.run()
    assert [(s.action, s.result) for s in trakt.scrobbles] == [
        ("start", "start"),
        ("pause", "pause"),
        ("stop", "pause"),  # 40 % is not watched: Trakt keeps it as paused
    ]
    # No episode ids in the library: identified by show title and numbers.
    assert trakt.scrobbles[0].body["show"]["title"] == "Dark"
    assert trakt.scrobbles[0].body["episode"] == {"season": 1, "number": 2}
    assert trakt.rate_limited == 0


async def test_oauth_state_is_single_use_and_bound_to_the_user(client, make_user, trakt, session):
    _, alice = await make_user()
    _, mallory = await make_user()
    started = (await client.post(f"{API}/connect/trakt", headers=alice)).json()
    assert started["kind"] == "redirect"
    back = trakt.authorize(started["authorize_url"], "alice")
    # Another user cannot finish Alice's authorisation.
    stolen = await client.get(f"{API}/callback/trakt", params=back, headers=mallory)
    assert stolen.status_code == 400 and stolen.json()["code"] == "scrobbling.invalid_state"
    ok = await client.get(f"{API}/callback/trakt", params=back, headers=alice)
    assert ok.status_code == 200 and ok.json()["username"] == "alice"
    replay = await client.get(f"{API}/callback/trakt", params=back, headers=alice)
    assert replay.status_code == 400 and replay.json()["code"] == "scrobbling.invalid_state"
    forged = await client.get(
        f"{API}/callback/trakt", params={"code": "x", "state": "forged"}, headers=alice
    )
    assert forged.status_code == 400
    # The stored state is a digest, never the value itself.
    stored = (await session.execute(select(ScrobbleAuthState.state_digest))).scalars().all()
    assert back["state"] not in stored


async def test_expired_state_is_refused(client, make_user, trakt, clock_at):
    _, headers = await make_user()
    started = (await client.post(f"{API}/connect/trakt", headers=headers)).json()
    back = trakt.authorize(started["authorize_url"], "late")
    clock_at(datetime.now(UTC) + timedelta(hours=1))
    response = await client.get(f"{API}/callback/trakt", params=back, headers=headers)
    assert response.status_code == 400


async def test_device_flow_polls_until_the_user_approves(client, make_user, jobs, trakt):
    _user, headers = await make_user()
    started = await client.post(f"{API}/connect/trakt", json={"flow": "device"}, headers=headers)
    assert started.status_code == 200, started.text
    body = started.json()
    assert body["kind"] == "device" and body["verification_url"] == "https://trakt.tv/activate"
    # Not approved yet: the poll job re-schedules itself.
    from revenge.scrobbling.jobs import poll_device_authorisation

    [pending] = await jobs.pending("scrobbling.device_poll")
    assert await poll_device_authorisation(**pending["args"]) is False
    trakt.approve_device(body["user_code"], "couch")
    await jobs.run("scrobbling.device_poll")
    connections = (await client.get(f"{API}/connections", headers=headers)).json()
    [status] = [c for c in connections if c["provider"] == "trakt"]
    assert status["connected"] and status["username"] == "couch"


async def test_token_is_refreshed_before_it_expires(client, make_user, jobs, trakt):
    trakt.expires_in = 300  # inside the 10-minute refresh margin
    _user, headers = await make_user()
    await connect_trakt(client, headers, trakt, "fresh")
    trakt.expires_in = 7 * 24 * 3600  # the refreshed token lasts
    old_tokens = set(trakt.tokens)
    movie = await make_movie(duration_ms=60 * 60 * 1000, tmdb_id=1)
    await Player(client, headers).play(movie, "movie", 58 * 60 * 1000)
    await jobs.run()
    grants = [r["grant_type"] for r in trakt.token_requests]
    assert grants == ["authorization_code", "refresh_token"]
    assert trakt.token_requests[1]["redirect_uri"].endswith("/scrobbling/callback/trakt")
    assert len(trakt.watched("fresh")) == 1
    assert set(trakt.tokens) - old_tokens  # the new token was used


async def _make_due_now(user_id) -> None:
    """Time passes: the waiting items are due and the provider's pause is over."""
    from revenge.core.db import session_scope

    async with session_scope() as s:
        await s.execute(
            text("UPDATE shared.scrobble_queue SET next_attempt_at = now() WHERE user_id = :u"),
            {"u": user_id},
        )
        await s.execute(
            text(
                "UPDATE shared.scrobble_connections SET rate_limited_until = NULL WHERE user_id = :u"
            ),
            {"u": user_id},
        )


async def test_refresh_failing_with_5xx_or_429_waits_instead_of_disconnecting(
    client, make_user, jobs, trakt
):
    trakt.expires_in = 300  # every delivery must refresh first
    user, headers = await make_user()
    await connect_trakt(client, headers, trakt, "patient")
    trakt.expires_in = 7 * 24 * 3600
    trakt.token_failures.set("503")  # until told otherwise
    movie = await make_movie(duration_ms=60 * 60 * 1000, tmdb_id=3)
    await Player(client, headers).play(movie, "movie", 58 * 60 * 1000)
    await jobs.run()  # queues the play and tries to deliver it
    assert trakt.watched("patient") == []
    [waiting] = (await client.get(f"{API}/queue?status=pending", headers=headers)).json()["items"]
    assert waiting["last_status_code"] == 503 and "503" in waiting["last_error"]
    connections = (await client.get(f"{API}/connections", headers=headers)).json()
    [status] = [c for c in connections if c["provider"] == "trakt"]
    assert status["status"] == "connected"  # Trakt was down; the user need not reconnect

    trakt.token_failures.set("429", retry_after=90)
    await _make_due_now(user.id)
    before = datetime.now(UTC)
    report = await process_scrobbles(str(user.id), "trakt")
    assert report["postponed"] == 1, report["stopped_because"]
    [waiting] = (await client.get(f"{API}/queue?status=pending", headers=headers)).json()["items"]
    assert waiting["last_status_code"] == 429
    assert datetime.fromisoformat(waiting["next_attempt_at"]) >= before + timedelta(seconds=90)

    # Trakt is back: the same (still valid) refresh token works and the play arrives.
    trakt.token_failures.set(None)
    await _make_due_now(user.id)
    report = await process_scrobbles(str(user.id), "trakt")
    assert report["sent"] == 1 and len(trakt.watched("patient")) == 1
    grants = [r["grant_type"] for r in trakt.token_requests]
    assert grants[0] == "authorization_code" and set(grants[1:]) == {"refresh_token"}


def _finished(play):
    from revenge.core import events
    from revenge.core.config import get_settings
    from revenge.playback.service import facts_of

    return facts_of(events.PlaybackSessionFinished, play, "stop", get_settings().play_rules)


async def test_409_counts_as_done_and_429_waits_for_retry_after(client, make_user, trakt):
    user, headers = await make_user()
    await connect_trakt(client, headers, trakt, "dup")
    movie = await make_movie(duration_ms=60 * 60 * 1000, tmdb_id=7)
    player = Player(client, headers)
    await player.play(movie, "movie", 58 * 60 * 1000)
    trakt._recent[("dup", "movie:7")] = __import__("time").time()  # scrobbled a moment ago
    from revenge.core.db import session_scope
    from revenge.scrobbling import queue

    async with session_scope() as s:
        from revenge.playback.models import PlaySession

        play = (
            await s.execute(select(PlaySession).where(PlaySession.user_id == user.id))
        ).scalar_one()
        from revenge.core.config import get_settings
        from revenge.scrobbling.providers.base import PlayTransition

        await queue.queue_play(s, _finished(play), PlayTransition.finished, get_settings())
    await process_scrobbles(str(user.id), "trakt")
    [item] = (await client.get(f"{API}/queue?status=sent", headers=headers)).json()["items"]
    assert item["last_status_code"] == 409 and item["last_error"] == "already scrobbled"

    trakt.failures.set("429", retry_after=120)
    movie2 = await make_movie("Ronin", duration_ms=60 * 60 * 1000, tmdb_id=8)
    player.now += timedelta(hours=1)
    await player.play(movie2, "movie", 58 * 60 * 1000)
    async with session_scope() as s:
        play = (
            await s.execute(select(PlaySession).where(PlaySession.media_id == movie2.id))
        ).scalar_one()
        await queue.queue_play(s, _finished(play), PlayTransition.finished, get_settings())
    before = datetime.now(UTC)
    report = await process_scrobbles(str(user.id), "trakt")
    assert report["postponed"] == 1
    [waiting] = (await client.get(f"{API}/queue?status=pending", headers=headers)).json()["items"]
    assert datetime.fromisoformat(waiting["next_attempt_at"]) >= before + timedelta(seconds=120)


async def test_disconnect_revokes_and_forgets_tokens(client, make_user, trakt, session):
    _user, headers = await make_user()
    await connect_trakt(client, headers, trakt, "bye")
    [token] = list(trakt.tokens)
    response = await client.delete(f"{API}/disconnect/trakt", headers=headers)
    assert response.status_code == 204
    assert trakt.revoked == [token]
    connections = (await client.get(f"{API}/connections", headers=headers)).json()
    assert not next(c for c in connections if c["provider"] == "trakt")["connected"]
    again = await client.delete(f"{API}/disconnect/trakt", headers=headers)
    assert again.status_code == 404 and again.json()["code"] == "scrobbling.not_connected"


async def test_recommendations_movies_and_shows(client, make_user, trakt):
    _, headers = await make_user()
    await connect_trakt(client, headers, trakt, "rec")
    trakt.recommended = [
        {"type": "movie", "title": "Thief", "year": 1981, "ids": {"trakt": 1, "tmdb": 11}},
        {"type": "show", "title": "Dark", "year": 2017, "ids": {"trakt": 2, "tvdb": 22}},
    ]
    body = (await client.get(f"{API}/trakt/recommendations", headers=headers)).json()
    assert [(i["kind"], i["title"]) for i in body["items"]] == [
        ("movie", "Thief"),
        ("show", "Dark"),
    ]
