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
import json
import uuid
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from typing import Any, ClassVar, TypeVar

from procrastinate.jobs import Job
from pydantic import TypeAdapter
from sqlalchemy import text
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


@dataclass(frozen=True, kw_only=True)
class ContentRequestApproved(DomainEvent):
    """A request was approved (by an admin or automatically), or an admin asked to send it to
    the downloader again (``resend``): what to fetch, as the request said it then."""

    name: ClassVar[str] = "content_requests.approved"
    request_id: uuid.UUID
    media_type: str
    external_source: str
    external_id: str
    tvdb_id: int | None = None
    title: str
    year: int | None = None
    # TV only; None = the whole series.
    seasons: list[int] | None = None
    resend: bool = False


@dataclass(frozen=True, kw_only=True)
class ContentRequestClosed(DomainEvent):
    """A request is settled (denied or available): nobody needs to follow its download now.
    Nothing is deleted in a downloader because of it."""

    name: ClassVar[str] = "content_requests.closed"
    request_id: uuid.UUID
    status: str


@dataclass(frozen=True, kw_only=True)
class DownloadHandoffChanged(DomainEvent):
    """A request's hand-off to a downloader (Radarr, Sonarr, Lidarr) was sent, waits for a
    retry, or failed for good; ``reason_code`` is stable, ``reason`` the downloader's words."""

    name: ClassVar[str] = "downloaders.handoff_changed"
    request_id: uuid.UUID
    state: str  # sent | retrying | failed
    downloader_id: uuid.UUID | None = None
    downloader_name: str | None = None
    downloader_kind: str | None = None
    item_id: int | None = None
    reason_code: str | None = None
    reason: str | None = None
    next_attempt_at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class DownloadProgress:
    """One request's download as its downloader's queue showed it (status None: not in the
    queue, e.g. still searching or already imported)."""

    request_id: uuid.UUID
    status: str | None
    progress: float | None = None
    size_bytes: int | None = None
    size_left_bytes: int | None = None
    estimated_completion_at: datetime | None = None
    checked_at: datetime


@dataclass(frozen=True, kw_only=True)
class DownloadProgressReported(DomainEvent):
    """The downloads that changed since the last look at a downloader's queue (one event per
    look, not one per request)."""

    name: ClassVar[str] = "downloaders.progress_reported"
    entries: tuple[DownloadProgress, ...]

    def payload(self) -> dict[str, Any]:
        return {
            "entries": [
                {
                    field.name: _jsonable(getattr(entry, field.name))
                    for field in dataclasses.fields(entry)
                }
                for entry in self.entries
            ]
        }


EVENTS: tuple[type[DomainEvent], ...] = (
    LibraryItemAdded,
    LibraryItemRemoved,
    PlaybackSessionStarted,
    PlaybackSessionUpdated,
    PlaybackSessionFinished,
    PlaybackSessionRemoved,
    ContentRequestApproved,
    ContentRequestClosed,
    DownloadHandoffChanged,
    DownloadProgressReported,
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


# Many jobs in one statement: the job rows are built in the database from one JSON array of
# arguments and the subscribers' task settings, through procrastinate's own (versioned)
# deferral function, which ``batch_defer_async`` calls too. Passing its composite type from
# Python instead costs about half a millisecond per job in the driver, a 1,000-listen import
# most of a second. The jobs come in subscriber order, then event order, as one statement
# per subscriber would insert them.
_DEFER_MANY = text(
    """
    SELECT unnest(procrastinate_defer_jobs_v1(ARRAY(
        SELECT ROW(task.queue, task.task_name, task.priority, task.lock, NULL, given.args, NULL)
               ::procrastinate_job_to_defer_v1
        FROM unnest(
                 CAST(:queues AS text[]), CAST(:task_names AS text[]),
                 CAST(:priorities AS integer[]), CAST(:locks AS text[])
             ) WITH ORDINALITY AS task(queue, task_name, priority, lock, t)
        CROSS JOIN jsonb_array_elements(CAST(:args AS jsonb)) WITH ORDINALITY AS given(args, n)
        ORDER BY task.t, given.n
    )))
    """
)


async def emit_many(session: AsyncSession, batch: Sequence[DomainEvent]) -> None:
    """``emit`` for many events at once (a 1,000-listen import): the jobs of an event class's
    subscribers are inserted with one statement, in the caller's transaction. A subscriber
    with a queueing lock is deferred one by one, so that a waiting job still absorbs the
    others as with ``emit``."""
    by_type: dict[type[DomainEvent], list[DomainEvent]] = defaultdict(list)
    for event in batch:
        if type(event) not in EVENTS:
            raise TypeError(f"{event!r} is not a domain event")
        by_type[type(event)].append(event)
    for event_type, group in by_type.items():
        arguments: str | None = None
        # Subscriber by subscriber, as ``emit`` defers them: consecutive ones without a
        # queueing lock together.
        for locked, tasks in groupby(_subscribers[event_type], key=_has_queueing_lock):
            if locked:
                for task in tasks:
                    for event in group:
                        await defer(session, task, **event.payload())
                continue
            if arguments is None:
                arguments = json.dumps([event.payload() for event in group])
            await _defer_many(session, [task.configure().job for task in tasks], arguments)


def _has_queueing_lock(task: Any) -> bool:
    return task.configure().job.queueing_lock is not None


async def _defer_many(session: AsyncSession, jobs: Sequence[Job], arguments: str) -> None:
    """One job per job in ``jobs`` per element of the JSON array ``arguments``.

    No savepoint around it, unlike ``defer``'s: that one is there for a queueing-lock
    conflict, which these jobs (without one) cannot have, and any other failure is the
    caller's to roll back."""
    await session.execute(
        _DEFER_MANY,
        {
            "queues": [job.queue for job in jobs],
            "task_names": [job.task_name for job in jobs],
            "priorities": [job.priority for job in jobs],
            "locks": [job.lock for job in jobs],
            "args": arguments,
        },
    )
