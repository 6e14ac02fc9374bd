"""One user's events of one item, read in time order, make that item's plays.

The plays are a function of the set of events, not of the order they arrived in: an offline
client that syncs later, a webhook from another server or a retried request may deliver events
late, twice or shuffled, and the answer is what a player sending them live would have produced
(with the idle sweeper keeping up). Reading the events in time order:

- the first event opens a play that starts at that event: ``start``, ``resume`` and ``progress``
  mean it is playing, ``pause`` that it is paused, and a lone ``stop`` makes a finished play that
  starts and ends at that moment (a late ``start`` up to ``idle_limit`` before it joins it);
- an event continues the current play when it comes at most ``resume_window`` after the last
  event of a finished play (README "Play rules") or at most ``idle_limit`` after the last event
  of an unfinished one (a paused player may resume hours later; the sweeper ends a play idle for
  that long). Otherwise the current play ends (if unfinished, at its last event, as the sweeper
  would end it) and the event opens a new one;
- time played adds up the playing stretches, each from ``start``/``resume`` (or the last
  ``progress``) to the next ``pause``/``progress``/``stop``; pauses add nothing. After a ``stop``
  only a ``start`` or ``resume`` plays again; a ``pause`` or ``progress`` only becomes the play's
  last event, and a second ``stop`` moves the end to itself.

Events at the same instant are read start, resume, progress, pause, stop.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from revenge.playback.models import PlayEvent

PLAYING, PAUSED, STOPPED = "playing", "paused", "stopped"
_READ_ORDER = {"start": 0, "resume": 1, "progress": 2, "pause": 3, "stop": 4}


def reading_order(event: PlayEvent) -> tuple[datetime, int, int]:
    return event.occurred_at, _READ_ORDER[event.event], event.position_ms


@dataclass
class DerivedPlay:
    """A play as its events say; ``played_ms`` is not yet capped at the item's duration."""

    started_at: datetime
    last_event_at: datetime
    state: str
    playing_since: datetime | None
    position_ms: int
    ended_at: datetime | None = None
    played_ms: int = 0
    events: list[PlayEvent] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        return self.state == STOPPED

    @classmethod
    def opened_by(cls, event: PlayEvent) -> DerivedPlay:
        at = event.occurred_at
        state = {"pause": PAUSED, "stop": STOPPED}.get(event.event, PLAYING)
        return cls(
            started_at=at,
            last_event_at=at,
            state=state,
            playing_since=at if state == PLAYING else None,
            position_ms=event.position_ms,
            ended_at=at if state == STOPPED else None,
            events=[event],
        )

    def apply(self, event: PlayEvent) -> None:
        at, kind = event.occurred_at, event.event
        if kind in ("start", "resume"):
            if self.state != PLAYING:
                self.state, self.playing_since, self.ended_at = PLAYING, at, None
        elif kind == "progress":
            self._accrue(at)
        elif kind == "pause":
            if self.state == PLAYING:
                self._accrue(at)
                self.state, self.playing_since = PAUSED, None
        elif kind == "stop":
            self._accrue(at)
            self.state, self.playing_since, self.ended_at = STOPPED, None, at
        self.position_ms = event.position_ms
        self.last_event_at = max(self.last_event_at, at)
        self.events.append(event)

    def end_idle(self) -> None:
        """End an unfinished play at its last event (what the idle sweeper does)."""
        if not self.finished:
            self._accrue(self.last_event_at)
            self.state, self.playing_since, self.ended_at = STOPPED, None, self.last_event_at

    def _accrue(self, until: datetime) -> None:
        if self.state == PLAYING and self.playing_since is not None:
            self.played_ms += max(0, int((until - self.playing_since).total_seconds() * 1000))
            self.playing_since = max(until, self.playing_since)

    def continued_by(
        self, event: PlayEvent, resume_window: timedelta, idle_limit: timedelta
    ) -> bool:
        gap = event.occurred_at - self.last_event_at
        return gap <= (resume_window if self.finished else idle_limit)


def derive_plays(
    events: Iterable[PlayEvent], *, resume_window: timedelta, idle_limit: timedelta
) -> list[DerivedPlay]:
    """Split one user's events of one item into plays, oldest first (rules in the module doc)."""
    plays: list[DerivedPlay] = []
    for event in sorted(events, key=reading_order):
        current = plays[-1] if plays else None
        if current is not None and current.continued_by(event, resume_window, idle_limit):
            current.apply(event)
            continue
        if current is not None:
            current.end_idle()
        plays.append(DerivedPlay.opened_by(event))
    return plays
