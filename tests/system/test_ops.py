from __future__ import annotations

from revenge.core.migrate import downgrade, pending_revisions, upgrade


async def test_health_ready_and_metrics(client):
    assert (await client.get("/healthz")).json() == {"status": "ok", "checks": {}}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "migrations": "ok"}
    metrics = await client.get("/metrics")
    assert "revenge_http_requests_total" in metrics.text
    assert ready.headers["x-request-id"]


async def test_admin_job_list_shows_deferred_jobs(client, make_user):
    from tests.factories import make_movie

    _, admin = await make_user(is_admin=True)
    movie = await make_movie()
    await client.post(
        "/api/v1/playback/events",
        json={"media_type": "movie", "media_id": str(movie.id), "event": "start", "position_ms": 0},
        headers=admin,
    )
    body = (await client.get("/api/v1/admin/jobs?status=todo", headers=admin)).json()
    assert body["total"] == len(body["items"])
    assert all(job["status"] == "todo" for job in body["items"])


async def test_migrations_downgrade_one_step_and_upgrade_again(real_database):
    engine = real_database.engine
    assert await pending_revisions(engine) == set()
    await downgrade(engine, "-1")
    assert await pending_revisions(engine) != set()
    await upgrade(engine)
    assert await pending_revisions(engine) == set()
