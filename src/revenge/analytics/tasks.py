"""Analytics' jobs as the rest of the feature sees them: declarations and ``schedule_…``.

A declaration is a procrastinate ``Task`` bound to the job app and carrying the name, retry
policy and default queueing lock, but not the body: the feature defers through it (in its own
transaction, via ``core.jobs.defer``) without importing ``jobs.py``, which only the worker
imports. ``jobs.py`` registers each body under its declaration with ``@implements(...)``, so a
name and its policy are written once, here.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core.jobs import declare_task, defer

# The rankings are refreshed at most this often after plays (and by the periodic jobs).
RANKINGS_DELAY_SECONDS = 600
REFRESH_RANKINGS_LOCK = "analytics.refresh_rankings"

# Playback's finished (or merged-away) sessions, folded into the rollups (subscribed in jobs.py).
RECORD_PLAY = declare_task("analytics.record_play")
REFRESH_RANKINGS = declare_task("analytics.refresh_rankings", queueing_lock=REFRESH_RANKINGS_LOCK)
# Daily and weekly reconciliation of the rollups with the sessions (periodic, in jobs.py).
AGGREGATE = declare_task("analytics.aggregate", queueing_lock="analytics.aggregate")

DECLARED = (RECORD_PLAY, REFRESH_RANKINGS, AGGREGATE)


async def schedule_rankings_refresh(
    session: AsyncSession, delay_seconds: int = RANKINGS_DELAY_SECONDS
) -> None:
    """Refresh the rankings a little later, so the plays arriving meanwhile join in (one
    waiting refresh at most: the declaration's queueing lock)."""
    await defer(session, REFRESH_RANKINGS, schedule_in={"seconds": delay_seconds})
