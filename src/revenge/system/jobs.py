from __future__ import annotations

from sqlalchemy import text

from revenge.core.db import session_scope
from revenge.core.jobs import job_app

# Finished jobs with no event in two weeks. Failed jobs stay (the admin job list shows them),
# and so does the last defer of each periodic task (procrastinate_periodic_defers points at it
# without ON DELETE, so deleting it would fail the whole statement).
PRUNE_JOBS_SQL = """
DELETE FROM procrastinate_jobs j
WHERE j.status IN ('succeeded', 'cancelled', 'aborted')
  AND NOT EXISTS (SELECT 1 FROM procrastinate_events e
                  WHERE e.job_id = j.id AND e.at >= now() - interval '14 days')
  AND NOT EXISTS (SELECT 1 FROM procrastinate_periodic_defers p WHERE p.job_id = j.id)
"""


@job_app.periodic(cron="17 * * * *")
@job_app.task(name="system.prune", queueing_lock="system.prune")
async def prune(timestamp: int) -> None:
    """Drop expired rate-limit windows and finished jobs older than two weeks."""
    async with session_scope() as session:
        await session.execute(
            text("DELETE FROM shared.rate_limit_buckets WHERE expires_at < now()")
        )
        await session.execute(text(PRUNE_JOBS_SQL))
