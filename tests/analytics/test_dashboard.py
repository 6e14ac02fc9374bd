"""What the admin dashboard adds to the statistics: plays per day and media type, artwork and
freshness of the rankings, display names, and ranking the latest plays on demand."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, timedelta

import pytest
from sqlalchemy import text, update

from revenge.core import artwork_urls
from revenge.core.clock import utcnow
from revenge.core.config import get_settings
from revenge.core.db import session_scope
from revenge.library.models import MediaImage
from revenge.users.models import User
from tests.analytics.conftest import add_session, generate_history, make_catalogue, raw_plays

OVERVIEW = "/api/v1/admin/analytics/overview"
POPULAR = "/api/v1/admin/analytics/popular"
REFRESH = "/api/v1/admin/analytics/rankings/refresh"


async def _refresh_jobs() -> list[tuple[str, object]]:
    async with session_scope() as s:
        rows = await s.execute(
            text(
                "SELECT status::text, scheduled_at FROM procrastinate_jobs "
                "WHERE task_name = 'analytics.refresh_rankings' AND status = 'todo'"
            )
        )
        return [tuple(r) for r in rows]


async def test_overview_counts_every_day_of_the_window_per_media_type(client, make_user, jobs):
    cat = await make_catalogue()
    users = [(await make_user(timezone=tz))[0] for tz in ("UTC", "Asia/Tokyo")]
    _, admin = await make_user(is_admin=True)
    await generate_history(users, cat, plays=60, seed=11, days=40)
    await jobs.run()
    plays = await raw_plays()
    today = utcnow().astimezone(UTC).date()

    for window, days in (("7d", 7), ("30d", 30)):
        body = (await client.get(f"{OVERVIEW}?window={window}", headers=admin)).json()
        series = body["plays_by_day"]
        assert [p["day"] for p in series] == [
            (today - timedelta(days=days - 1 - n)).isoformat() for n in range(days)
        ]
        start = today - timedelta(days=days - 1)
        expected = Counter(
            (p.utc_day.isoformat(), p.media_type) for p in plays if p.utc_day >= start
        )
        got = Counter(
            {
                (p["day"], kind): p[kind]
                for p in series
                for kind in ("movie", "episode", "track")
                if p[kind]
            }
        )
        assert got == expected
        # The same plays as the window's totals, split by day instead of by type.
        assert sum(got.values()) == body["plays"]
    # A 30-day window of 60 plays over 40 days has both played and empty days.
    assert any(not (p["movie"] or p["episode"] or p["track"]) for p in series)


async def test_popular_says_when_plays_wait_to_be_ranked_and_ranks_them_on_demand(
    client, make_user, jobs
):
    cat = await make_catalogue()
    player, _ = await make_user()
    _, admin = await make_user(is_admin=True)
    _, user_headers = await make_user()
    kind, media_id, duration = next(i for i in cat.items if i[0] == "track")
    await add_session(player.id, kind, media_id, duration, utcnow() - timedelta(hours=1), duration)
    # The play is folded into the totals at once; the rankings wait for the batched refresh.
    assert await jobs.run("analytics.record_play") == ["analytics.record_play"]
    [(_, scheduled)] = await _refresh_jobs()

    overview = (await client.get(OVERVIEW, headers=admin)).json()
    assert {t["media_type"]: t["plays"] for t in overview["by_media_type"]} == {"track": 1}
    waiting = (await client.get(f"{POPULAR}?media_type=track", headers=admin)).json()
    assert waiting["items"] == [] and waiting["computed_at"] is None
    due = waiting["refresh_due_at"]
    assert due is not None
    assert abs((scheduled - utcnow()).total_seconds() - 600) < 60
    assert due.startswith(scheduled.astimezone(UTC).strftime("%Y-%m-%dT%H:%M"))

    # Only an admin may hurry it.
    assert (await client.post(REFRESH, headers=user_headers)).status_code == 403
    assert (await client.post(REFRESH)).status_code == 401
    response = await client.post(REFRESH, headers=admin)
    assert response.status_code == 202
    [(_, moved)] = await _refresh_jobs()  # the same job, now due
    assert moved <= utcnow() + timedelta(seconds=1)
    assert abs((moved - utcnow()).total_seconds()) < 30

    assert await jobs.run("analytics.refresh_rankings") == ["analytics.refresh_rankings"]
    ranked = (await client.get(f"{POPULAR}?media_type=track", headers=admin)).json()
    assert [(i["media_type"], i["media_id"]) for i in ranked["items"]] == [(kind, str(media_id))]
    assert ranked["refresh_due_at"] is None and ranked["computed_at"] is not None

    # Nothing waiting: asking queues a refresh that is due now.
    assert await _refresh_jobs() == []
    again = await client.post(REFRESH, headers=admin)
    assert again.status_code == 202
    [(_, queued)] = await _refresh_jobs()
    assert abs((queued - utcnow()).total_seconds()) < 30
    assert again.json()["refresh_due_at"] is not None


async def test_ranked_items_carry_artwork_when_they_have_a_picture(client, make_user, jobs):
    cat = await make_catalogue()
    player, _ = await make_user()
    _, admin = await make_user(is_admin=True)
    movies = [i for i in cat.items if i[0] == "movie"]
    track = next(i for i in cat.items if i[0] == "track")
    for kind, media_id, duration in [*movies[:2], track]:
        await add_session(
            player.id, kind, media_id, duration, utcnow() - timedelta(hours=2), duration
        )
    pictured = movies[0][1]
    async with session_scope() as s:
        s.add(
            MediaImage(
                media_type="movie",
                media_id=pictured,
                kind="poster",
                path=f"/srv/posters/{pictured}.jpg",
                size_bytes=1000,
                mtime=1.0,
            )
        )
    await jobs.run()

    body = (await client.get(f"{POPULAR}?metric=plays", headers=admin)).json()
    artwork = {i["media_id"]: i["artwork"] for i in body["items"]}
    assert set(artwork) == {str(movies[0][1]), str(movies[1][1]), str(track[1])}
    secret = get_settings().secret
    assert artwork[str(pictured)] == artwork_urls.urls_for(secret, "movie", pictured).model_dump()
    assert artwork[str(pictured)]["thumb"].endswith(
        f"/movie/{pictured}/{artwork_urls.THUMBNAIL}?sig="
        + artwork_urls.signature(secret, "movie", pictured, artwork_urls.THUMBNAIL)
    )
    # No picture of its own or its album's: nothing to load, the page shows its placeholder.
    assert artwork[str(movies[1][1])] is None
    assert artwork[str(track[1])] is None
    # Trending entries carry the same field.
    assert {i["media_id"]: i["artwork"] for i in body["trending"]}[str(pictured)] is not None


@pytest.mark.parametrize("display_name", ["Maria Müller", None])
async def test_usage_lists_users_with_their_display_name(client, make_user, display_name):
    user, _ = await make_user()
    _, admin = await make_user(is_admin=True)
    async with session_scope() as s:
        await s.execute(update(User).where(User.id == user.id).values(display_name=display_name))
    body = (await client.get("/api/v1/admin/analytics/users?sort=username", headers=admin)).json()
    row = next(u for u in body["items"] if u["user_id"] == str(user.id))
    assert row["username"] == user.username
    assert row["display_name"] == display_name
