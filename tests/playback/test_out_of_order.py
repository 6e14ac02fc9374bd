"""Events that arrive late, twice or shuffled (offline clients, webhooks from other servers,
retries) make the same plays as the same events sent live, in order."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text

from revenge.core.clock import utcnow
from revenge.core.config import PlayRuleSettings
from revenge.playback.rules import meets_play_rule
from tests.factories import make_episode, make_movie, make_track

SECOND, MINUTE = 1000, 60_000
WINDOW = timedelta(minutes=PlayRuleSettings().resume_window_minutes)


@dataclass
class Item:
    media_type: str
    row: Any

    @property
    def key(self) -> tuple[str, str]:
        return self.media_type, str(self.row.id)


@dataclass
class Play:
    """One past play as a player would report it: start, pause, resume, progress, stop."""

    item: Item
    events: list[tuple[str, datetime, int]]
    played_ms: int


@dataclass
class ExpectedSession:
    item: Item
    plays: list[Play] = field(default_factory=list)


async def library() -> list[Item]:
    return [
        Item("movie", await make_movie("Heat", duration_ms=100 * MINUTE)),
        Item("movie", await make_movie("Alien", duration_ms=117 * MINUTE)),
        Item("episode", await make_episode("Dark", 1, 1)),
        Item("episode", await make_episode("Dark", 1, 2)),
        Item("track", await make_track("Teardrop", duration_ms=330 * SECOND)),
        Item("track", await make_track("Angel", duration_ms=200 * SECOND)),
        Item("track", await make_track("Intro", duration_ms=25 * SECOND)),  # never counts
    ]


def one_play(item: Item, start: datetime, rng: random.Random) -> Play:
    """Playing ``a``, paused ``p``, playing ``b`` up to a progress event, then ``c`` to the stop."""
    if item.media_type == "track":
        a, p, b, c = (
            rng.randint(low, high) * SECOND for low, high in ((5, 90), (2, 600), (5, 60), (5, 120))
        )
    elif rng.random() < 0.2:  # a short look: does not count
        a, p, b, c = (rng.randint(1, 3) * MINUTE for _ in range(4))
    else:
        # Pauses up to two hours: longer than the resume window, shorter than the idle limit.
        a, p, b, c = (
            rng.randint(low, high) * MINUTE for low, high in ((2, 40), (1, 120), (1, 20), (1, 30))
        )
    at = [start + timedelta(milliseconds=ms) for ms in (0, a, a + p, a + p + b, a + p + b + c)]
    positions = [0, a, a, a + b, a + b + c]
    kinds = ["start", "pause", "resume", "progress", "stop"]
    return Play(item, list(zip(kinds, at, positions, strict=True)), a + b + c)


def past_plays(
    items: list[Item], count: int, seed: int
) -> tuple[list[Play], list[ExpectedSession]]:
    """``count`` plays one after another, ending well in the past, and the sessions the play
    rules make of them: an item played again at most the resume window after its last stop
    continues that session (the same track twice, five minutes apart), later it is a new one."""
    rng = random.Random(seed)
    now = utcnow().replace(microsecond=0)
    clock = now - timedelta(days=40)
    plays: list[Play] = []
    sessions: list[ExpectedSession] = []
    current: dict[tuple[str, str], ExpectedSession] = {}
    last_stop: dict[tuple[str, str], datetime] = {}
    previous: Item | None = None
    for _ in range(count):
        roll = rng.random()
        if previous is not None and roll < 0.3:
            item, gap = previous, timedelta(minutes=5)  # played again at once
        elif previous is not None and roll < 0.45:
            item, gap = previous, timedelta(minutes=rng.randint(45, 300))  # again, later
        else:
            item = rng.choice(items)
            gap = timedelta(minutes=rng.choice([1, 3, 50, 200, 900, 2000]))
        start = clock + gap
        since = start - last_stop.get(item.key, start - timedelta(days=1))
        if timedelta(minutes=10) < since < timedelta(minutes=45):
            start += timedelta(minutes=45)  # keep clear of the window's edge
            since += timedelta(minutes=45)
        play = one_play(item, start, rng)
        plays.append(play)
        if item.key in current and since <= WINDOW:
            current[item.key].plays.append(play)
        else:
            current[item.key] = ExpectedSession(item, [play])
            sessions.append(current[item.key])
        clock = last_stop[item.key] = play.events[-1][1]
        previous = item
    assert clock < now - timedelta(days=1)
    return plays, sessions


def expected_row(expected: ExpectedSession) -> dict[str, Any]:
    duration = expected.item.row.duration_ms
    played = min(sum(p.played_ms for p in expected.plays), duration)
    return {
        "media_type": expected.item.media_type,
        "media_id": str(expected.item.row.id),
        "started_at": expected.plays[0].events[0][1],
        "ended_at": expected.plays[-1].events[-1][1],
        "played_ms": played,
        "counted": meets_play_rule(expected.item.media_type, played, duration, PlayRuleSettings()),
        "state": "stopped",
        "events": 5 * len(expected.plays),
    }


def events_of(plays: list[Play]) -> list[dict[str, Any]]:
    return [
        {
            "media_type": play.item.media_type,
            "media_id": str(play.item.row.id),
            "event": kind,
            "position_ms": position,
            "occurred_at": at.isoformat(),
            "client": "Finamp",
            "device": "Pixel",
        }
        for play in plays
        for kind, at, position in play.events
    ]


async def post_all(client, headers, bodies: list[dict[str, Any]]) -> None:
    for body in bodies:
        response = await client.post("/api/v1/playback/events", json=body, headers=headers)
        assert response.status_code == 200, response.text


async def history(client, headers) -> list[dict[str, Any]]:
    body = (await client.get("/api/v1/users/me/history?limit=500", headers=headers)).json()
    assert body["total"] == len(body["items"])
    return [{k: v for k, v in entry.items() if k != "session_id"} for entry in body["items"]]


async def sessions_of(session, user_id) -> list[dict[str, Any]]:
    rows = await session.execute(
        text(
            "SELECT s.media_type, s.media_id::text AS media_id, s.started_at, s.ended_at, "
            "s.played_ms, s.counted, s.state, count(e.id) AS events, s.last_event_at, "
            "s.position_ms, s.client, s.device, "
            "min(e.occurred_at) AS first_event, max(e.occurred_at) AS last_event "
            "FROM shared.play_sessions s LEFT JOIN shared.play_events e ON e.session_id = s.id "
            "WHERE s.user_id = :user GROUP BY s.id ORDER BY s.started_at"
        ),
        {"user": user_id},
    )
    return [dict(row._mapping) for row in rows]


def brief(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    keys = (
        "media_type",
        "media_id",
        "started_at",
        "ended_at",
        "played_ms",
        "counted",
        "state",
        "events",
    )
    return [{k: row[k] for k in keys} for row in rows]


async def test_fifty_past_plays_shuffled_make_the_same_history_as_in_order(
    client, make_user, session, jobs
):
    items = await library()
    plays, expected = past_plays(items, 50, seed=20261206)
    in_order_user, in_order = await make_user()
    shuffled_user, shuffled = await make_user()
    bodies = events_of(plays)
    await post_all(client, in_order, bodies)
    mixed = bodies[:]
    random.Random(7).shuffle(mixed)
    assert mixed != bodies
    await post_all(client, shuffled, mixed)

    in_order_sessions = await sessions_of(session, in_order_user.id)
    # The plays as the rules make them: some joined (played again within the window), some
    # not counted (short looks, a 25 s track), every one ending after it started.
    assert brief(in_order_sessions) == [expected_row(e) for e in expected]
    assert len(expected) < len(plays)
    assert any(not row["counted"] for row in in_order_sessions)
    for row in in_order_sessions:
        assert row["first_event"] == row["started_at"] <= row["ended_at"] == row["last_event"]

    shuffled_sessions = await sessions_of(session, shuffled_user.id)
    assert shuffled_sessions == in_order_sessions
    mine = await history(client, in_order)
    assert len(mine) == sum(row["counted"] for row in in_order_sessions)
    assert await history(client, shuffled) == mine
    # The statistics too: sessions merged by late events take back what they had added.
    await jobs.run()
    stats = (await client.get("/api/v1/users/me/stats", headers=in_order)).json()
    year = next(p for p in stats["periods"] if p["period"] == "year")
    assert year["total_watch_time_ms"] > 0
    assert (await client.get("/api/v1/users/me/stats", headers=shuffled)).json() == stats
    history_stats = "/api/v1/users/me/stats/history?from=2026-01-01&to=2026-12-31"
    in_order_days = (await client.get(history_stats, headers=in_order)).json()
    assert sum(point["plays"] for point in in_order_days["points"]) == len(mine)
    assert (await client.get(history_stats, headers=shuffled)).json() == in_order_days


async def test_every_event_posted_twice_changes_nothing(client, make_user, session, jobs):
    items = await library()
    plays, expected = past_plays(items, 30, seed=99)
    once_user, once = await make_user()
    twice_user, twice = await make_user()
    bodies = events_of(plays)
    before = len(await jobs.pending())
    await post_all(client, once, bodies)
    announced = len(await jobs.pending()) - before
    assert announced >= 2 * len(expected)  # started and finished, at least
    # A client retrying everything, and a webhook replaying the lot in another order.
    doubled = [body for body in bodies for _ in range(2)]
    replayed = bodies[:]
    random.Random(3).shuffle(replayed)
    await post_all(client, twice, doubled + replayed)

    once_sessions = await sessions_of(session, once_user.id)
    assert brief(once_sessions) == [expected_row(e) for e in expected]
    assert await sessions_of(session, twice_user.id) == once_sessions
    assert await history(client, twice) == await history(client, once)
    # Copies are not stored and announce nothing: the second user's jobs match the first's.
    assert len(await jobs.pending()) - before == 2 * announced


def when(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def post(client, headers, item: Item, event: str, at: datetime, position_ms: int = 0):
    response = await client.post(
        "/api/v1/playback/events",
        json={
            "media_type": item.media_type,
            "media_id": str(item.row.id),
            "event": event,
            "position_ms": position_ms,
            "occurred_at": at.isoformat(),
        },
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_stop_older_than_every_session_is_a_play_of_its_own(client, make_user):
    movie = Item("movie", await make_movie(duration_ms=100 * MINUTE))
    _, headers = await make_user()
    t0 = datetime(2026, 10, 3, 20, 0, tzinfo=UTC)
    later = await post(client, headers, movie, "start", t0 + timedelta(hours=5))
    await post(client, headers, movie, "stop", t0 + timedelta(hours=6), 60 * MINUTE)
    lone = await post(client, headers, movie, "stop", t0 + timedelta(minutes=90), 90 * MINUTE)
    # Its start may never come: a finished play of one instant, nothing played, not counted.
    assert lone["session_id"] != later["session_id"]
    assert when(lone["started_at"]) == when(lone["ended_at"]) == t0 + timedelta(minutes=90)
    assert (lone["state"], lone["played_ms"], lone["counted"]) == ("stopped", 0, False)
    # When it does, the start joins it.
    joined = await post(client, headers, movie, "start", t0)
    assert joined["session_id"] == lone["session_id"]
    assert when(joined["started_at"]) == t0
    assert when(joined["ended_at"]) == t0 + timedelta(minutes=90)
    assert (joined["played_ms"], joined["counted"]) == (90 * MINUTE, True)
    entries = (await client.get("/api/v1/users/me/history", headers=headers)).json()["items"]
    assert [(when(e["started_at"]), e["played_ms"]) for e in entries] == [
        (t0 + timedelta(hours=5), 60 * MINUTE),
        (t0, 90 * MINUTE),
    ]


async def test_a_late_start_between_two_plays_joins_splits_and_keeps_them_apart(
    client, make_user, session
):
    movie = Item("movie", await make_movie(duration_ms=120 * MINUTE))
    user, headers = await make_user()
    t0 = datetime(2026, 10, 3, 10, 0, tzinfo=UTC)
    first = await post(client, headers, movie, "start", t0)
    await post(client, headers, movie, "stop", t0 + timedelta(hours=2), 120 * MINUTE)
    last = await post(client, headers, movie, "start", t0 + timedelta(hours=10))
    await post(client, headers, movie, "stop", t0 + timedelta(hours=11), 60 * MINUTE)
    # A play in between arrives late, its stop after its start. Its start alone says "playing
    # from 15:00 on", which the 20:00 play would continue (an unfinished play waits up to six
    # hours), until the stop at 16:00 ends it.
    middle = await post(client, headers, movie, "start", t0 + timedelta(hours=5))
    assert middle["session_id"] == last["session_id"]
    assert when(middle["started_at"]) == t0 + timedelta(hours=5)
    ended = await post(client, headers, movie, "stop", t0 + timedelta(hours=6), 60 * MINUTE)
    assert ended["session_id"] not in (first["session_id"], last["session_id"])
    rows = await sessions_of(session, user.id)
    assert [(r["started_at"], r["ended_at"], r["played_ms"], r["events"]) for r in rows] == [
        (t0, t0 + timedelta(hours=2), 120 * MINUTE, 2),
        (t0 + timedelta(hours=5), t0 + timedelta(hours=6), 60 * MINUTE, 2),
        (t0 + timedelta(hours=10), t0 + timedelta(hours=11), 60 * MINUTE, 2),
    ]
    # The later play kept its id through the detour.
    entries = (await client.get("/api/v1/users/me/history", headers=headers)).json()["items"]
    assert [e["session_id"] for e in entries] == [
        last["session_id"],
        ended["session_id"],
        first["session_id"],
    ]


async def test_a_late_pause_inside_a_finished_play_corrects_it_without_going_backwards(
    client, make_user, jobs
):
    movie = Item("movie", await make_movie(duration_ms=100 * MINUTE))
    _, headers = await make_user()
    t0 = datetime(2026, 10, 3, 20, 0, tzinfo=UTC)
    sid = (await post(client, headers, movie, "start", t0))["session_id"]
    await post(client, headers, movie, "progress", t0 + timedelta(minutes=30), 30 * MINUTE)
    stopped = await post(client, headers, movie, "stop", t0 + timedelta(minutes=90), 60 * MINUTE)
    assert stopped["played_ms"] == 90 * MINUTE
    await jobs.run()
    # The pause from 20:40 to 21:00 arrives after the stop: 20 minutes were not played.
    await post(client, headers, movie, "resume", t0 + timedelta(minutes=60), 40 * MINUTE)
    paused = await post(client, headers, movie, "pause", t0 + timedelta(minutes=40), 40 * MINUTE)
    assert paused["session_id"] == sid
    assert (paused["state"], paused["played_ms"]) == ("stopped", 70 * MINUTE)
    assert when(paused["ended_at"]) == t0 + timedelta(minutes=90)
    assert paused["position_ms"] == 60 * MINUTE  # the stop is still the last thing that happened
    await jobs.run()
    stats = (await client.get("/api/v1/users/me/stats", headers=headers)).json()
    all_time = next(p for p in stats["periods"] if p["period"] == "all")
    assert (all_time["movies_watched"], all_time["total_watch_time_ms"]) == (1, 70 * MINUTE)


async def test_a_play_that_becomes_counted_late_is_announced_once(client, make_user, jobs):
    track = Item("track", await make_track(duration_ms=330 * SECOND))
    _, headers = await make_user()
    t0 = utcnow().replace(microsecond=0) - timedelta(days=2)

    async def finished_announcements() -> int:
        return len(await jobs.pending("analytics.record_play"))

    stop = await post(client, headers, track, "stop", t0 + timedelta(minutes=5), 300 * SECOND)
    assert (stop["counted"], await finished_announcements()) == (False, 1)
    progress = await post(
        client, headers, track, "progress", t0 + timedelta(minutes=4), 240 * SECOND
    )
    # One minute played: still not counted, but the figures changed, so analytics hears again.
    assert (progress["counted"], progress["played_ms"]) == (False, 60 * SECOND)
    assert await finished_announcements() == 2
    start = await post(client, headers, track, "start", t0)
    assert (start["counted"], start["played_ms"]) == (True, 300 * SECOND)
    assert await finished_announcements() == 3
    for event, minutes in (("start", 0), ("progress", 4), ("stop", 5)):
        await post(client, headers, track, event, t0 + timedelta(minutes=minutes))
    assert await finished_announcements() == 3
    await jobs.run()
    stats = (await client.get("/api/v1/users/me/stats", headers=headers)).json()
    all_time = next(p for p in stats["periods"] if p["period"] == "all")
    assert (all_time["music_tracks_played"], all_time["total_watch_time_ms"]) == (1, 300 * SECOND)


async def test_a_vanished_player_is_ended_by_the_sweeper_and_late_events_keep_it_ended(
    client, make_user, session
):
    from revenge.playback.jobs import close_stale_sessions

    movie = Item("movie", await make_movie(duration_ms=100 * MINUTE))
    live_user, live = await make_user()
    synced_user, synced = await make_user()
    t0 = utcnow().replace(microsecond=0) - timedelta(days=2)
    # The player vanished after a progress event; the sweeper ends the play there.
    await post(client, live, movie, "start", t0)
    await post(client, live, movie, "progress", t0 + timedelta(minutes=30), 30 * MINUTE)
    assert await close_stale_sessions(timestamp=0) == 1
    # Then its pause from 20 minutes in turns up: the play stays ended, with 20 minutes played.
    late = await post(client, live, movie, "pause", t0 + timedelta(minutes=20), 20 * MINUTE)
    assert (late["state"], late["played_ms"], late["counted"]) == ("stopped", 20 * MINUTE, True)
    assert when(late["ended_at"]) == t0 + timedelta(minutes=30)
    # Seven hours later is a new play, not the old one waking up.
    again = await post(client, live, movie, "start", t0 + timedelta(hours=7))
    assert again["session_id"] != late["session_id"]
    await post(client, live, movie, "stop", t0 + timedelta(hours=8), 60 * MINUTE)

    # The same events synced newest first by another client, the sweeper running after.
    for event, minutes, position in (
        ("stop", 480, 60),
        ("start", 420, 0),
        ("progress", 30, 30),
        ("pause", 20, 20),
        ("start", 0, 0),
    ):
        await post(client, synced, movie, event, t0 + timedelta(minutes=minutes), position * MINUTE)
    assert await close_stale_sessions(timestamp=0) == 1
    assert await sessions_of(session, synced_user.id) == await sessions_of(session, live_user.id)
    assert await history(client, synced) == await history(client, live)


async def test_a_late_event_reaches_plays_beyond_its_own_neighbourhood(client, make_user, session):
    """A player that kept reporting progress after its stop: a late resume turns those hours
    into playing, and the next play, too far from the resume to be looked at first, joins."""
    movie = Item("movie", await make_movie(duration_ms=600 * MINUTE))
    in_order_user, in_order = await make_user()
    late_user, late = await make_user()
    t0 = datetime(2026, 10, 3, 8, 0, tzinfo=UTC)
    events = [("start", t0), ("stop", t0 + timedelta(hours=1))]
    events += [("progress", t0 + timedelta(minutes=60 + 25 * n)) for n in range(1, 15)]
    events += [("start", t0 + timedelta(hours=8)), ("stop", t0 + timedelta(hours=9))]
    resume = ("resume", t0 + timedelta(minutes=70))
    for event, at in sorted([*events, resume], key=lambda pair: pair[1]):
        await post(client, in_order, movie, event, at)
    for event, at in [*events, resume]:
        await post(client, late, movie, event, at)
    rows = await sessions_of(session, in_order_user.id)
    assert [(r["started_at"], r["ended_at"], r["events"]) for r in rows] == [
        (t0, t0 + timedelta(hours=9), 19)
    ]
    assert await sessions_of(session, late_user.id) == rows
