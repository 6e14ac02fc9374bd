"""Every statistic checked against a plain computation over the raw sessions."""

from __future__ import annotations

import csv
import io
import math
from collections import Counter, defaultdict
from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from revenge.analytics import service
from revenge.core.clock import utcnow
from revenge.core.db import session_scope
from tests.analytics.conftest import (
    expected_user_statistics,
    generate_history,
    make_catalogue,
    period_start,
    rankings,
    raw_plays,
    snapshot,
)

TIMEZONES = ["UTC", "America/New_York", "Asia/Tokyo", "Pacific/Auckland"]


@pytest.fixture
async def history(make_user, jobs):
    cat = await make_catalogue()
    users = []
    for tz in TIMEZONES:
        user, headers = await make_user(timezone=tz)
        users.append((user, headers))
    _, admin_headers = await make_user(is_admin=True)
    await generate_history([u for u, _ in users], cat, plays=80)
    ran = await jobs.run()
    assert ran.count("analytics.record_play") == 80
    assert "analytics.refresh_rankings" in ran
    return cat, users, admin_headers


async def check_play_statistics_match_the_raw_sessions(history):
    plays = await raw_plays()
    everything = await raw_plays(counted_only=False)
    assert 0 < len(plays) < len(everything)  # some plays were too short to count
    expected = {}
    for p in plays:
        key = (p.media_type, p.media_id)
        row = expected.setdefault(key, {"plays": 0, "users": set(), "ms": 0, "done": 0, "ts": []})
        row["plays"] += 1
        row["users"].add(p.user_id)
        row["ms"] += p.played_ms
        row["done"] += p.played_ms >= 0.9 * p.duration_ms
        row["ts"].append(p.started_at)
    async with session_scope() as s:
        rows = (await s.execute(text("SELECT * FROM shared.play_statistics"))).mappings().all()
    assert len(rows) == len(expected)
    for r in rows:
        e = expected[(r["media_type"], r["media_id"])]
        assert r["total_plays"] == e["plays"]
        assert r["unique_users"] == len(e["users"])
        assert r["total_duration_ms"] == e["ms"]
        assert r["completed_plays"] == e["done"]
        assert (r["first_played"], r["last_played"]) == (min(e["ts"]), max(e["ts"]))
        # time played never exceeds the items' lengths (over-long sessions are capped)
        assert r["total_duration_ms"] <= r["total_plays"] * max(p.duration_ms for p in plays)


async def check_user_statistics_follow_each_users_timezone(history):
    plays = await raw_plays()
    expected = expected_user_statistics(plays)
    async with session_scope() as s:
        rows = (await s.execute(text("SELECT * FROM shared.user_statistics"))).mappings().all()
    actual = {
        (r["user_id"], r["period"], r["period_start"]): {
            k: r[k]
            for k in (
                "movies_watched",
                "episodes_watched",
                "music_tracks_played",
                "total_watch_time_ms",
            )
            if r[k]
        }
        for r in rows
    }
    assert actual == {k: dict(v) for k, v in expected.items()}


async def check_my_stats_totals_top_lists_and_streak(history, client):
    cat, users, _ = history
    plays = await raw_plays()
    for user, headers in users:
        body = (await client.get("/api/v1/users/me/stats", headers=headers)).json()
        mine = [p for p in plays if p.user_id == user.id]
        today = utcnow().astimezone(ZoneInfo(user.timezone)).date()
        assert body["timezone"] == user.timezone
        for period in body["periods"]:
            start = period_start(period["period"], today)
            assert period["period_start"] == start.isoformat()
            inside = [p for p in mine if period_start(period["period"], p.local.date()) == start]
            assert period["movies_watched"] == sum(p.media_type == "movie" for p in inside)
            assert period["episodes_watched"] == sum(p.media_type == "episode" for p in inside)
            assert period["music_tracks_played"] == sum(p.media_type == "track" for p in inside)
            assert period["total_watch_time_ms"] == sum(p.played_ms for p in inside)
        genres: Counter[str] = Counter()
        artists: Counter[str] = Counter()
        series: Counter[str] = Counter()
        for p in mine:
            for g in cat.genres[(p.media_type, p.media_id)]:
                genres[g] += 1
            if p.media_type == "track":
                artists[cat.artist_of[p.media_id][1]] += 1
            if p.media_type == "episode":
                series[cat.series_of[p.media_id][1]] += 1
        assert {g["name"]: g["plays"] for g in body["top_genres"]} == dict(genres)
        assert {a["name"]: a["plays"] for a in body["top_artists"]} == dict(artists)
        assert {s["name"]: s["plays"] for s in body["top_series"]} == dict(series)
        days = {p.local.date() for p in mine}
        day, streak = (today if today in days else today - timedelta(days=1)), 0
        while day in days:
            streak, day = streak + 1, day - timedelta(days=1)
        assert body["current_streak_days"] == streak


