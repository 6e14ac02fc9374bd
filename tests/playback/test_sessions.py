from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from revenge.core.config import PlayRuleSettings
from revenge.playback.models import PlayEvent
from revenge.playback.rules import meets_play_rule
from tests.factories import make_episode, make_movie, make_track

T0 = datetime(2026, 11, 1, 20, 0, tzinfo=UTC)


def at(minutes: float) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat()


async def send(
    client, headers, media, event, minutes, position_ms=0, session_id=None, media_type="movie"
):
    body = {
        "media_type": media_type,
        "media_id": str(media.id),
        "event": event,
        "position_ms": position_ms,
        "occurred_at": at(minutes),
    }
    if session_id:
        body["session_id"] = session_id
    return await client.post("/api/v1/playback/events", json=body, headers=headers)


async def test_pauses_are_excluded_from_time_played(client, make_user, session):
    movie = await make_movie(duration_ms=100 * 60 * 1000)
    _, headers = await make_user()
    started = await send(client, headers, movie, "start", 0)
    assert started.status_code == 200, started.text
    sid = started.json()["session_id"]
    await send(client, headers, movie, "pause", 20, session_id=sid)
    await send(client, headers, movie, "resume", 80, session_id=sid)  # an hour of pause
    await send(client, headers, movie, "progress", 90, session_id=sid)
    stopped = await send(client, headers, movie, "stop", 100, session_id=sid)
    body = stopped.json()
    assert body["state"] == "stopped"
    assert body["played_ms"] == 40 * 60 * 1000  # 20 + 10 + 10 minutes
    assert body["counted"] is True  # >= 10 minutes of video
    events = (
        (await session.execute(select(PlayEvent.event).order_by(PlayEvent.occurred_at)))
        .scalars()
        .all()
    )
    assert events == ["start", "pause", "resume", "progress", "stop"]


async def test_time_played_is_capped_at_item_duration(client, make_user):
    track = await make_track(duration_ms=200_000)
    _, headers = await make_user()
    sid = (await send(client, headers, track, "start", 0, media_type="track")).json()["session_id"]
    body = (
        await send(client, headers, track, "stop", 60, session_id=sid, media_type="track")
    ).json()
    assert body["played_ms"] == 200_000
    assert body["counted"] is True


async def test_short_music_play_does_not_count(client, make_user):
    track = await make_track(duration_ms=300_000)
    _, headers = await make_user()
    await send(client, headers, track, "start", 0, media_type="track")
    body = (
        await send(client, headers, track, "stop", 1, media_type="track")
    ).json()  # 60 s of 300 s
    assert body["counted"] is False
    history = (await client.get("/api/v1/users/me/history", headers=headers)).json()
    assert history["total"] == 0


async def test_start_within_resume_window_continues_the_same_play(client, make_user):
    movie = await make_movie(duration_ms=120 * 60 * 1000)
    _, headers = await make_user()
    first = (await send(client, headers, movie, "start", 0)).json()["session_id"]
    await send(client, headers, movie, "stop", 5)
    again = (await send(client, headers, movie, "start", 25)).json()  # 20 min later: same play
    assert again["session_id"] == first
    stopped = (await send(client, headers, movie, "stop", 35)).json()
    assert stopped["played_ms"] == 15 * 60 * 1000
    later = (await send(client, headers, movie, "start", 120)).json()  # 85 min later: new play
    assert later["session_id"] != first


async def test_history_lists_counted_plays_with_titles_newest_first(client, make_user):
    heat, alien = await make_movie("Heat"), await make_movie("Alien")
    _, headers = await make_user()
    for minutes, movie in ((0, heat), (200, alien)):
        await send(client, headers, movie, "start", minutes)
        await send(client, headers, movie, "stop", minutes + 70)
    history = (await client.get("/api/v1/users/me/history", headers=headers)).json()
    assert [item["title"] for item in history["items"]] == ["Alien", "Heat"]
    assert history["total"] == 2


