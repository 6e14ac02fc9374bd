"""Domain events between features, delivered as jobs in the emitter's transaction.

A feature announces ``emit(session, "library.item_added", media_type=..., media_id=...)``;
other features subscribe a job to the event name in their ``jobs.py``. Nothing is called
in-process, so features stay decoupled and a failing subscriber retries on its own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core.jobs import defer

LIBRARY_ITEM_ADDED = "library.item_added"
LIBRARY_ITEM_REMOVED = "library.item_removed"
PLAYBACK_SESSION_STARTED = "playback.session_started"
PLAYBACK_SESSION_UPDATED = "playback.session_updated"
PLAYBACK_SESSION_FINISHED = "playback.session_finished"
# A late event merged this session into another (its events now belong to that one).
PLAYBACK_SESSION_REMOVED = "playback.session_removed"

TaskT = TypeVar("TaskT")
_subscribers: dict[str, list[Any]] = defaultdict(list)


def subscribe(event: str) -> Callable[[TaskT], TaskT]:
    """Register a procrastinate task to be deferred with the payload of every ``event``."""

    def register(task: TaskT) -> TaskT:
        if task not in _subscribers[event]:
            _subscribers[event].append(task)
        return task

    return register


def subscribers(event: str) -> list[Any]:
    return list(_subscribers[event])


async def emit(session: AsyncSession, event: str, /, **payload: Any) -> None:
    for task in _subscribers[event]:
        await defer(session, task, **payload)