async def check_history_series_by_day_week_month_and_type(history, client):
    _, users, _ = history
    plays = await raw_plays()
    user, headers = users[1]
    mine = [p for p in plays if p.user_id == user.id]
    today = utcnow().astimezone(ZoneInfo(user.timezone)).date()
    start = today - timedelta(days=60)
    for interval in ("day", "week", "month"):
        for media_type in (None, "movie", "track"):
            params = {"interval": interval, "from": start.isoformat(), "to": today.isoformat()}
            if media_type:
                params["media_type"] = media_type
            response = await client.get(
                "/api/v1/users/me/stats/history", params=params, headers=headers
            )
            assert response.status_code == 200, response.text
            body = response.json()
            assert body["from"] == start.isoformat()
            counted = defaultdict(lambda: [0, 0])
            # Buckets are whole periods: the first one is the period that contains `from`.
            first_bucket = period_start(interval, start)
            for p in mine:
                day = p.local.date()
                in_range = first_bucket <= period_start(interval, day) and day <= today
                if in_range and media_type in (None, p.media_type):
                    counted[period_start(interval, day)][0] += 1
                    counted[period_start(interval, day)][1] += p.played_ms
            points = {
                pt["period_start"]: [pt["plays"], pt["watch_time_ms"]] for pt in body["points"]
            }
            assert points[period_start(interval, start).isoformat()] is not None
            assert {k: v for k, v in points.items() if v[0]} == {
                k.isoformat(): v for k, v in counted.items()
            }


async def check_overview_matches_raw_sessions(history, client):
    _, users, admin = history
    plays = await raw_plays()
    today = utcnow().astimezone(UTC).date()
    start = today - timedelta(days=29)
    inside = [p for p in plays if p.utc_day >= start]
    body = (await client.get("/api/v1/admin/analytics/overview?window=30d", headers=admin)).json()
    assert body["plays"] == len(inside)
    assert body["watch_time_ms"] == sum(p.played_ms for p in inside)
    assert body["active_users"] == len({p.user_id for p in inside})
    assert body["total_users"] == len(users) + 1
    assert body["library"] == {
        "movies": 3,
        "series": 2,
        "episodes": 4,
        "artists": 2,
        "albums": 2,
        "tracks": 6,
    }
    hours = Counter(p.local.hour for p in inside)
    assert {b["key"]: b["plays"] for b in body["plays_by_hour"] if b["plays"]} == dict(hours)
    weekdays = Counter(p.local.isoweekday() for p in inside)
    assert {b["key"]: b["plays"] for b in body["plays_by_weekday"] if b["plays"]} == dict(weekdays)
    clients = Counter((p.client, p.device) for p in inside)
    assert {(c["client"], c["device"]): c["plays"] for c in body["clients"]} == dict(clients)
    by_type = Counter(p.media_type for p in inside)
    assert {t["media_type"]: t["plays"] for t in body["by_media_type"]} == dict(by_type)


