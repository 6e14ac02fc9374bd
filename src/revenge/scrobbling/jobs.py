"""Scrobbling job bodies: playback events → recorded transitions → queue (one planning job per
user), queue → providers, periodic sweep, sync, device polls. Imported only by the worker;
names, retries and scheduling are in ``tasks.py``.

Each body opens its own transaction and calls one use case, which schedules its own
follow-up jobs (delivery after queueing, the next device poll, …).
"""

from __future__ import annotations

import uuid
from typing import Any

from revenge.core import events
from revenge.core.config import get_settings
from revenge.core.db import session_scope
from revenge.core.jobs import implements, job_app
from revenge.scrobbling import authorisation, delivery, queue, sync, tasks
from revenge.scrobbling.providers.base import PlayTransition

_TRANSITIONS = {
    "pause": PlayTransition.paused,
    "resume": PlayTransition.resumed,
    "start": PlayTransition.resumed,
}


async def _record(play: events.PlaybackTransition, transition: PlayTransition) -> bool:
    """Only record the facts (its own transaction); the user's planning job queues them."""
    async with session_scope() as session:
        await queue.record_transition(session, play, transition)
    return True


@events.subscribe(events.PlaybackSessionStarted)
@implements(tasks.ON_SESSION_STARTED)
async def on_session_started(**facts: Any) -> bool:
    play = events.PlaybackSessionStarted.from_payload(facts)
    return await _record(play, PlayTransition.started)


@events.subscribe(events.PlaybackSessionUpdated)
@implements(tasks.ON_SESSION_UPDATED)
async def on_session_updated(**facts: Any) -> bool:
    play = events.PlaybackSessionUpdated.from_payload(facts)
    transition = _TRANSITIONS.get(play.event)
    if transition is None:
        return False
    return await _record(play, transition)


@events.subscribe(events.PlaybackSessionFinished)
@implements(tasks.ON_SESSION_FINISHED)
async def on_session_finished(**facts: Any) -> bool:
    play = events.PlaybackSessionFinished.from_payload(facts)
    return await _record(play, PlayTransition.finished)


# Coalesced per user: plans every transition the user's events recorded, in one transaction.
@implements(tasks.PLAN)
async def plan_scrobbles(user_id: str) -> int:
    async with session_scope() as session:
        return await queue.plan_recorded_transitions(session, uuid.UUID(user_id), get_settings())


# ScrobbleProcessJob: drains one (user, provider); retries of items live in the queue rows.
@implements(tasks.DELIVER)
async def process_scrobbles(user_id: str, provider: str) -> dict[str, int | str | None]:
    report = await delivery.deliver_pending_scrobbles(uuid.UUID(user_id), provider, get_settings())
    return {
        "sent": report.sent,
        "skipped": report.skipped,
        "failed": report.failed,
        "postponed": report.postponed,
        "stopped_because": report.stopped_because,
    }


@job_app.periodic(cron="* * * * *")
@implements(tasks.SWEEP)
async def sweep_scrobble_queue(timestamp: int) -> int:
    """Anything pending and due gets a drain job: retries come back, restarts lose nothing.
    Transitions a failed planning job left get a planning job. Returns the drains found."""
    async with session_scope() as session:
        await queue.schedule_leftover_planning(session)
        return await delivery.schedule_due_deliveries(session)


# ScrobbleSyncJob: paged, resumable import.
@implements(tasks.SYNC)
async def sync_scrobbles(user_id: str, provider: str) -> str:
    return await sync.sync_provider(uuid.UUID(user_id), provider, get_settings())


@implements(tasks.DEVICE_POLL)
async def poll_device_authorisation(state_id: str) -> bool:
    """Poll a device-code authorisation until approved, denied or expired."""
    async with session_scope() as session:
        return await authorisation.poll_device_authorisation(
            session, uuid.UUID(state_id), get_settings()
        )
