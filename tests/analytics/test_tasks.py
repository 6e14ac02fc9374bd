"""Analytics' job declarations and the coalesced, delayed rankings refresh."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from revenge.analytics import jobs as analytics_jobs
from revenge.analytics import tasks
from revenge.core.clock import utcnow
from revenge.core.db import session_scope
from revenge.core.jobs import job_app


def test_every_declared_task_has_its_body_registered_with_the_same_policy():
    for declared in tasks.DECLARED:
        registered = job_app.tasks[declared.name]
        assert registered is not declared, declared.name
        assert registered.retry_strategy is declared.retry_strategy, declared.name
        assert registered.queueing_lock == declared.queueing_lock, declared.name
    assert job_app.tasks["analytics.refresh_rankings"] is analytics_jobs.refresh_rankings


async def test_rankings_refresh_is_delayed_and_one_waiting_refresh_absorbs_the_rest(jobs):
    before = utcnow()
    async with session_scope() as session:
        await tasks.schedule_rankings_refresh(session)
        await tasks.schedule_rankings_refresh(session)  # joins the waiting one
    async with session_scope() as session:
        (scheduled_at,) = (
            await session.execute(
                text(
                    "SELECT scheduled_at FROM procrastinate_jobs "
                    "WHERE task_name = 'analytics.refresh_rankings' AND status = 'todo'"
                )
            )
        ).scalars()
    delay = timedelta(seconds=tasks.RANKINGS_DELAY_SECONDS)
    assert before + delay <= scheduled_at <= utcnow() + delay
    assert await jobs.run("analytics.refresh_rankings") == ["analytics.refresh_rankings"]
