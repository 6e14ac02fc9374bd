"""Typed domain events between features, delivered as jobs in the emitter's transaction.

A feature announces ``emit(session, LibraryItemAdded(media_type=..., media_id=...))``; other
features subscribe a job to the event's class in their ``jobs.py``. Nothing is called
in-process, so features stay decoupled and a failing subscriber retries on its own.

Each event is a frozen dataclass that carries the facts as they were when it happened, so a
subscriber works from those, not from a re-read of rows that may have changed since. The
class is checked twice: ``emit`` takes only a known event, and ``subscribe`` refuses a job
whose parameters are not the event's fields. A job receives the fields as JSON keyword
arguments and rebuilds the event with ``EventClass.from_payload(kwargs)``.
"""

from __future__ import annotations

import dataclasses
import inspect
import uuid
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, TypeVar

from pydantic import TypeAdapter
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core.jobs import defer

E = TypeVar("E", bound="DomainEvent")
TaskT = TypeVar("TaskT")


@dataclass(frozen=True, kw_only=True)
class DomainEvent:
    name: ClassVar[str]

    def payload(self) -> dict[str, Any]:
        """The fields as JSON values (ids and times as strings), as a job's arguments."""
        return {
            field.name: _jsonable(getattr(self, field.name)) for field in dataclasses.fields(self)
        }

    @classmethod
    def from_payload(cls: type[E], payload: Mapping[str, Any]) -> E:
        return _adapter(cls).validate_python(dict(payload))


def _jsonable(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


_adapters: dict[type, TypeAdapter[Any]] = {}


def _adapter(cls: type[E]) -> TypeAdapter[E]:
    if cls not in _adapters:
        _adapters[cls] = TypeAdapter(cls)
    return _adapters[cls]


# --- the events ----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class LibraryItemAdded(DomainEvent):
    name: ClassVar[str] = "library.item_added"
    media_type: str
    media_id: uuid.UUID
    library_id: uuid.UUID | None = None


@dataclass(frozen=True, kw_only=True)
class LibraryItemRemoved(DomainEvent):
    """The item's file is gone (the item is marked missing)."""

    name: ClassVar[str] = "library.item_removed"
    media_type: str
    media_id: uuid.UUID
    library_id: uuid.UUID | None = None


@dataclass(frozen=True, kw_only=True)
class PlaybackTransition(DomainEvent):
    """A play session as one playback event left it."""

    session_id: uuid.UUID
    user_id: uuid.UUID
    media_type: str
    media_id: uuid.UUID
    # What happened: start, pause, resume, progress, stop (or idle: ended by the sweeper).
    event: str
    state: str
    position_ms: int
    played_ms: int
    counted: bool
    started_at: datetime
    occurred_at: datetime
    ended_at: datetime | None = None
    item_duration_ms: int | None = None
    # Where the play came in (PlaySession.source) and, for a ListenBrainz client's play, the
    # SHA-256 of its token (scrobbling sends it back to no connection with that token).
    source: str = "native"
    origin_digest: str | None = None


@dataclass(frozen=True, kw_only=True)
class PlaybackSessionStarted(PlaybackTransition):
    name: ClassVar[str] = "playback.session_started"


@dataclass(frozen=True, kw_only=True)
class PlaybackSessionUpdated(PlaybackTransition):
    """Paused or resumed."""

    name: ClassVar[str] = "playback.session_updated"


@dataclass(frozen=True, kw_only=True)
class PlaybackSessionFinished(PlaybackTransition):
    """Finished, or finished with other figures (a late event corrected it)."""

    name: ClassVar[str] = "playback.session_finished"


@dataclass(frozen=True, kw_only=True)
class PlaybackSessionRemoved(DomainEvent):
    """A late event merged this session into another (its events now belong to that one)."""

    name: ClassVar[str] = "playback.session_removed"
    session_id: uuid.UUID
    user_id: uuid.UUID


EVENTS: tuple[type[DomainEvent], ...] = (
    LibraryItemAdded,
    LibraryItemRemoved,
    PlaybackSessionStarted,
    PlaybackSessionUpdated,
    PlaybackSessionFinished,
    PlaybackSessionRemoved,
)

# --- subscribing and emitting ----------------------------------------------------------------

_subscribers: dict[type[DomainEvent], list[Any]] = defaultdict(list)


def subscribe(event_type: type[DomainEvent]) -> Callable[[TaskT], TaskT]:
    """Register a procrastinate task to be deferred with the fields of every ``event_type``.

    The task must take every field as a keyword (or ``**kwargs``) and need nothing else."""
    if event_type not in EVENTS:
        raise TypeError(f"{event_type!r} is not a domain event")

    def register(task: TaskT) -> TaskT:
        _check_signature(task, event_type)
        if task not in _subscribers[event_type]:
            _subscribers[event_type].append(task)
        return task

    return register


def _check_signature(task: Any, event_type: type[DomainEvent]) -> None:
    parameters = inspect.signature(getattr(task, "func", task)).parameters.values()
    fields = {field.name for field in dataclasses.fields(event_type)}
    named = {p.name for p in parameters if p.kind is not inspect.Parameter.VAR_KEYWORD}
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters)
    required = {
        p.name
        for p in parameters
        if p.default is inspect.Parameter.empty
        and p.kind not in (inspect.Parameter.VAR_KEYWORD, inspect.Parameter.VAR_POSITIONAL)
    }
    missing = fields - named if not takes_any else set()
    if missing or required - fields:
        raise TypeError(
            f"{getattr(task, 'name', task)!r} cannot take {event_type.__name__}: "
            f"missing {sorted(missing)}, needs {sorted(required - fields)}"
        )


def subscribers(event_type: type[DomainEvent]) -> list[Any]:
    return list(_subscribers[event_type])


async def emit(session: AsyncSession, event: DomainEvent) -> None:
    if type(event) not in EVENTS:
        raise TypeError(f"{event!r} is not a domain event")
    payload = event.payload()
    for task in _subscribers[type(event)]:
        await defer(session, task, **payload)
