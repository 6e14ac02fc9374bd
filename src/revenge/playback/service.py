"""Play sessions from player events: time played excludes pauses and is capped at the item's length.

Events may arrive late, twice or out of order (offline clients, webhooks from other servers,
retries). Each event is stored, then the user's sessions of that item around it are derived
again from their stored events in time order (``timeline``), so the sessions are the same
whatever order the events came in, and an event that is already stored changes nothing.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core import clock, events
from revenge.core.config import PlayRuleSettings, Settings
from revenge.core.deps import Principal
from revenge.core.errors import Conflict, NotFound, Unprocessable
from revenge.core.media import MediaType
from revenge.library import lookup
from revenge.library import service as library
from revenge.playback import describe
from revenge.playback import repository as repo
from revenge.playback.models import PlayEvent, PlaySession
from revenge.playback.rules import meets_play_rule
from revenge.playback.schemas import HistoryEntry, PlaybackEventCreate, PlaybackEventType
from revenge.playback.timeline import PAUSED, STOPPED, DerivedPlay, derive_plays

# Players' clocks drift; an event stamped further in the future than this is rejected.
MAX_CLOCK_SKEW = timedelta(minutes=5)
# A play without an event for this long is over: the sweeper ends it at its last event, and a
# later event of the same item opens a new play.
IDLE_LIMIT = timedelta(hours=6)
_STATE_EVENTS = (PlaybackEventType.start, PlaybackEventType.pause, PlaybackEventType.resume)


@dataclass(frozen=True)
class PlayOrigin:
    """Where a play came in from when not from this server's own players (README "Connect
    your media server"): the source kind, its name, and a ListenBrainz client's token digest."""

    source: str
    source_name: str | None = None
    origin_digest: str | None = None


NATIVE = PlayOrigin(source="native")


@dataclass(frozen=True)
class _Outcome:
    """What a session tells analytics and scrobbling; a change means announcing it again."""

    finished: bool
    state: str
    started_at: datetime
    ended_at: datetime | None
    played_ms: int
    counted: bool
    client: str | None
    device: str | None

    @classmethod
    def of(cls, play: PlaySession) -> _Outcome:
        return cls(
            finished=play.ended_at is not None,
            state=play.state,
            started_at=play.started_at,
            ended_at=play.ended_at,
            played_ms=play.played_ms,
            counted=play.counted,
            client=play.client,
            device=play.device,
        )


def _capped(played_ms: int, duration_ms: int | None) -> int:
    return min(played_ms, duration_ms) if duration_ms else played_ms


async def record_event(
    session: AsyncSession, principal: Principal, body: PlaybackEventCreate, settings: Settings
) -> PlaySession:
    """Record one event of this server's own players (see ``apply_event``)."""
    placed, _ = await apply_event(session, principal.id, body, settings, NATIVE)
    return placed


async def apply_event(
    session: AsyncSession,
    user_id: uuid.UUID,
    body: PlaybackEventCreate,
    settings: Settings,
    origin: PlayOrigin,
) -> tuple[PlaySession, bool]:
    """Record one player event; returns the session it belongs to and whether the event was
    new (False: the same event was stored already and nothing changed).

    Which session that is depends on the event's time, not on when it arrived (rules in
    ``playback.timeline``): an event joins the play it falls inside or just after, an older
    one opens or joins a play of its own, and a late event can join two plays or split one.
    ``session_id`` is checked (the caller's session of this item) but does not override the
    time. An event already stored (same item, kind and ``occurred_at``) is ignored.
    """
    now = clock.utcnow()
    occurred = (body.occurred_at or now).astimezone(UTC)
    if occurred > now + MAX_CLOCK_SKEW:
        raise Unprocessable("playback.event_in_future")
    item = await library.get_playable(session, MediaType(body.media_type), body.media_id)
    if item is None:
        raise NotFound("library.item_not_found")
    if body.session_id is not None:
        named = await session.get(PlaySession, body.session_id)
        # Another user's session answers like a missing one.
        if named is None or named.user_id != user_id:
            raise NotFound("playback.session_not_found")
        if named.media_id != body.media_id or named.media_type != body.media_type:
            raise Conflict("playback.session_media_mismatch")

    await repo.lock_item_timeline(session, user_id, body.media_type, body.media_id)
    rules = settings.play_rules
    window = timedelta(minutes=rules.resume_window_minutes)
    rows = await repo.sessions_around(
        session,
        user_id,
        body.media_type,
        body.media_id,
        occurred,
        max(window, IDLE_LIMIT) + MAX_CLOCK_SKEW,
    )
    stored = await repo.events_of(session, [row.id for row in rows])
    by_id = {row.id: row for row in rows}
    for earlier in stored:
        if earlier.event == body.event.value and earlier.occurred_at == occurred:
            return by_id[earlier.session_id], False

    event = PlayEvent(
        user_id=user_id,
        event=body.event.value,
        position_ms=body.position_ms,
        occurred_at=occurred,
    )
    plays = derive_plays([*stored, event], resume_window=window, idle_limit=IDLE_LIMIT)
    before = {row.id: _Outcome.of(row) for row in rows}
    owners = _assign_rows(plays, rows)
    last, last_row = plays[-1], owners[-1]
    if (
        not last.finished
        and last_row is not None
        and last_row.ended_at is not None
        and last.last_event_at < now - IDLE_LIMIT
    ):
        # Ended already (by the sweeper, or by a stop that a late event now follows) and idle
        # past the limit: it stays ended, as the sweeper would end it again.
        last.end_idle()

    written, placed = await _store_plays(
        session, plays, owners, rows, event, body, item.duration_ms, rules, origin
    )
    kept = {row.id for row, _ in written}
    for row in rows:
        if row.id not in kept:
            # Its events now belong to the play it was merged into; what it added to the
            # statistics is taken back.
            await session.delete(row)
            if row.ended_at is not None:
                await events.emit(
                    session, events.PlaybackSessionRemoved(session_id=row.id, user_id=row.user_id)
                )
    await session.flush()
    for row, created in written:
        await _announce(
            session,
            row,
            before=None if created else before[row.id],
            trigger=body.event if row is placed else None,
            rules=rules,
        )
    return placed, True


