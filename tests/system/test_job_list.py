"""The admin job list: routine periodic sweeps that succeeded are left out unless asked for,
filters by status, task and queue, and each job says when it ran and for how long."""

from __future__ import annotations

import json

from sqlalchemy import text


async def _job(
    session,
    task: str,
    status: str,
    *,
    args: dict | None = None,
    queue: str = "default",
    ran_seconds: float | None = None,
) -> int:
    """A job moved through procrastinate's states (its triggers write the events); the start
    is moved back so the job ran ``ran_seconds``."""
    job_id = (
        await session.execute(
            text(
                "INSERT INTO procrastinate_jobs (queue_name, task_name, args, status) "
                "VALUES (:q, :t, CAST(:a AS jsonb), 'todo') RETURNING id"
            ),
            {"q": queue, "t": task, "a": json.dumps(args or {})},
        )
    ).scalar_one()
    for step in {"todo": [], "doing": ["doing"]}.get(status, ["doing", status]):
        await session.execute(
            text(
                "UPDATE procrastinate_jobs SET status = CAST(:s AS procrastinate_job_status) "
                "WHERE id = :id"
            ),
            {"s": step, "id": job_id},
        )
    if ran_seconds is not None:
        await session.execute(
            text(
                "UPDATE procrastinate_events SET at = at - make_interval(secs => :secs) "
                "WHERE job_id = :id AND type = 'started'"
            ),
            {"secs": ran_seconds, "id": job_id},
        )
    return job_id


async def _periodic(session, task: str) -> None:
    await session.execute(
        text(
            "INSERT INTO procrastinate_periodic_defers (task_name, defer_timestamp) "
            "VALUES (:t, 1) ON CONFLICT DO NOTHING"
        ),
        {"t": task},
    )


async def _list(client, headers, **query) -> dict:
    response = await client.get("/api/v1/admin/jobs", params=query, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_routine_sweeps_are_hidden_unless_asked_for(client, make_user, session):
    _, admin = await make_user(is_admin=True)
    await _periodic(session, "test.sweep")
    sweeps = [
        await _job(session, "test.sweep", "succeeded", args={"timestamp": 1000 + i})
        for i in range(3)
    ]
    failed_sweep = await _job(session, "test.sweep", "failed", args={"timestamp": 2000})
    # The same task deferred by an event (no schedule timestamp) is not routine.
    by_event = await _job(session, "test.sweep", "succeeded", args={"item_id": "x"})
    scan = await _job(session, "test.scan", "succeeded", args={"library_id": "abc"})

    body = await _list(client, admin)
    ids = [job["id"] for job in body["items"]]
    assert not set(sweeps) & set(ids)
    assert {failed_sweep, by_event, scan} <= set(ids)
    assert body["routine_hidden"] == 3
    assert body["total"] == len(ids)
    periodic = {job["id"]: job["periodic"] for job in body["items"]}
    assert periodic[failed_sweep] is True and periodic[by_event] is False

    everything = await _list(client, admin, routine="true")
    assert set(sweeps) <= {job["id"] for job in everything["items"]}
    assert everything["routine_hidden"] == 0
    assert everything["total"] == body["total"] + 3


async def test_filters_by_status_task_and_queue(client, make_user, session):
    _, admin = await make_user(is_admin=True)
    a = await _job(session, "test.a", "failed", queue="media")
    b = await _job(session, "test.a", "succeeded", queue="default")
    c = await _job(session, "test.b", "failed", queue="media")

    assert [j["id"] for j in (await _list(client, admin, task="test.a"))["items"]] == [b, a]
    media = await _list(client, admin, queue="media", status="failed")
    assert [j["id"] for j in media["items"]] == [c, a]
    assert (await _list(client, admin, queue="media", task="test.b"))["total"] == 1

    facets = (await client.get("/api/v1/admin/jobs/facets", headers=admin)).json()
    assert {"test.a", "test.b"} <= set(facets["tasks"])
    assert facets["tasks"] == sorted(facets["tasks"])
    assert {"media", "default"} <= set(facets["queues"])


async def test_each_job_says_when_it_ran_and_for_how_long(client, make_user, session):
    _, admin = await make_user(is_admin=True)
    done = await _job(session, "test.d", "succeeded", ran_seconds=90.5)
    running = await _job(session, "test.d", "doing", ran_seconds=30)
    waiting = await _job(session, "test.d", "todo")

    jobs = {j["id"]: j for j in (await _list(client, admin, task="test.d"))["items"]}
    assert 90_000 <= jobs[done]["duration_ms"] <= 91_500
    assert jobs[done]["started_at"] is not None and jobs[done]["finished_at"] is not None
    # Still running: the time so far, and no end yet.
    assert 30_000 <= jobs[running]["duration_ms"] < 60_000
    assert jobs[running]["finished_at"] is None
    assert jobs[waiting]["duration_ms"] is None and jobs[waiting]["started_at"] is None


async def test_bad_filters_are_refused_and_non_admins_kept_out(client, make_user):
    _, admin = await make_user(is_admin=True)
    _, user = await make_user()
    bad = await client.get("/api/v1/admin/jobs?status=exploded", headers=admin)
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    long = await client.get("/api/v1/admin/jobs", params={"task": "x" * 200}, headers=admin)
    assert long.status_code == 422
    assert (await client.get("/api/v1/admin/jobs", headers=user)).status_code == 403
    assert (await client.get("/api/v1/admin/jobs/facets", headers=user)).status_code == 403
