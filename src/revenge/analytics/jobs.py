"""AnalyticsAggregationJob and the per-play subscriber that keeps the rollups current."""

from __future__ import annotations

import uuid
from datetime import timedelta

from revenge.analytics import service
from revenge.core import events
from revenge.core.db import session_scope
from revenge.core.jobs import DEFAULT_RETRY, defer, job_app

# The rankings are refreshed at most this often after plays (and by the periodic jobs).
RANKINGS_DELAY_SECONDS = 600
DAILY_LOOKBACK = timedelta(days=2)
WEEKLY_LOOKBACK = timedelta(days=8)


@events.subscribe(events.PLAYBACK_SESSION_FINISHED)
@events.subscribe(events.PLAYBACK_SESSION_REMOVED)
@job_app.task(name="analytics.record_play", retry=DEFAULT_RETRY)
async def record_play(session_id: str, user_id: str, event: str) -> bool:
    async with session_scope() as session:
        changed = await service.record_finished_play(session, uuid.UUID(session_id))
        if changed and not await service.rankings_refresh_pending(session):
            await defer(
                session,
                refresh_rankings,
                queueing_lock="analytics.refresh_rankings",
                schedule_in={"seconds": RANKINGS_DELAY_SECONDS},
            )
        return changed


@job_app.task(
    name="analytics.refresh_rankings",
    queueing_lock="analytics.refresh_rankings",
    retry=DEFAULT_RETRY,
)
async def refresh_rankings() -> None:
    async with session_scope() as session:
        await service.refresh_rankings(session)


@job_app.periodic(cron="20 0 * * *", periodic_id="daily")
@job_app.periodic(
    cron="40 1 * * 1", periodic_id="weekly", task_kwargs={"lookback_days": WEEKLY_LOOKBACK.days}
)
@job_app.task(name="analytics.aggregate", queueing_lock="analytics.aggregate", retry=DEFAULT_RETRY)
async def aggregate(timestamp: int, lookback_days: int | None = None) -> int:
    """AnalyticsAggregationJob: daily it reconciles the last two days, weekly the last eight."""
    lookback = timedelta(days=lookback_days) if lookback_days else DAILY_LOOKBACK
    async with session_scope() as session:
        return await service.aggregate(session, lookback)
