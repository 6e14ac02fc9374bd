"""Scrobbling jobs: playback events → queue, queue → providers, periodic sweep, sync, device polls."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core import events
from revenge.core.config import get_settings
from revenge.core.db import session_scope
from revenge.core.jobs import DEFAULT_RETRY, BackoffRetry, defer, job_app
from revenge.playback import service as playback
from revenge.scrobbling import delivery, service, sync
from revenge.scrobbling.providers.base import PlayTransition

_TRANSITIONS = {
    "pause": PlayTransition.paused,
    "resume": PlayTransition.resumed,
    "start": PlayTransition.resumed,
}


async def schedule_delivery(session: AsyncSession, user_id: uuid.UUID | str, provider: str) -> None:
    """Coalesced: one waiting drain job per (user, provider) absorbs the others."""
    await defer(
        session,
        process_scrobbles,
        queueing_lock=f"scrobble:{user_id}:{provider}",
        user_id=str(user_id),
        provider=provider,
    )


async def _queue(session_id: str, transition: PlayTransition) -> list[str]:
    async with session_scope() as session:
        providers = await service.queue_play(
            session, uuid.UUID(session_id), transition, get_settings()
        )
        if providers:
            play = await playback.get_session(session, uuid.UUID(session_id))
            for provider in providers:
                await schedule_delivery(session, play.user_id if play else "", provider)
        return providers


@events.subscribe(events.PLAYBACK_SESSION_STARTED)
@job_app.task(name="scrobbling.on_session_started", retry=DEFAULT_RETRY)
async def on_session_started(session_id: str, user_id: str, event: str) -> list[str]:
    return await _queue(session_id, PlayTransition.started)


@events.subscribe(events.PLAYBACK_SESSION_UPDATED)
@job_app.task(name="scrobbling.on_session_updated", retry=DEFAULT_RETRY)
async def on_session_updated(session_id: str, user_id: str, event: str) -> list[str]:
    transition = _TRANSITIONS.get(event)
    if transition is None:
        return []
    return await _queue(session_id, transition)


@events.subscribe(events.PLAYBACK_SESSION_FINISHED)
@job_app.task(name="scrobbling.on_session_finished", retry=DEFAULT_RETRY)
async def on_session_finished(session_id: str, user_id: str, event: str) -> list[str]:
    return await _queue(session_id, PlayTransition.finished)


# ScrobbleProcessJob: drains one (user, provider); retries of items live in the queue rows.
@job_app.task(name="scrobbling.process", retry=BackoffRetry(max_attempts=3))
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
@job_app.task(name="scrobbling.sweep", queueing_lock="scrobbling.sweep", retry=DEFAULT_RETRY)
async def sweep_scrobble_queue(timestamp: int) -> int:
    """Anything pending and due gets a drain job: retries come back, restarts lose nothing."""
    async with session_scope() as session:
        pairs = await delivery.due_deliveries(session)
        for user_id, provider in pairs:
            await schedule_delivery(session, user_id, provider)
        return len(pairs)


# ScrobbleSyncJob: paged, resumable import.
@job_app.task(name="scrobbling.sync", retry=DEFAULT_RETRY)
async def sync_scrobbles(user_id: str, provider: str) -> str:
    return await sync.sync_provider(uuid.UUID(user_id), provider, get_settings())


async def schedule_sync(session: AsyncSession, user_id: uuid.UUID, provider: str) -> None:
    await defer(
        session,
        sync_scrobbles,
        queueing_lock=f"scrobble-sync:{user_id}:{provider}",
        user_id=str(user_id),
        provider=provider,
    )


@job_app.task(name="scrobbling.device_poll", retry=DEFAULT_RETRY)
async def poll_device_authorisation(state_id: str) -> bool:
    """Poll a device-code authorisation until approved, denied or expired."""
    async with session_scope() as session:
        wait = await service.poll_device_authorisation(session, uuid.UUID(state_id), get_settings())
        if wait is not None:
            await defer(
                session, poll_device_authorisation, schedule_in={"seconds": wait}, state_id=state_id
            )
            return False
        state = await session.get(service.ScrobbleAuthState, uuid.UUID(state_id))
        if state is not None and state.status == "done":
            # Plays queued while the user was disconnected can go now.
            await schedule_delivery(session, state.user_id, state.provider)
        return True


async def schedule_device_poll(
    session: AsyncSession, state_id: uuid.UUID, interval: int | None
) -> None:
    await defer(
        session,
        poll_device_authorisation,
        schedule_in={"seconds": interval or 5},
        state_id=str(state_id),
    )
