"""Plays recorded whole (ListenBrainz listens, "marked played"): one statement for a batch,
one play per user, item and start, and the timeline sees them like any other play."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select

from revenge.core import events
from revenge.core.config import get_settings
from revenge.core.db import session_scope
from revenge.core.errors import NotFound
from revenge.core.jobs import job_app
from revenge.playback.imports import FinishedPlay, end_reported_sessions, record_finished_plays
from revenge.playback.models import PlayEvent, PlaySession
from revenge.playback.schemas import PlaybackEventCreate, PlaybackEventType
from revenge.playback.service import PlayOrigin, apply_event
from tests.factories import make_track

ORIGIN = PlayOrigin(source="listenbrainz", source_name="Navidrome", origin_digest="d" * 64)
START = datetime(2026, 11, 1, 20, 0, tzinfo=UTC)


def _play(user_id, track, minutes: int, duration_ms: int | None = None) -> FinishedPlay:
    return FinishedPlay(
        user_id=user_id,
        media_type="track",
        media_id=track.id,
        started_at=START + timedelta(minutes=minutes),
        duration_ms=duration_ms,
        client="Navidrome",
    )


async def _sessions(session, user_id) -> list[PlaySession]:
    rows = await session.execute(
        select(PlaySession)
        .where(PlaySession.user_id == user_id)
        .order_by(PlaySession.started_at)
        .execution_options(populate_existing=True)
    )
    return list(rows.scalars())


async def test_a_batch_records_each_play_once_and_says_which_were_new(make_user, session, jobs):
    user, _ = await make_user()
    teardrop = await make_track("Teardrop", duration_ms=330_000)
    angel = await make_track("Angel", duration_ms=380_000)
    batch = [
        _play(user.id, teardrop, 0, 329_000),
        _play(user.id, angel, 10),  # no duration: the library's
        _play(user.id, teardrop, 20, 900_000),  # longer than the track: capped
        _play(user.id, teardrop, 0, 329_000),  # the first one again
    ]
    assert await record_finished_plays(session, batch, ORIGIN) == [True, True, True, False]
    rows = await _sessions(session, user.id)
    assert [(r.media_id, r.played_ms, r.item_duration_ms) for r in rows] == [
        (teardrop.id, 329_000, 330_000),
        (angel.id, 380_000, 380_000),
        (teardrop.id, 330_000, 330_000),
    ]
    assert all(r.counted and r.state == "stopped" and r.client == "Navidrome" for r in rows)
    assert {(r.source, r.source_name, r.origin_digest) for r in rows} == {
        ("listenbrainz", "Navidrome", "d" * 64)
    }
    assert rows[0].ended_at == START + timedelta(milliseconds=329_000)

    # Each play is announced once, finished, to every subscriber (analytics, scrobbling).
    finished = await jobs.pending("scrobbling.on_session_finished")
    assert sorted(job["args"]["session_id"] for job in finished) == sorted(str(r.id) for r in rows)
    assert {job["args"]["origin_digest"] for job in finished} == {"d" * 64}
    assert len(await jobs.pending("analytics.record_play")) == 3

    # Again, later (the client retried the whole import): nothing new, nothing announced.
    assert await record_finished_plays(session, batch[:3], ORIGIN) == [False, False, False]
    assert len(await jobs.pending("scrobbling.on_session_finished")) == 3
    assert await record_finished_plays(session, [], ORIGIN) == []


async def test_a_thousand_plays_cost_a_handful_of_statements(make_user, session, db, jobs):
    user, _ = await make_user()
    tracks = [await make_track(f"Song {i}", duration_ms=200_000) for i in range(10)]
    batch = [_play(user.id, tracks[i % 10], i * 5) for i in range(1000)]
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        new = await record_finished_plays(session, batch, ORIGIN)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert new == [True] * 1000
    # The items' lengths, the lock, the insert, and one insert of every subscriber's jobs.
    assert len(statements) <= 10, [s[:60] for s in statements]
    for subscriber in events.subscribers(events.PlaybackSessionFinished):
        assert len(await jobs.pending(subscriber.name)) == 1000
    events_stored = await session.execute(
        select(PlayEvent.event).join(PlaySession).where(PlaySession.user_id == user.id)
    )
    assert sorted(events_stored.scalars()) == ["start"] * 1000 + ["stop"] * 1000


async def test_an_unknown_item_refuses_the_batch(make_user, session):
    user, _ = await make_user()
    track = await make_track()
    ghost = FinishedPlay(
        user_id=user.id,
        media_type="track",
        media_id=uuid.uuid4(),
        started_at=START,
        duration_ms=None,
    )
    with pytest.raises(NotFound):
        await record_finished_plays(session, [_play(user.id, track, 0), ghost], ORIGIN)
    assert await _sessions(session, user.id) == []


async def test_a_recorded_play_is_a_play_to_the_timeline(make_user, session):
    """A late player event inside an imported play joins it; it is not merged away."""
    user, _ = await make_user()
    track = await make_track(duration_ms=330_000)
    [new] = await record_finished_plays(session, [_play(user.id, track, 0, 300_000)], ORIGIN)
    assert new
    [imported] = await _sessions(session, user.id)
    late = PlaybackEventCreate(
        media_type="track",
        media_id=track.id,
        event=PlaybackEventType.progress,
        position_ms=120_000,
        occurred_at=START + timedelta(minutes=2),
    )
    placed, fresh = await apply_event(session, user.id, late, get_settings(), ORIGIN)
    assert fresh and placed.id == imported.id
    [row] = await _sessions(session, user.id)
    assert row.id == imported.id and row.counted
    assert row.played_ms == 300_000 and row.ended_at == START + timedelta(milliseconds=300_000)


async def test_a_now_playing_notice_is_removed_and_a_reopened_play_is_ended(
    make_user, session, jobs
):
    user, _ = await make_user()
    teardrop = await make_track("Teardrop", duration_ms=330_000)
    angel = await make_track("Angel", duration_ms=380_000)
    settings = get_settings()
    now = datetime.now(UTC) - timedelta(hours=1)

    def start(track, at):
        return PlaybackEventCreate(
            media_type="track",
            media_id=track.id,
            event=PlaybackEventType.start,
            position_ms=0,
            occurred_at=at,
        )

    notice, _ = await apply_event(session, user.id, start(teardrop, now), settings, ORIGIN)
    # Another client's notice (another token) is not this client's to end.
    elsewhere = PlayOrigin(source="listenbrainz", origin_digest="e" * 64)
    other, _ = await apply_event(session, user.id, start(angel, now), settings, elsewhere)
    assert await end_reported_sessions(session, user.id, ORIGIN, settings, keep=None) == 1
    assert [r.id for r in await _sessions(session, user.id)] == [other.id]
    removed = await jobs.pending("analytics.record_play")
    assert [job["args"]["session_id"] for job in removed] == [str(notice.id)]

    # A listen, then the same track again soon after: the repeat reopens the recorded play.
    listened = FinishedPlay(
        user_id=user.id,
        media_type="track",
        media_id=teardrop.id,
        started_at=now,
        duration_ms=330_000,
    )
    await record_finished_plays(session, [listened], ORIGIN)
    repeat = now + timedelta(milliseconds=331_000)
    reopened, _ = await apply_event(session, user.id, start(teardrop, repeat), settings, ORIGIN)
    assert reopened.ended_at is None
    # Its listen arrives: the reopened play ends where it was, with what it had played.
    ended = await end_reported_sessions(
        session, user.id, ORIGIN, settings, only=("track", teardrop.id)
    )
    assert ended == 1
    rows = {r.id: r for r in await _sessions(session, user.id)}
    assert rows[reopened.id].ended_at == repeat
    assert rows[reopened.id].played_ms == 330_000 and rows[reopened.id].counted


@job_app.task(name="tests.playback.coalesced", queueing_lock="tests.playback.coalesced")
async def _coalesced(**facts) -> None:
    """A subscriber with a queueing lock: one waiting job absorbs the rest."""


async def test_emit_many_batches_jobs_and_keeps_queueing_locks(make_user, session, monkeypatch):
    from sqlalchemy import text

    monkeypatch.setitem(
        events._subscribers,
        events.PlaybackSessionRemoved,
        [*events.subscribers(events.PlaybackSessionRemoved), _coalesced],
    )
    user, _ = await make_user()
    batch = [
        events.PlaybackSessionRemoved(session_id=uuid.uuid4(), user_id=user.id) for _ in range(5)
    ]
    await events.emit_many(session, batch)
    counts = dict(
        (
            await session.execute(
                text(
                    "SELECT task_name, count(*) FROM procrastinate_jobs "
                    "WHERE task_name IN ('analytics.record_play', 'tests.playback.coalesced') "
                    "GROUP BY task_name"
                )
            )
        ).all()
    )
    assert counts == {"analytics.record_play": 5, "tests.playback.coalesced": 1}
    with pytest.raises(TypeError):
        await events.emit_many(session, [object()])  # type: ignore[list-item]


async def test_two_clients_sending_the_same_listen_at_once_make_one_play(committed_db, make_user):
    user, _ = await make_user()
    track = await make_track(duration_ms=330_000)
    play = _play(user.id, track, 0, 330_000)
    entered = asyncio.Event()

    async def record(wait: bool) -> list[bool]:
        async with session_scope() as s:
            if wait:
                await entered.wait()
            new = await record_finished_plays(s, [play], ORIGIN)
            if not wait:
                entered.set()
                # Hold the transaction (and the user's lock) while the other one tries.
                await asyncio.sleep(0.3)
            return new

    first, second = await asyncio.gather(record(False), record(True))
    assert sorted([*first, *second]) == [False, True]
    async with session_scope() as s:
        assert len(await _sessions(s, user.id)) == 1
