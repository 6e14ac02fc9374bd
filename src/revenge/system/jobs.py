from __future__ import annotations

from sqlalchemy import text

from revenge.core.db import session_scope
from revenge.core.jobs import job_app


@job_app.periodic(cron="17 * * * *")
@job_app.task(name="system.prune", queueing_lock="system.prune")
async def prune(timestamp: int) -> None:
    """Drop expired rate-limit windows and finished jobs older than two weeks."""
    async with session_scope() as session:
        await session.execute(
            text("DELETE FROM shared.rate_limit_buckets WHERE expires_at < now()")
        )
        await session.execute(
            text(
                "DELETE FROM procrastinate_jobs WHERE status IN ('succeeded', 'cancelled', 'aborted') "
                "AND id IN (SELECT job_id FROM procrastinate_events WHERE type = 'finished' "
                "AND at < now() - interval '14 days')"
            )
        )