async def _store_plays(
    session: AsyncSession,
    plays: list[DerivedPlay],
    owners: list[PlaySession | None],
    rows: list[PlaySession],
    event: PlayEvent,
    body: PlaybackEventCreate,
    duration_ms: int | None,
    rules: PlayRuleSettings,
    origin: PlayOrigin,
) -> tuple[list[tuple[PlaySession, bool]], PlaySession]:
    """Write the derived plays to their sessions (creating the missing ones) and the new event
    to its play; returns every (session, created) and the session holding the new event."""
    by_id = {row.id: row for row in rows}
    written: list[tuple[PlaySession, bool]] = []
    placed: PlaySession | None = None
    for play, owner in zip(plays, owners, strict=True):
        row = owner
        if row is None:
            # Split off a stored session (keeping its player), or opened by this event.
            source = next(
                (by_id.get(e.session_id) for e in play.events if e.session_id in by_id), None
            )
            row = _new_row(play, event.user_id, body, duration_ms, source, origin)
            session.add(row)
            await session.flush()
        _write(row, play, rules)
        for play_event in play.events:
            play_event.session_id = row.id
        if any(e is event for e in play.events):
            placed = row
            _take_client(row, body, newest=play.events[-1] is event)
        written.append((row, owner is None))
    session.add(event)
    await session.flush()
    if placed is None:  # pragma: no cover - every event lands in one of the plays
        raise RuntimeError("playback event placed in no session")
    return written, placed


def _assign_rows(plays: list[DerivedPlay], rows: list[PlaySession]) -> list[PlaySession | None]:
    """Which stored session carries on each derived play (None: a new one).

    A session stays with the play holding most of its events, so its id and what was
    announced for it follow the play; where sessions merge, one already counted is kept (a
    deleted session's statistics would linger). Sessions left over were merged into others."""
    by_id = {row.id: row for row in rows}
    pairs = [
        (index, by_id[session_id], votes)
        for index, play in enumerate(plays)
        for session_id, votes in Counter(e.session_id for e in play.events).items()
        if session_id in by_id
    ]
    pairs.sort(
        key=lambda pair: (
            pair[1].counted and pair[1].ended_at is not None,
            pair[2],
            -pair[1].started_at.timestamp(),
            str(pair[1].id),
        ),
        reverse=True,
    )
    owners: list[PlaySession | None] = [None] * len(plays)
    taken: set[uuid.UUID] = set()
    for index, row, _ in pairs:
        if owners[index] is None and row.id not in taken:
            owners[index] = row
            taken.add(row.id)
    return owners


def _new_row(
    play: DerivedPlay,
    user_id: uuid.UUID,
    body: PlaybackEventCreate,
    duration_ms: int | None,
    source: PlaySession | None,
    origin: PlayOrigin,
) -> PlaySession:
    return PlaySession(
        source=source.source if source else origin.source,
        source_name=source.source_name if source else origin.source_name,
        origin_digest=source.origin_digest if source else origin.origin_digest,
        user_id=user_id,
        media_type=body.media_type,
        media_id=body.media_id,
        state=play.state,
        client=source.client if source else body.client,
        device=source.device if source else body.device,
        item_duration_ms=source.item_duration_ms if source else duration_ms,
        started_at=play.started_at,
        last_event_at=play.last_event_at,
        playing_since=play.playing_since,
        position_ms=play.position_ms,
        played_ms=0,
    )


def _write(row: PlaySession, play: DerivedPlay, rules: PlayRuleSettings) -> None:
    row.state = play.state
    row.started_at = play.started_at
    row.last_event_at = play.last_event_at
    row.playing_since = play.playing_since
    row.position_ms = play.position_ms
    row.played_ms = _capped(play.played_ms, row.item_duration_ms)
    row.ended_at = play.ended_at
    row.counted = play.finished and meets_play_rule(
        row.media_type, row.played_ms, row.item_duration_ms, rules
    )


