"""Scrobbling's jobs as the rest of the feature sees them: declarations and ``schedule_…``.

A declaration is a procrastinate ``Task`` bound to the job app and carrying the name, retry
policy and default queueing lock, but not the body: services defer through it (in their own
transaction, via ``core.jobs.defer``) without importing ``jobs.py``, which only the worker
imports. ``jobs.py`` registers each body under its declaration with ``@implements(...)``, so a
name and its retry policy are written once, here.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core.jobs import BackoffRetry, declare_task, defer
from revenge.scrobbling.providers.base import ProviderName

# Playback's events, each recorded for planning (subscribed in jobs.py)...
ON_SESSION_STARTED = declare_task("scrobbling.on_session_started")
ON_SESSION_UPDATED = declare_task("scrobbling.on_session_updated")
ON_SESSION_FINISHED = declare_task("scrobbling.on_session_finished")
# ...and planned into the scrobble queue by one job per user (``schedule_planning``).
PLAN = declare_task("scrobbling.plan")
# Drains one (user, provider); retries of single items live in the queue rows, not here.
DELIVER = declare_task("scrobbling.process", retry=BackoffRetry(max_attempts=3))
SWEEP = declare_task("scrobbling.sweep", queueing_lock="scrobbling.sweep")
SYNC = declare_task("scrobbling.sync")
DEVICE_POLL = declare_task("scrobbling.device_poll")

DECLARED = (
    ON_SESSION_STARTED,
    ON_SESSION_UPDATED,
    ON_SESSION_FINISHED,
    PLAN,
    DELIVER,
    SWEEP,
    SYNC,
    DEVICE_POLL,
)


async def schedule_planning(session: AsyncSession, user_id: uuid.UUID) -> None:
    """Coalesced: one waiting planning job per user plans all of the user's transitions."""
    await defer(session, PLAN, queueing_lock=f"scrobble-plan:{user_id}", user_id=str(user_id))


async def schedule_delivery(
    session: AsyncSession, user_id: uuid.UUID, provider: ProviderName | str
) -> None:
    """Coalesced: one waiting drain job per (user, provider) absorbs the others."""
    name = str(provider)
    await defer(
        session,
        DELIVER,
        queueing_lock=f"scrobble:{user_id}:{name}",
        user_id=str(user_id),
        provider=name,
    )


async def schedule_sync(
    session: AsyncSession, user_id: uuid.UUID, provider: ProviderName | str
) -> None:
    name = str(provider)
    await defer(
        session,
        SYNC,
        queueing_lock=f"scrobble-sync:{user_id}:{name}",
        user_id=str(user_id),
        provider=name,
    )


async def schedule_device_poll(
    session: AsyncSession, state_id: uuid.UUID, interval: int | None
) -> None:
    await defer(
        session, DEVICE_POLL, schedule_in={"seconds": interval or 5}, state_id=str(state_id)
    )
