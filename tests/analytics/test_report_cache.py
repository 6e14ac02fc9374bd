"""Reports keep their per-user part between downloads and build it again as soon as a play of
the period, a user or a rebuild changes what it shows."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import text

from revenge.analytics import service
from revenge.analytics.schemas import ReportPeriod
from revenge.core.clock import utcnow
from revenge.core.db import session_scope
from tests.analytics.conftest import add_session, make_catalogue

URL = "/api/v1/admin/analytics/reports"


async def _report(client, admin, day) -> dict:
    params = {"period": "month", "date": day.isoformat()}
    response = await client.get(URL, params=params, headers=admin)
    assert response.status_code == 200
    return response.json()


async def _plays_by_user(body: dict) -> dict[str, int]:
    return {row["username"]: row["plays"] for row in body["users"]}


async def _tamper_cached_users() -> None:
    """Make the cached part recognisably wrong without touching its stamp."""
    async with session_scope() as s:
        changed = await s.execute(
            text("UPDATE shared.analytics_report_cache SET users_json = '[]'")
        )
        assert changed.rowcount == 1


async def test_report_is_served_from_cache_until_a_play_or_user_changes(make_user, jobs, client):
    cat = await make_catalogue()
    alice, _ = await make_user(username="alice-report")
    bob, _ = await make_user(username="bob-report")
    _, admin = await make_user(is_admin=True)
    kind, media_id, duration = next(i for i in cat.items if i[0] == "movie")
    # Two days ago at 10:00 and 11:00 UTC: one day, one month, whenever the test runs.
    played = (utcnow() - timedelta(days=2)).replace(hour=10, minute=0)
    day = played.date()
    await add_session(alice.id, kind, media_id, duration, played, duration)
    await add_session(bob.id, kind, media_id, duration, played, duration)
    await jobs.run()

    first = await _report(client, admin, day)
    assert await _plays_by_user(first) == {"alice-report": 1, "bob-report": 1}

    # Unchanged data: the cached rows are served as stored (here: as tampered with).
    await _tamper_cached_users()
    assert (await _report(client, admin, day))["users"] == []

    # A play of the period makes the next download build the rows again.
    await add_session(alice.id, kind, media_id, duration, played + timedelta(hours=1), duration)
    await jobs.run()
    second = await _report(client, admin, day)
    assert await _plays_by_user(second) == {"alice-report": 2, "bob-report": 1}
    movies = next(t for t in second["media_types"] if t["media_type"] == "movie")
    assert movies["plays"] == 3 and movies["unique_users"] == 2

    # A renamed user too, and a deleted one.
    await _tamper_cached_users()
    async with session_scope() as s:
        await s.execute(
            text("UPDATE shared.users SET username = 'alice-renamed' WHERE id = :id"),
            {"id": alice.id},
        )
    assert await _plays_by_user(await _report(client, admin, day)) == {
        "alice-renamed": 2,
        "bob-report": 1,
    }
    await _tamper_cached_users()
    async with session_scope() as s:
        await s.execute(text("DELETE FROM shared.users WHERE id = :id"), {"id": bob.id})
    assert await _plays_by_user(await _report(client, admin, day)) == {"alice-renamed": 2}

    # A rebuild empties the cache (its counters start again from zero).
    async with session_scope() as s:
        await service.rebuild(s, None)
        cached = await s.execute(text("SELECT count(*) FROM shared.analytics_report_cache"))
        assert cached.scalar_one() == 0
    assert await _plays_by_user(await _report(client, admin, day)) == {"alice-renamed": 2}


async def test_cached_and_fresh_documents_are_the_same(make_user, jobs):
    cat = await make_catalogue()
    users = [(await make_user())[0] for _ in range(3)]
    played = (utcnow() - timedelta(days=2)).replace(hour=1, minute=0)
    for n, (kind, media_id, duration) in enumerate(cat.items):
        user = users[n % len(users)]
        started = played + timedelta(minutes=20 * n)
        await add_session(user.id, kind, media_id, duration, started, duration)
    await jobs.run()
    movie_id = next(i for k, i, _ in cat.items if k == "movie")
    async with session_scope() as s:
        fresh = json.loads((await service.report(s, ReportPeriod.month, played.date())).to_json())
        # Titles are looked up on every read, cached report or not.
        await s.execute(
            text("UPDATE public.movies SET title = 'Renamed' WHERE id = :id"), {"id": movie_id}
        )
        document = await service.report(s, ReportPeriod.month, played.date())
    cached = json.loads(document.to_json())
    assert len(cached["users"]) == 3
    titles = {c["media_id"]: c.pop("title") for c in cached["top_content"]}
    assert titles[str(movie_id)] == "Renamed"
    assert all(titles.values())
    for content in fresh["top_content"]:
        content.pop("title")
    assert cached == fresh
    # The model form (CSV) and the JSON form carry the same rows.
    assert json.loads(document.to_model().model_dump_json())["users"] == cached["users"]