def _take_client(row: PlaySession, body: PlaybackEventCreate, *, newest: bool) -> None:
    """The newest event's client and device name the session; older ones only fill gaps."""
    if body.client and (newest or not row.client):
        row.client = body.client
    if body.device and (newest or not row.device):
        row.device = body.device


async def _announce(
    session: AsyncSession,
    play: PlaySession,
    *,
    before: _Outcome | None,
    trigger: PlaybackEventType | None,
    rules: PlayRuleSettings,
) -> None:
    """Tell subscribers what changed, once: a new session is started; a session that is
    finished now and was not, or finished with other figures (a late event corrected it), is
    finished (analytics applies only the difference, scrobbles are keyed per play); a session
    still going whose state the event changed is updated. An event that changed nothing about
    a session announces nothing for it. Each event carries the session as it is now."""
    after = _Outcome.of(play)
    if before is None:
        event = trigger.value if trigger is not None else "start"
        await events.emit(session, facts_of(events.PlaybackSessionStarted, play, event, rules))
    if after.finished:
        if before is None or after != before:
            event = trigger.value if trigger is not None else "stop"
            await events.emit(session, facts_of(events.PlaybackSessionFinished, play, event, rules))
    elif before is not None and trigger in _STATE_EVENTS and after.state != before.state:
        # A late event may land before a later one that still decides the state: name the
        # state the session is in now.
        event = "pause" if after.state == PAUSED else "resume"
        if trigger == PlaybackEventType.start and after.state != PAUSED:
            event = "start"
        await events.emit(session, facts_of(events.PlaybackSessionUpdated, play, event, rules))


def facts_of(
    kind: type[events.PlaybackTransition], play: PlaySession, event: str, rules: PlayRuleSettings
) -> events.PlaybackTransition:
    """The session's facts for subscribers. ``counted`` is the play rule's verdict: final once
    the session ended, "so far" while it goes on (scrobbling's now-playing needs it)."""
    counted = (
        play.counted
        if play.ended_at is not None
        else meets_play_rule(play.media_type, play.played_ms, play.item_duration_ms, rules)
    )
    return kind(
        session_id=play.id,
        user_id=play.user_id,
        media_type=play.media_type,
        media_id=play.media_id,
        event=event,
        state=play.state,
        position_ms=play.position_ms,
        played_ms=play.played_ms,
        counted=counted,
        started_at=play.started_at,
        occurred_at=play.last_event_at,
        ended_at=play.ended_at,
        item_duration_ms=play.item_duration_ms,
        source=play.source,
        origin_digest=play.origin_digest,
    )


async def close_stale_sessions(session: AsyncSession, settings: Settings, idle: timedelta) -> int:
    """Players that vanish never send ``stop``: end their sessions at their last event."""
    closed = 0
    for play in await repo.idle_open_sessions(session, clock.utcnow() - idle):
        before = _Outcome.of(play)
        if play.state == "playing" and play.playing_since is not None:
            stretch = int((play.last_event_at - play.playing_since).total_seconds() * 1000)
            play.played_ms = _capped(play.played_ms + max(0, stretch), play.item_duration_ms)
        play.state, play.playing_since, play.ended_at = STOPPED, None, play.last_event_at
        play.counted = meets_play_rule(
            play.media_type, play.played_ms, play.item_duration_ms, settings.play_rules
        )
        await _announce(
            session, play, before=before, trigger=PlaybackEventType.stop, rules=settings.play_rules
        )
        closed += 1
    return closed


async def get_session(session: AsyncSession, session_id: uuid.UUID) -> PlaySession | None:
    return await session.get(PlaySession, session_id)


async def history(
    session: AsyncSession,
    principal: Principal,
    settings: Settings,
    limit: int,
    offset: int,
    *,
    media_type: str | None = None,
    media_id: uuid.UUID | None = None,
) -> tuple[list[HistoryEntry], int]:
    """The caller's finished plays that count (of one media type or item, if asked), newest
    first."""
    rows, total = await repo.counted_plays(
        session, principal.id, limit, offset, media_type=media_type, media_id=media_id
    )
    items = await lookup.resolve(
        session, [lookup.MediaRef.of(p.media_type, p.media_id) for p in rows]
    )
    entries = []
    for p in rows:
        item = items.get(lookup.MediaRef.of(p.media_type, p.media_id))
        entries.append(
            HistoryEntry(
                session_id=p.id,
                media_type=p.media_type,
                media_id=p.media_id,
                title=item.display_title if item is not None else None,
                subtitle=describe.subtitle(item) if item is not None else None,
                artwork=describe.artwork(settings.secret, item),
                started_at=p.started_at,
                ended_at=p.ended_at or p.last_event_at,
                played_ms=p.played_ms,
                client=p.client,
                device=p.device,
            )
        )
    return entries, total
