"""system.prune: finished jobs older than two weeks go; recent, failed and periodic ones stay."""

from __future__ import annotations

from sqlalchemy import text

from revenge.system.jobs import prune


async def _job(session, status: str, *, days_ago: int) -> int:
    job_id = (
        await session.execute(
            text(
                "INSERT INTO procrastinate_jobs (queue_name, task_name, status) "
                "VALUES ('default', 'test.prune', 'todo') RETURNING id"
            )
        )
    ).scalar_one()
    if status != "todo":
        await session.execute(
            text("UPDATE procrastinate_jobs SET status = 'doing' WHERE id = :id"), {"id": job_id}
        )
        await session.execute(
            text(
                "UPDATE procrastinate_jobs SET status = CAST(:s AS procrastinate_job_status) WHERE id = :id"
            ),
            {"s": status, "id": job_id},
        )
    await session.execute(
        text(
            "UPDATE procrastinate_events SET at = now() - make_interval(days => :d) "
            "WHERE job_id = :id"
        ),
        {"d": days_ago, "id": job_id},
    )
    return job_id


async def test_prune_removes_only_old_finished_jobs(session):
    old_done = await _job(session, "succeeded", days_ago=20)
    old_aborted = await _job(session, "aborted", days_ago=20)
    recent_done = await _job(session, "succeeded", days_ago=2)
    old_failed = await _job(session, "failed", days_ago=20)
    waiting = await _job(session, "todo", days_ago=20)
    periodic = await _job(session, "succeeded", days_ago=20)
    await session.execute(
        text(
            "INSERT INTO procrastinate_periodic_defers (task_name, defer_timestamp, job_id) "
            "VALUES ('test.prune', 1, :id)"
        ),
        {"id": periodic},
    )
    await session.execute(
        text(
            "INSERT INTO shared.rate_limit_buckets (key, window_start, hits, expires_at) "
            "VALUES ('expired', 0, 1, now() - interval '1 minute'), "
            "('live', 0, 1, now() + interval '1 hour')"
        )
    )

    await prune(timestamp=0)

    left = set(
        (
            await session.execute(
                text("SELECT id FROM procrastinate_jobs WHERE task_name = 'test.prune'")
            )
        ).scalars()
    )
    assert left == {recent_done, old_failed, waiting, periodic}
    assert old_done not in left and old_aborted not in left
    buckets = set(
        (await session.execute(text("SELECT key FROM shared.rate_limit_buckets"))).scalars()
    )
    assert "expired" not in buckets and "live" in buckets
