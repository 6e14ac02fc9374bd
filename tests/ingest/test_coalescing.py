"""A drain batch skips the position reports a later event of the same play makes redundant,
and the plays come out exactly as when every report is applied on its own."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from revenge.core.clock import utcnow
from revenge.ingest.coalescing import skippable
from revenge.ingest.incoming import ExternalUserRef, IncomingEvent, IncomingKind
from revenge.library.item_hints import ItemHints
from revenge.playback.models import PlayEvent, PlaySession
from tests.factories import make_movie
from tests.fakes.media_servers import FakeItem, FakeUser, jellyfin_playback, post_webhook
from tests.ingest.conftest import add_source, source_state

T0 = datetime(2026, 1, 1, 20, 0)
MIN = 60 * 1000
K = IncomingKind


def event(kind: IncomingKind, minute: float, item: str = "heat") -> IncomingEvent:
    return IncomingEvent(
        kind=kind,
        occurred_at=T0 + timedelta(minutes=minute),
        position_ms=int(minute * MIN),
        user=ExternalUserRef(external_id="u1", name="alice"),
        item=ItemHints(media_type="movie", title=item),
        external_item_id=item,
    )


def by_item(e: IncomingEvent) -> str | None:
    return e.external_item_id


def test_reports_while_playing_or_paused_are_skipped_state_changes_never():
    events = [
        event(K.start, 0),
        event(K.resume, 1),  # playing: skipped
        event(K.progress, 2),  # playing: skipped
        event(K.pause, 3),
        event(K.pause, 4),  # paused: skipped
        event(K.resume, 5),
        event(K.stop, 6),
    ]
    assert skippable(events, by_item) == {1, 2, 4}


def test_the_first_and_last_event_of_a_timeline_and_unmatched_ones_are_applied():
    events = [
        event(K.progress, 0),  # what came before is in the database: applied
        event(K.progress, 1),  # state still unknown: applied
        event(K.progress, 2, "dune"),  # another play's first: applied
        event(K.resume, 3, "dune"),  # unknown state: applied
        event(K.resume, 4, "dune"),  # playing, but last of its timeline: applied
    ]
    assert skippable(events, by_item) == set()
    unmatched = [event(K.start, 0), event(K.progress, 1), event(K.stop, 2)]
    assert skippable(unmatched, lambda e: None) == set()


def test_a_long_gap_keeps_the_report_that_kept_the_play_open():
    events = [event(K.start, 0), event(K.progress, 50), event(K.progress, 100), event(K.stop, 101)]
    # 0 → 100 is more than an hour without the report at 50: it is applied; without the one at
    # 100, 50 → 101 is still within the hour: skipped.
    assert skippable(events, by_item) == {2}
    assert skippable([event(K.start, 0), event(K.progress, 30), event(K.stop, 59)], by_item) == {1}


def test_after_a_stop_a_resume_plays_again_and_is_applied():
    events = [event(K.start, 0), event(K.stop, 1), event(K.resume, 2), event(K.stop, 3)]
    assert skippable(events, by_item) == set()


async def test_a_batch_gives_the_same_play_as_one_report_at_a_time(
    client, jobs, make_user, admin, session
):
    """The same Jellyfin rhythm (start, a progress every 30 s with a pause in between, stop)
    for two users of one movie: one drained as a whole batch, one report by report."""
    for name in ("alice", "bruno"):
        await make_user(name)
    await make_movie("Heat", duration_ms=120 * MIN, tmdb_id=949)
    source = await add_source(client, admin, "jellyfin")
    item = FakeItem("movie", "Heat", year=1995, tmdb_id=949, duration_ms=120 * MIN)
    t0 = utcnow() - timedelta(hours=5)

    def reports(user: FakeUser) -> list:
        out = [jellyfin_playback("PlaybackStart", user, item, at=t0)]
        for n in range(1, 41):
            paused = 15 <= n < 25  # paused for five minutes in the middle
            out.append(
                jellyfin_playback(
                    "PlaybackProgress",
                    user,
                    item,
                    at=t0 + timedelta(seconds=30 * n),
                    position_ms=min(n, 15) * 30_000 + max(0, n - 25) * 30_000,
                    paused=paused,
                )
            )
        out.append(
            jellyfin_playback(
                "PlaybackStop", user, item, at=t0 + timedelta(minutes=21), position_ms=MIN * 16
            )
        )
        return out

    for request in reports(FakeUser("alice")):
        assert (await post_webhook(client, source["webhook_url"], request)).status_code == 202
    await jobs.run("ingest.drain")
    for request in reports(FakeUser("bruno")):
        assert (await post_webhook(client, source["webhook_url"], request)).status_code == 202
        await jobs.run("ingest.drain")

    plays = (await session.execute(select(PlaySession).order_by(PlaySession.created_at))).scalars()
    batch, one_by_one = list(plays)
    facts = lambda p: (p.started_at, p.ended_at, p.played_ms, p.counted, p.state, p.position_ms)  # noqa: E731
    assert facts(batch) == facts(one_by_one)
    # The batch stored only the events that change something (start, pause, resume, stop);
    # report by report, every one was stored.
    stored = {
        play.id: await session.scalar(
            select(func.count()).select_from(PlayEvent).where(PlayEvent.session_id == play.id)
        )
        for play in (batch, one_by_one)
    }
    assert (stored[batch.id], stored[one_by_one.id]) == (4, 42)
    # 21 minutes with 5 paused: 16 minutes played, whichever way it was applied.
    assert batch.played_ms == 16 * MIN
    state = await source_state(client, admin, source["id"])
    assert (state["applied"], state["duplicates"], state["unmatched"]) == (84, 0, 0)