async def test_a_user_cannot_touch_another_users_session_or_history(client, make_user):
    movie = await make_movie()
    _, alice = await make_user()
    _, bob = await make_user()
    sid = (await send(client, alice, movie, "start", 0)).json()["session_id"]
    hijack = await send(client, bob, movie, "stop", 70, session_id=sid)
    assert hijack.status_code == 404
    assert hijack.json()["code"] == "playback.session_not_found"
    await send(client, alice, movie, "stop", 70, session_id=sid)
    assert (await client.get("/api/v1/users/me/history", headers=bob)).json()["total"] == 0


async def test_bad_events_get_clear_errors(client, make_user):
    movie = await make_movie()
    _, headers = await make_user()
    unknown = await client.post(
        "/api/v1/playback/events",
        json={
            "media_type": "movie",
            "media_id": "00000000-0000-0000-0000-000000000000",
            "event": "start",
            "position_ms": 0,
        },
        headers=headers,
    )
    assert unknown.status_code == 404 and unknown.json()["code"] == "library.item_not_found"
    episode = await make_episode()
    sid = (await send(client, headers, movie, "start", 0)).json()["session_id"]
    wrong_item = await send(
        client, headers, episode, "stop", 5, session_id=sid, media_type="episode"
    )
    assert wrong_item.status_code == 409
    assert wrong_item.json()["code"] == "playback.session_media_mismatch"
    future = await client.post(
        "/api/v1/playback/events",
        json={
            "media_type": "movie",
            "media_id": str(movie.id),
            "event": "start",
            "position_ms": 0,
            "occurred_at": "2999-01-01T00:00:00Z",
        },
        headers=headers,
    )
    assert future.status_code == 422 and future.json()["code"] == "playback.event_in_future"
    bad_type = await client.post(
        "/api/v1/playback/events",
        json={"media_type": "book", "media_id": str(movie.id), "event": "start", "position_ms": 0},
        headers=headers,
    )
    assert bad_type.status_code == 422


async def test_finished_session_emits_domain_events_as_jobs(client, make_user, jobs):
    from revenge.core import events
    from revenge.core.jobs import job_app

    @events.subscribe(events.PlaybackSessionFinished)
    @job_app.task(name="tests.record_finished")
    async def record_finished(**facts: object) -> None:
        seen.append(events.PlaybackSessionFinished.from_payload(facts))

    seen: list[events.PlaybackSessionFinished] = []
    try:
        movie = await make_movie()
        user, headers = await make_user()
        sid = (await send(client, headers, movie, "start", 0)).json()["session_id"]
        await send(client, headers, movie, "stop", 70, session_id=sid)
        await jobs.run("tests.record_finished")
        # The event carries the session as the stop left it: no re-read needed.
        [finished] = seen
        assert (str(finished.session_id), finished.user_id) == (sid, user.id)
        assert (finished.event, finished.state, finished.media_id) == ("stop", "stopped", movie.id)
        assert finished.ended_at is not None and finished.started_at <= finished.ended_at
    finally:
        events._subscribers[events.PlaybackSessionFinished].remove(record_finished)


def test_domain_events_are_checked_when_subscribed_and_emitted():
    import asyncio

    from revenge.core import events
    from revenge.core.jobs import job_app

    @job_app.task(name="tests.wrong_shape")
    async def wrong_shape(session_id: str, mood: str) -> None:
        return None

    with pytest.raises(TypeError, match="missing"):
        events.subscribe(events.PlaybackSessionFinished)(wrong_shape)
    with pytest.raises(TypeError, match="not a domain event"):
        events.subscribe(dict)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="not a domain event"):
        asyncio.run(events.emit(None, {"session_id": "x"}))  # type: ignore[arg-type]


def test_play_rule_boundaries():
    rules = PlayRuleSettings()
    assert meets_play_rule("track", 30_000, 30_000, rules) is False  # not longer than 30 s
    assert meets_play_rule("track", 15_500, 31_000, rules) is True  # half of a 31 s track
    assert meets_play_rule("track", 240_000, 3_600_000, rules) is True  # four minutes
    assert meets_play_rule("movie", 600_000, 7_200_000, rules) is True  # ten minutes
    assert meets_play_rule("episode", 599_999, 2_000_000, rules) is False
    assert meets_play_rule("episode", 1_000_000, 2_000_000, rules) is True  # half
