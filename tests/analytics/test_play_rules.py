"""Plays sent through the real playback API: the play rules decide what the statistics count."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import text

from revenge.core.clock import utcnow
from revenge.core.db import session_scope
from tests.factories import make_movie, make_track

MINUTE = 60_000


async def send(client, headers, item, media_type, event, at, position_ms=0):
    response = await client.post(
        "/api/v1/playback/events",
        json={
            "media_type": media_type,
            "media_id": str(item.id),
            "event": event,
            "position_ms": position_ms,
            "occurred_at": at.isoformat(),
            "client": "Web",
            "device": "Firefox",
        },
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return response.json()


async def item_stats(media_id):
    async with session_scope() as s:
        row = (
            (
                await s.execute(
                    text("SELECT * FROM shared.play_statistics WHERE media_id = :id"),
                    {"id": media_id},
                )
            )
            .mappings()
            .first()
        )
    return dict(row) if row else None


async def my_all_time(client, headers):
    body = (await client.get("/api/v1/users/me/stats", headers=headers)).json()
    return next(p for p in body["periods"] if p["period"] == "all")


async def test_pauses_excluded_and_a_resumed_session_counts_once(client, make_user, jobs):
    movie = await make_movie(duration_ms=100 * MINUTE)
    _, headers = await make_user()
    t0 = utcnow() - timedelta(hours=3)
    await send(client, headers, movie, "movie", "start", t0)
    await send(client, headers, movie, "movie", "pause", t0 + timedelta(minutes=5))
    await send(client, headers, movie, "movie", "resume", t0 + timedelta(minutes=65))
    await send(client, headers, movie, "movie", "stop", t0 + timedelta(minutes=70))
    await jobs.run()
    stats = await item_stats(movie.id)
    assert (stats["total_plays"], stats["total_duration_ms"]) == (1, 10 * MINUTE)
    # Started again 10 minutes later: the same play continues and finishes a second time.
    await send(client, headers, movie, "movie", "start", t0 + timedelta(minutes=80))
    await send(client, headers, movie, "movie", "stop", t0 + timedelta(minutes=110))
    await jobs.run()
    stats = await item_stats(movie.id)
    assert (stats["total_plays"], stats["unique_users"]) == (1, 1)
    assert stats["total_duration_ms"] == 40 * MINUTE
    mine = await my_all_time(client, headers)
    assert (mine["movies_watched"], mine["total_watch_time_ms"]) == (1, 40 * MINUTE)
    # Running the subscriber again changes nothing.
    async with session_scope() as s:
        await s.execute(
            text(
                "UPDATE procrastinate_jobs SET status = 'todo' WHERE task_name = 'analytics.record_play'"
            )
        )
    await jobs.run()
    assert await item_stats(movie.id) == stats


async def test_over_long_session_is_capped_and_short_play_is_not_counted(client, make_user, jobs):
    long_track = await make_track(duration_ms=200_000)
    short_track = await make_track("Angel", duration_ms=300_000)
    _, headers = await make_user()
    t0 = utcnow() - timedelta(hours=2)
    await send(client, headers, long_track, "track", "start", t0)
    await send(client, headers, long_track, "track", "stop", t0 + timedelta(minutes=60))
    await send(client, headers, short_track, "track", "start", t0 + timedelta(minutes=61))
    await send(client, headers, short_track, "track", "stop", t0 + timedelta(minutes=62))
    await jobs.run()
    assert (await item_stats(long_track.id))["total_duration_ms"] == 200_000
    assert await item_stats(short_track.id) is None
    mine = await my_all_time(client, headers)
    assert (mine["music_tracks_played"], mine["total_watch_time_ms"]) == (1, 200_000)


async def test_late_evening_play_counts_on_the_users_local_day(client, make_user, jobs):
    movie = await make_movie(duration_ms=30 * MINUTE)
    _, ny_headers = await make_user(timezone="America/New_York")
    _, tokyo_headers = await make_user(timezone="Asia/Tokyo")
    ny, tokyo = ZoneInfo("America/New_York"), ZoneInfo("Asia/Tokyo")
    day = utcnow().astimezone(ny).date() - timedelta(days=3)
    late = datetime.combine(day, time(23, 30), ny)  # 04:30 UTC the next day
    early = datetime.combine(day, time(0, 15), tokyo)  # 15:15 UTC the day before
    await send(client, ny_headers, movie, "movie", "start", late)
    await send(client, ny_headers, movie, "movie", "stop", late + timedelta(minutes=20))
    await send(client, tokyo_headers, movie, "movie", "start", early)
    await send(client, tokyo_headers, movie, "movie", "stop", early + timedelta(minutes=20))
    await jobs.run()
    assert late.astimezone(UTC).date() == day + timedelta(days=1)
    assert early.astimezone(UTC).date() == day - timedelta(days=1)
    for headers in (ny_headers, tokyo_headers):
        history = (
            await client.get(
                "/api/v1/users/me/stats/history",
                params={
                    "from": (day - timedelta(days=1)).isoformat(),
                    "to": (day + timedelta(days=1)).isoformat(),
                },
                headers=headers,
            )
        ).json()
        plays = {p["period_start"]: p["plays"] for p in history["points"]}
        assert plays == {
            (day - timedelta(days=1)).isoformat(): 0,
            day.isoformat(): 1,
            (day + timedelta(days=1)).isoformat(): 0,
        }