async def check_popular_top_and_trending(history, client, metric):
    _, _, admin = history
    plays = await raw_plays()
    today = utcnow().astimezone(UTC).date()
    start = today - timedelta(days=6)
    previous_start = start - timedelta(days=7)
    recent = [p for p in plays if p.utc_day >= start]
    agg: dict = defaultdict(lambda: {"plays": 0, "users": set(), "ms": 0, "prev": 0})
    for p in recent:
        a = agg[(p.media_type, str(p.media_id))]
        a["plays"] += 1
        a["users"].add(p.user_id)
        a["ms"] += p.played_ms
    for p in plays:
        if previous_start <= p.utc_day < start:
            agg[(p.media_type, str(p.media_id))]["prev"] += 1
    key = {
        "plays": lambda a: (a["plays"], len(a["users"])),
        "users": lambda a: (len(a["users"]), a["plays"]),
        "duration": lambda a: (a["ms"], a["plays"]),
    }[metric]
    response = await client.get(
        f"/api/v1/admin/analytics/popular?window=7d&metric={metric}&limit=100", headers=admin
    )
    body = response.json()
    assert body["computed_at"] is not None
    got = [(i["media_type"], i["media_id"]) for i in body["items"]]
    assert sorted(got) == sorted(k for k, a in agg.items() if a["plays"])
    values = [key(agg[k]) for k in got]
    assert values == sorted(values, reverse=True)
    for item in body["items"]:
        a = agg[(item["media_type"], item["media_id"])]
        assert (item["plays"], item["unique_users"], item["duration_ms"]) == (
            a["plays"],
            len(a["users"]),
            a["ms"],
        )
        assert item["title"]
    trending = {
        k: (a["plays"] - a["prev"]) / math.sqrt(a["prev"] + 1)
        for k, a in agg.items()
        if a["plays"] > a["prev"]
    }
    got_trending = [(i["media_type"], i["media_id"]) for i in body["trending"]]
    assert sorted(got_trending) == sorted(trending)
    scores = [i["score"] for i in body["trending"]]
    assert scores == sorted(scores, reverse=True)
    for item in body["trending"]:
        assert item["score"] == pytest.approx(trending[(item["media_type"], item["media_id"])])
    only_tracks = (
        await client.get(
            "/api/v1/admin/analytics/popular?window=7d&media_type=track", headers=admin
        )
    ).json()
    assert all(i["media_type"] == "track" for i in only_tracks["items"])


async def check_admin_users_and_media_detail(history, client):
    cat, users, admin = history
    plays = await raw_plays()
    body = (await client.get("/api/v1/admin/analytics/users?limit=50", headers=admin)).json()
    assert body["total"] == len(users) + 1
    by_id = {u["user_id"]: u for u in body["items"]}
    for user, _ in users:
        mine = [p for p in plays if p.user_id == user.id]
        row = by_id[str(user.id)]
        assert row["plays"] == len(mine)
        assert row["watch_time_ms"] == sum(p.played_ms for p in mine)
        assert row["music_tracks_played"] == sum(p.media_type == "track" for p in mine)
        assert row["last_seen"] is not None
    listed = [u["plays"] for u in body["items"]]
    assert listed == sorted(listed, reverse=True)

    media_type, media_id, _ = max(cat.items, key=lambda i: sum(p.media_id == i[1] for p in plays))
    mine = [p for p in plays if p.media_id == media_id]
    response = await client.get(
        f"/api/v1/admin/analytics/media/{media_type}/{media_id}?window=90d", headers=admin
    )
    detail = response.json()
    assert detail["total_plays"] == len(mine)
    assert detail["unique_users"] == len({p.user_id for p in mine})
    completed = sum(p.played_ms >= 0.9 * p.duration_ms for p in mine)
    assert detail["completion_rate"] == pytest.approx(completed / len(mine))
    series = Counter(p.utc_day.isoformat() for p in mine)
    assert {
        pt["period_start"]: pt["plays"] for pt in detail["plays_over_time"] if pt["plays"]
    } == dict(series)
    assert len(detail["plays_over_time"]) == 90


