"""Scrobble planning is coalesced per user: events record transitions, one job plans them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select, text

from revenge.core.config import get_settings
from revenge.core.jobs import job_app
from revenge.scrobbling import queue as scrobbling_queue
from revenge.scrobbling.jobs import sweep_scrobble_queue
from revenge.scrobbling.models import ScrobbleQueueItem, ScrobbleTransition
from revenge.scrobbling.providers.base import PlayTransition
from tests.factories import make_movie
from tests.scrobbling.conftest import Player, connect_lastfm, connect_trakt

SUBSCRIBERS = (
    "scrobbling.on_session_started",
    "scrobbling.on_session_updated",
    "scrobbling.on_session_finished",
)
MINUTE = 60 * 1000


class _Undo(Exception):
    """Rolls back the one-by-one planning once its rows are read."""


async def _queue_rows(session, user_id) -> list[tuple[Any, ...]]:
    items = (
        await session.execute(
            select(ScrobbleQueueItem)
            .where(ScrobbleQueueItem.user_id == user_id)
            .order_by(ScrobbleQueueItem.provider, ScrobbleQueueItem.idempotency_key)
        )
    ).scalars()
    return [
        (
            i.provider,
            i.media_type,
            i.media_id,
            i.action,
            i.timestamp,
            i.play_started_at,
            i.idempotency_key,
            i.payload,
            i.progress,
            i.status,
        )
        for i in items
    ]


async def _recorded(session, user_id) -> list[ScrobbleTransition]:
    query = (
        select(ScrobbleTransition)
        .where(ScrobbleTransition.user_id == user_id)
        .order_by(ScrobbleTransition.id)
    )
    return list((await session.execute(query)).scalars().all())


async def _record_in_order(jobs) -> None:
    """Run the event subscribers' jobs in the order they were deferred, and only those."""
    for job in await jobs.pending():
        if job["task_name"] not in SUBSCRIBERS:
            continue
        await job_app.tasks[job["task_name"]].func(**job["args"])
        async with jobs.database.transaction() as session:
            await session.execute(
                text("UPDATE procrastinate_jobs SET status = 'succeeded' WHERE id = :id"),
                {"id": job["id"]},
            )


async def _five_transitions(client, headers) -> None:
    heat = await make_movie("Heat", duration_ms=100 * MINUTE, tmdb_id=949)
    ronin = await make_movie("Ronin", duration_ms=120 * MINUTE, tmdb_id=8195)
    player = Player(client, headers)
    sid = (await player.event(heat, "movie", "start", 0))["session_id"]
    player.now += timedelta(minutes=30)
    await player.event(heat, "movie", "pause", 30 * MINUTE, sid)
    player.now += timedelta(minutes=5)
    await player.event(heat, "movie", "resume", 30 * MINUTE, sid)
    player.now += timedelta(minutes=60)
    await player.event(heat, "movie", "stop", 90 * MINUTE, sid)
    player.now += timedelta(minutes=10)
    await player.event(ronin, "movie", "start", 0)


async def test_a_users_transitions_are_planned_by_one_job_as_if_one_by_one(
    client, make_user, jobs, trakt, db
):
    user, headers = await make_user()
    await connect_trakt(client, headers, trakt, "coalesced")
    await _five_transitions(client, headers)
    await _record_in_order(jobs)

    async with db.transaction() as session:
        recorded = await _recorded(session, user.id)
    assert [r.kind for r in recorded] == ["started", "paused", "resumed", "finished", "started"]
    [plan] = await jobs.pending("scrobbling.plan")
    assert plan["args"] == {"user_id": str(user.id)}
    async with db.transaction() as session:
        assert await _queue_rows(session, user.id) == []  # nothing planned yet

    # What planning each transition on its own, in order, would have queued.
    settings = get_settings()
    try:
        async with db.transaction() as session:
            for row in recorded:
                transition = PlayTransition(row.kind)
                play = scrobbling_queue._EVENT_OF_KIND[transition].from_payload(row.facts)
                await scrobbling_queue.queue_play(session, play, transition, settings)
            one_by_one = await _queue_rows(session, user.id)
            raise _Undo
    except _Undo:
        pass
    assert one_by_one  # Trakt hears about starts, pauses and stops

    assert await jobs.run("scrobbling.plan") == ["scrobbling.plan"]
    async with db.transaction() as session:
        assert await _queue_rows(session, user.id) == one_by_one
        assert await _recorded(session, user.id) == []
    # Delivery is coalesced too: one drain job for the user's Trakt queue.
    assert [j["args"] for j in await jobs.pending("scrobbling.process")] == [
        {"user_id": str(user.id), "provider": "trakt"}
    ]


async def test_transitions_a_failed_planning_job_left_are_swept_and_planned(
    client, make_user, jobs, lastfm, db, monkeypatch
):
    user, headers = await make_user()
    await connect_lastfm(client, headers, lastfm, "leftover")
    await _five_transitions(client, headers)
    await _record_in_order(jobs)

    async def broken(*args: Any, **kwargs: Any) -> list[str]:
        raise RuntimeError("planning failed")

    monkeypatch.setattr(scrobbling_queue, "queue_play", broken)
    await jobs.run("scrobbling.plan", raise_errors=False)
    monkeypatch.undo()
    async with db.transaction() as session:
        assert len(await _recorded(session, user.id)) == 5  # nothing lost
        await session.execute(text("DELETE FROM procrastinate_jobs WHERE status = 'failed'"))
    assert await jobs.pending("scrobbling.plan") == []

    await sweep_scrobble_queue(0)
    await sweep_scrobble_queue(0)  # absorbed by the waiting job's queueing lock
    [plan] = await jobs.pending("scrobbling.plan")
    assert plan["args"] == {"user_id": str(user.id)}
    await jobs.run("scrobbling.plan")
    async with db.transaction() as session:
        assert await _recorded(session, user.id) == []
