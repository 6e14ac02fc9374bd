"""Events of a drain batch that add nothing to a play are not applied one by one.

Jellyfin reports the position every few seconds while a play goes on (a progress becomes a
resume or a pause, ``ingest.senders.jellyfin``). Applying one costs playback a lock and a
re-derivation of the play, and after a burst most of a batch is such reports. Within one
timeline (user and item) of a batch, read in time order, a report is skipped when playback
would do nothing with it but move the play's last event and position on, which the next event
in the batch does anyway:

- a progress or resume while the play is known to be playing (the time played adds up the same
  either way: playback counts the playing stretch from its start to the next pause or stop),
- a pause while it is known to be paused,

and only when a later event of the same timeline follows in the batch within ``MAX_GAP`` (far
inside playback's idle limit, so no skipped report was what kept a play open). The first event
of a timeline in a batch is always applied, because what the play was doing before it is in
the database, not in the batch.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from datetime import timedelta
from typing import TypeVar

from revenge.ingest.incoming import IncomingEvent, IncomingKind

MAX_GAP = timedelta(hours=1)
E = TypeVar("E", bound=IncomingEvent)

_STATE_AFTER = {
    IncomingKind.start: "playing",
    IncomingKind.resume: "playing",
    IncomingKind.pause: "paused",
    IncomingKind.stop: "stopped",
    IncomingKind.played: "stopped",
    IncomingKind.listen: "stopped",
}


def skippable(events: Sequence[E], timeline_of: Callable[[E], Hashable | None]) -> set[int]:
    """Positions in ``events`` (sorted by timeline, then time) of the reports to skip.
    ``timeline_of`` names an event's timeline; None: not applied (unmatched), never skipped."""
    skip: set[int] = set()
    for index, event in enumerate(events):
        timeline = timeline_of(event)
        if timeline is None:
            continue
        previous = _previous_kept(events, index, timeline, timeline_of, skip)
        following = events[index + 1] if index + 1 < len(events) else None
        if (
            previous is None
            or following is None
            or timeline_of(following) != timeline
            or following.occurred_at - previous.occurred_at > MAX_GAP
        ):
            continue
        state = _state_before(events, index, timeline, timeline_of)
        if (state == "playing" and event.kind in (IncomingKind.progress, IncomingKind.resume)) or (
            state == "paused" and event.kind is IncomingKind.pause
        ):
            skip.add(index)
    return skip


def _previous_kept(
    events: Sequence[E],
    index: int,
    timeline: Hashable,
    timeline_of: Callable[[E], Hashable | None],
    skip: set[int],
) -> E | None:
    for earlier in range(index - 1, -1, -1):
        if timeline_of(events[earlier]) != timeline:
            return None
        if earlier not in skip:
            return events[earlier]
    return None


def _state_before(
    events: Sequence[E], index: int, timeline: Hashable, timeline_of: Callable[[E], Hashable | None]
) -> str | None:
    """What the batch's own events say the play is doing before ``index`` (None: unknown)."""
    for earlier in range(index - 1, -1, -1):
        if timeline_of(events[earlier]) != timeline:
            return None
        state = _STATE_AFTER.get(events[earlier].kind)
        if state is not None:
            return state
    return None
