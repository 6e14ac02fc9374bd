"""AnalyticsAggregationJob and the per-play subscriber that keeps the rollups current.
Imported only by the worker; names, retry policies and scheduling are in ``tasks.py``."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from revenge.analytics import service, tasks
from revenge.core import events
from revenge.core.db import session_scope
from revenge.core.jobs import implements, job_app

DAILY_LOOKBACK = timedelta(days=2)
WEEKLY_LOOKBACK = timedelta(days=8)


@events.subscribe(events.PlaybackSessionFinished)
@events.subscribe(events.PlaybackSessionRemoved)
@implements(tasks.RECORD_PLAY)
async def record_play(session_id: str, user_id: str, **facts: Any) -> bool:
    """A finished (or merged-away) session's contribution, read from the session as it is
    now: analytics reconciles the row with its stored fact, so the latest state wins."""
    async with session_scope() as session:
        changed = await service.record_finished_play(session, uuid.UUID(session_id))
        if changed and not await service.rankings_refresh_pending(session):
            await tasks.schedule_rankings_refresh(session)
        return changed


@implements(tasks.REFRESH_RANKINGS)
async def refresh_rankings() -> None:
    async with session_scope() as session:
        await service.refresh_rankings(session)


@job_app.periodic(cron="20 0 * * *", periodic_id="daily")
@job_app.periodic(
    cron="40 1 * * 1", periodic_id="weekly", task_kwargs={"lookback_days": WEEKLY_LOOKBACK.days}
)
@implements(tasks.AGGREGATE)
async def aggregate(timestamp: int, lookback_days: int | None = None) -> int:
    """AnalyticsAggregationJob: daily it reconciles the last two days, weekly the last eight."""
    lookback = timedelta(days=lookback_days) if lookback_days else DAILY_LOOKBACK
    async with session_scope() as session:
        return await service.aggregate(session, lookback)