async def check_report_json_and_csv(history, client):
    _, _, admin = history
    plays = await raw_plays()
    today = utcnow().astimezone(UTC).date()
    response = await client.get(
        "/api/v1/admin/analytics/reports",
        params={"period": "month", "date": today.isoformat(), "format": "json"},
        headers=admin,
    )
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    body = response.json()
    month = today.replace(day=1)
    in_month = [p for p in plays if p.utc_day >= month]
    types = {t["media_type"]: t for t in body["media_types"]}
    for kind in ("movie", "episode", "track"):
        assert types[kind]["plays"] == sum(p.media_type == kind for p in in_month)
    for row in body["users"]:
        local = [
            p
            for p in plays
            if str(p.user_id) == row["user_id"] and p.local.date().replace(day=1) == month
        ]
        assert row["plays"] == len(local)
    top = Counter((p.media_type, str(p.media_id)) for p in in_month)
    assert {(c["media_type"], c["media_id"]): c["plays"] for c in body["top_content"]} == dict(top)

    csv_response = await client.get(
        "/api/v1/admin/analytics/reports",
        params={"period": "month", "date": today.isoformat(), "format": "csv"},
        headers=admin,
    )
    assert csv_response.headers["content-type"].startswith("text/csv")
    assert csv_response.headers["content-disposition"] == (
        f'attachment; filename="revenge-analytics-month-{month.isoformat()}.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(csv_response.text)))
    sections = Counter(r["section"] for r in rows)
    assert sections["media_type"] == 3
    assert sections["top_content"] == len(top)
    assert sections["user"] == len(body["users"])


async def check_rebuild_equals_incremental(history, db):
    incremental = await snapshot()
    assert incremental["analytics_play_facts"]
    async with session_scope() as s:
        await service.refresh_rankings(s)
    ranked = await rankings()
    assert any(r[7] > 1 for r in ranked)  # unique users counted, not just plays
    async with session_scope() as s:
        await service.rebuild(s, None)
    assert await snapshot() == incremental
    # The rebuild's rankings take their unique users from its own pass: the same lists.
    assert await rankings() == ranked
    since = utcnow().date() - timedelta(days=20)
    async with session_scope() as s:
        await service.rebuild(s, since)
    assert await snapshot() == incremental


async def check_aggregation_job_is_idempotent_and_catches_missed_plays(history, jobs, make_user):
    cat, users, _ = history
    before = await snapshot()
    for _ in range(2):
        async with session_scope() as s:
            assert await service.aggregate(s, timedelta(days=2)) == 0
        assert await snapshot() == before
    # A play whose "finished" event never arrived is picked up by the daily job.
    from tests.analytics.conftest import add_session

    kind, media_id, duration = cat.items[0]
    await add_session(
        users[0][0].id,
        kind,
        media_id,
        duration,
        utcnow() - timedelta(hours=3),
        duration,
        announce=False,
    )
    async with session_scope() as s:
        assert await service.aggregate(s, timedelta(days=2)) == 1
    after = await snapshot()
    assert after != before
    async with session_scope() as s:
        await service.rebuild(s, None)
    assert await snapshot() == after


# One generated history per test (each test's data is rolled back), several checks on it.


async def test_stored_statistics_rebuild_and_aggregation_job(history, jobs, make_user, db):
    await check_play_statistics_match_the_raw_sessions(history)
    await check_user_statistics_follow_each_users_timezone(history)
    await check_rebuild_equals_incremental(history, db)
    await check_aggregation_job_is_idempotent_and_catches_missed_plays(history, jobs, make_user)


async def test_user_endpoints(history, client):
    await check_my_stats_totals_top_lists_and_streak(history, client)
    await check_history_series_by_day_week_month_and_type(history, client)


async def test_admin_endpoints(history, client):
    await check_overview_matches_raw_sessions(history, client)
    for metric in ("plays", "users", "duration"):
        await check_popular_top_and_trending(history, client, metric)
    await check_admin_users_and_media_detail(history, client)
    await check_report_json_and_csv(history, client)
