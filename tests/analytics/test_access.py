"""Who may see what, and bad input answered with clear problems."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from revenge.core.clock import utcnow
from revenge.core.db import session_scope
from tests.analytics.conftest import add_session, make_catalogue, raw_plays
from tests.conftest import ROOT

REVENGE = str(Path(sys.executable).parent / "revenge")
ADMIN_PATHS = [
    "/api/v1/admin/analytics/overview",
    "/api/v1/admin/analytics/popular",
    "/api/v1/admin/analytics/users",
    f"/api/v1/admin/analytics/media/movie/{uuid.uuid4()}",
    "/api/v1/admin/analytics/reports",
]


async def test_a_user_sees_only_their_own_stats(client, make_user, jobs):
    cat = await make_catalogue()
    player, player_headers = await make_user()
    _, other_headers = await make_user()
    kind, media_id, duration = cat.items[0]
    await add_session(player.id, kind, media_id, duration, utcnow() - timedelta(hours=2), duration)
    await jobs.run()
    mine = (await client.get("/api/v1/users/me/stats", headers=player_headers)).json()
    theirs = (await client.get("/api/v1/users/me/stats", headers=other_headers)).json()
    assert next(p for p in mine["periods"] if p["period"] == "all")["movies_watched"] == 1
    assert all(p["movies_watched"] == 0 for p in theirs["periods"])
    assert theirs["top_genres"] == [] and theirs["current_streak_days"] == 0
    history = (await client.get("/api/v1/users/me/stats/history", headers=other_headers)).json()
    assert len(history["points"]) == 30
    assert sum(p["plays"] for p in history["points"]) == 0


@pytest.mark.parametrize("path", ADMIN_PATHS)
async def test_admin_endpoints_refuse_users_and_anonymous(client, make_user, path):
    _, user_headers = await make_user()
    forbidden = await client.get(path, headers=user_headers)
    assert forbidden.status_code == 403
    assert forbidden.json()["code"] == "auth.admin_required"
    anonymous = await client.get(path)
    assert anonymous.status_code == 401
    assert (await client.get("/api/v1/users/me/stats")).status_code == 401


async def test_bad_input_is_a_clear_problem(client, make_user):
    _, headers = await make_user(locale="de")
    _, admin = await make_user(is_admin=True)
    reversed_range = await client.get(
        "/api/v1/users/me/stats/history?from=2026-05-02&to=2026-05-01", headers=headers
    )
    assert reversed_range.status_code == 422
    assert reversed_range.json()["code"] == "analytics.invalid_range"
    assert reversed_range.json()["title"] == "Ungültiger Zeitraum"
    too_long = await client.get(
        "/api/v1/users/me/stats/history?from=2020-01-01&to=2026-01-01", headers=headers
    )
    assert too_long.status_code == 422
    assert too_long.json()["code"] == "analytics.range_too_large"
    missing = await client.get(f"/api/v1/admin/analytics/media/movie/{uuid.uuid4()}", headers=admin)
    assert missing.status_code == 404
    assert missing.json()["code"] == "library.item_not_found"
    for path in (
        "/api/v1/admin/analytics/media/album/" + str(uuid.uuid4()),
        "/api/v1/admin/analytics/popular?window=5d",
        "/api/v1/admin/analytics/popular?metric=likes",
        "/api/v1/admin/analytics/reports?format=xlsx",
    ):
        response = await client.get(path, headers=admin)
        assert response.status_code == 422, path
        assert response.headers["content-type"].startswith("application/problem+json")


async def test_rebuild_command_rebuilds_from_raw_sessions(committed_db, make_user, database_url):
    cat = await make_catalogue()
    user, _ = await make_user()
    now = utcnow()
    for i, (kind, media_id, duration) in enumerate(cat.items):
        started = now - timedelta(days=i, hours=1)
        await add_session(user.id, kind, media_id, duration, started, duration, announce=False)
    env = {
        **os.environ,
        "REVENGE_DATABASE_URL": database_url,
        "REVENGE_DATA_DIR": str(ROOT / ".pytest-pg" / "cli-data"),
        "REVENGE_ADMIN_PASSWORD": "cli-admin-password-123",
    }
    since = (now - timedelta(days=400)).date().isoformat()
    plays = await raw_plays()
    assert plays
    # From a day on (one transaction), then everything (helper connections, less memory).
    for extra_args, extra_env in (
        (["--since", since], {}),
        ([], {"REVENGE_ANALYTICS_REBUILD_MEMORY": "64MB"}),
    ):
        async with session_scope() as s:
            await s.execute(text("TRUNCATE shared.play_statistics, shared.user_statistics"))
        result = subprocess.run(
            [REVENGE, "analytics", "rebuild", *extra_args],
            env={**env, **extra_env},
            capture_output=True,
            text=True,
            timeout=120,
            cwd=ROOT,
        )
        assert result.returncode == 0, result.stderr
        assert "analytics rebuilt" in result.stdout
        async with session_scope() as s:
            total = (
                await s.execute(text("SELECT sum(total_plays) FROM shared.play_statistics"))
            ).scalar_one()
            watched = (
                await s.execute(
                    text(
                        "SELECT total_watch_time_ms FROM shared.user_statistics "
                        "WHERE user_id = :u AND period = 'all'"
                    ),
                    {"u": user.id},
                )
            ).scalar_one()
        assert total == len(plays)
        assert watched == sum(p.played_ms for p in plays)
    bad = subprocess.run(
        [REVENGE, "analytics", "rebuild", "--since", "yesterday"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert bad.returncode == 2


async def test_reads_during_a_full_rebuild_get_a_clear_503_not_a_hang(
    client, make_user, real_database, monkeypatch
):
    """A full rebuild holds the statistics tables until it commits; readers wait briefly, then
    are told (in their language) to come back, with Retry-After."""
    from revenge.analytics import api

    monkeypatch.setattr(api, "READ_LOCK_TIMEOUT_MS", 200)
    _, user_headers = await make_user(locale="de")
    _, admin_headers = await make_user(is_admin=True)
    async with real_database.engine.connect() as rebuild:  # another connection, like the CLI
        await rebuild.execute(
            text(
                "LOCK TABLE shared.user_statistics, shared.analytics_rankings, "
                "shared.analytics_state IN ACCESS EXCLUSIVE MODE"
            )
        )
        for path, headers in (
            ("/api/v1/users/me/stats", user_headers),
            ("/api/v1/admin/analytics/popular", admin_headers),
        ):
            response = await client.get(path, headers=headers)
            assert response.status_code == 503, response.text
            body = response.json()
            assert body["code"] == "analytics.rebuilding"
            assert response.headers["retry-after"] == str(api.REBUILD_RETRY_AFTER_SECONDS)
        assert body["title"] == "Statistics are being rebuilt"  # the admin's default locale
        german = (await client.get("/api/v1/users/me/stats", headers=user_headers)).json()
        assert german["title"] == "Statistiken werden neu aufgebaut"
        await rebuild.rollback()
    assert (await client.get("/api/v1/users/me/stats", headers=user_headers)).status_code == 200
