"""The real procrastinate worker against the test database: transactional deferral, retries."""

from __future__ import annotations

import asyncio
import contextlib

from psycopg_pool import AsyncConnectionPool
from sqlalchemy import text

from revenge.core.db import to_libpq_url
from revenge.core.http import RetryableError
from revenge.core.jobs import BackoffRetry, defer, job_app

attempts: list[int] = []


@job_app.task(name="tests.flaky", retry=BackoffRetry(max_attempts=3, base_seconds=0.01))
async def flaky(marker: str) -> None:
    attempts.append(len(attempts) + 1)
    if len(attempts) < 2:
        raise RetryableError("provider down", retry_after=0)


async def test_rolled_back_request_leaves_no_job_and_worker_retries(committed_db, database_url):
    attempts.clear()
    # A transaction that rolls back takes its job with it.
    try:
        async with committed_db.transaction() as session:
            await defer(session, flaky, marker="lost")
            raise RuntimeError("request failed")
    except RuntimeError:
        pass
    async with committed_db.transaction() as session:
        await defer(session, flaky, marker="kept")
        # The same queueing lock twice: the second is absorbed, the transaction survives.
        await defer(session, flaky, marker="kept", queueing_lock="one")
        assert await defer(session, flaky, marker="kept", queueing_lock="one") is None

    pool = AsyncConnectionPool(to_libpq_url(database_url), min_size=1, max_size=3, open=False)
    await pool.open()
    async with job_app.open_async(pool):
        worker = asyncio.create_task(
            job_app.run_worker_async(
                queues=["default"], concurrency=1, install_signal_handlers=False
            )
        )
        try:
            for _ in range(100):
                async with committed_db.transaction() as session:
                    statuses = (
                        await session.execute(
                            text(
                                "SELECT args->>'marker', status::text FROM procrastinate_jobs WHERE task_name = 'tests.flaky' ORDER BY id"
                            )
                        )
                    ).all()
                if statuses and all(status == "succeeded" for _, status in statuses):
                    break
                await asyncio.sleep(0.1)
        finally:
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker
    await pool.close()
    assert [marker for marker, _ in statuses] == ["kept", "kept"]
    assert all(status == "succeeded" for _, status in statuses), statuses
    assert len(attempts) == 3  # first job failed once and was retried; second ran once
