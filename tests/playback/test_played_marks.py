"""Marking played (one finished, counted play, once per minute at most) and unplayed (the
history stays); and one item's own history."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from sqlalchemy import select

from revenge.core import artwork_urls, clock
from revenge.playback.models import PlayedMark, PlaySession
from tests.playback.conftest import T0, watch

MINUTE = 60_000


def _url(media_type, media_id):
    return f"/api/v1/users/me/played/{media_type}/{media_id}"


async def _history(client, headers, **params):
    response = await client.get("/api/v1/users/me/history", headers=headers, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def test_mark_played_records_one_counted_play(client, make_user, media, session, jobs):
    user, headers = await make_user()
    movie, _ = await media.movie()
    before = clock.utcnow()
    response = await client.put(_url("movie", movie.id), headers=headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"played": True, "play_count": 1}

    play = (
        await session.execute(select(PlaySession).where(PlaySession.user_id == user.id))
    ).scalar_one()
    assert play.counted and play.state == "stopped" and play.source == "native"
    assert play.played_ms == 170 * MINUTE  # played through
    assert before <= play.ended_at <= clock.utcnow()  # ending at the marking
    assert play.ended_at - play.started_at == timedelta(minutes=170)
    # Statistics and scrobbling hear of it like of any finished play.
    assert len(await jobs.pending("analytics.record_play")) == 1
    assert len(await jobs.pending("scrobbling.on_session_finished")) == 1

    history = await _history(client, headers)
    assert history["total"] == 1 and history["items"][0]["media_id"] == str(movie.id)
    info = (await client.get(f"/api/v1/playback/info/movie/{movie.id}", headers=headers)).json()
    assert info["played"] is True and info["play_count"] == 1


async def test_a_second_mark_within_a_minute_adds_no_play(client, make_user, media, monkeypatch):
    _, headers = await make_user()
    _, tracks = await media.album()
    real_now = clock.utcnow
    start = real_now() - timedelta(minutes=10)
    monkeypatch.setattr(clock, "utcnow", lambda: start)
    assert (await client.put(_url("track", tracks[0].id), headers=headers)).json()[
        "play_count"
    ] == 1
    monkeypatch.setattr(clock, "utcnow", lambda: start + timedelta(seconds=59))
    again = await client.put(_url("track", tracks[0].id), headers=headers)
    assert again.json() == {"played": True, "play_count": 1}
    monkeypatch.setattr(clock, "utcnow", lambda: start + timedelta(seconds=121))
    later = await client.put(_url("track", tracks[0].id), headers=headers)
    assert later.json() == {"played": True, "play_count": 2}
    assert (await _history(client, headers))["total"] == 2


async def test_mark_unplayed_keeps_the_history(client, make_user, media, monkeypatch):
    _, headers = await make_user()
    movie, _ = await media.movie()
    real_now = clock.utcnow
    start = real_now() - timedelta(minutes=10)
    monkeypatch.setattr(clock, "utcnow", lambda: start)
    await client.put(_url("movie", movie.id), headers=headers)
    monkeypatch.setattr(clock, "utcnow", lambda: start + timedelta(seconds=5))
    response = await client.delete(_url("movie", movie.id), headers=headers)
    assert response.status_code == 200
    assert response.json() == {"played": False, "play_count": 1}
    assert (await _history(client, headers))["total"] == 1
    # Unplayed twice is still unplayed.
    assert (await client.delete(_url("movie", movie.id), headers=headers)).json()["played"] is False
    # Played again within the minute: played, but no second play for a double toggle.
    monkeypatch.setattr(clock, "utcnow", lambda: start + timedelta(seconds=10))
    assert (await client.put(_url("movie", movie.id), headers=headers)).json() == {
        "played": True,
        "play_count": 1,
    }


async def test_a_counted_play_after_unplayed_makes_it_played_again(
    client, make_user, media, monkeypatch
):
    _, headers = await make_user()
    movie, _ = await media.movie()
    await watch(client, headers, "movie", movie.id, start_minutes=0, stop_at_ms=60 * MINUTE)
    real_now = clock.utcnow
    monkeypatch.setattr(clock, "utcnow", lambda: T0 + timedelta(hours=2))
    assert (await client.delete(_url("movie", movie.id), headers=headers)).json() == {
        "played": False,
        "play_count": 1,
    }
    monkeypatch.setattr(clock, "utcnow", real_now)
    await watch(client, headers, "movie", movie.id, start_minutes=240, stop_at_ms=30 * MINUTE)
    info = (await client.get(f"/api/v1/playback/info/movie/{movie.id}", headers=headers)).json()
    assert info["played"] is True and info["play_count"] == 2


async def test_marks_are_my_own(client, make_user, media, session):
    mine_user, mine = await make_user()
    _, theirs = await make_user()
    movie, _ = await media.movie()
    await client.put(_url("movie", movie.id), headers=mine)
    info = (await client.get(f"/api/v1/playback/info/movie/{movie.id}", headers=theirs)).json()
    assert info["played"] is False and info["play_count"] == 0
    assert (await _history(client, theirs))["total"] == 0
    assert (await client.delete(_url("movie", movie.id), headers=theirs)).json() == {
        "played": False,
        "play_count": 0,
    }
    marks = (await session.execute(select(PlayedMark.user_id, PlayedMark.unplayed_at))).all()
    by_user = {user_id: unplayed_at for user_id, unplayed_at in marks}
    assert by_user[mine_user.id] is None  # their "unplayed" did not touch my mark


async def test_bad_items_are_refused(client, make_user, media):
    _, headers = await make_user()
    missing = await client.put(_url("movie", uuid.uuid4()), headers=headers)
    assert missing.status_code == 404
    assert missing.json()["code"] == "library.item_not_found"
    assert (await client.delete(_url("episode", uuid.uuid4()), headers=headers)).status_code == 404
    album, _ = await media.album()
    assert (await client.put(_url("album", album.id), headers=headers)).status_code == 422
    assert (await client.put(_url("movie", "not-a-uuid"), headers=headers)).status_code == 422
    assert (await client.put(_url("movie", uuid.uuid4()))).status_code == 401


async def test_concurrent_marks_record_one_play(committed_client, make_user, media):
    _, headers = await make_user()
    movie, _ = await media.movie()
    answers = await asyncio.gather(
        *(committed_client.put(_url("movie", movie.id), headers=headers) for _ in range(4))
    )
    assert all(answer.status_code == 200 for answer in answers)
    assert (await _history(committed_client, headers))["total"] == 1


async def test_history_of_one_item_with_subtitle_and_artwork(
    client, make_user, media, test_settings
):
    _, headers = await make_user()
    _, theirs = await make_user()
    series, episodes = await media.series()
    heat, _ = await media.movie()
    await media.image("series", series.id)
    await watch(client, headers, "episode", episodes[0].id, start_minutes=0, stop_at_ms=40 * MINUTE)
    await watch(
        client, headers, "episode", episodes[1].id, start_minutes=60, stop_at_ms=40 * MINUTE
    )
    await watch(client, headers, "movie", heat.id, start_minutes=120, stop_at_ms=60 * MINUTE)
    await watch(client, theirs, "episode", episodes[0].id, start_minutes=0, stop_at_ms=40 * MINUTE)

    everything = await _history(client, headers)
    assert everything["total"] == 3
    one = await _history(client, headers, media_type="episode", media_id=str(episodes[0].id))
    assert one["total"] == 1
    entry = one["items"][0]
    assert entry["media_id"] == str(episodes[0].id)
    assert entry["title"] == "Dark S01E01 – Episode 1"
    assert entry["subtitle"] == "Dark S01E01"
    assert (
        entry["artwork"]
        == artwork_urls.urls_for(test_settings.secret, "episode", episodes[0].id).model_dump()
    )
    episodes_only = await _history(client, headers, media_type="episode")
    assert episodes_only["total"] == 2
    movies = await _history(client, headers, media_type="movie")
    assert [e["media_id"] for e in movies["items"]] == [str(heat.id)]
    assert movies["items"][0]["subtitle"] is None and movies["items"][0]["artwork"] is None
    by_id = await _history(client, headers, media_id=str(heat.id))
    assert by_id["total"] == 1
    bad = await client.get(
        "/api/v1/users/me/history", headers=headers, params={"media_type": "series"}
    )
    assert bad.status_code == 422
