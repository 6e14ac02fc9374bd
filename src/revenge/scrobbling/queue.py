"""The scrobble queue: planning a playback transition into queue items, and the queue as the
user sees it (list, retry by hand). Sending is ``delivery.py``.

A playback event is first recorded (``record_transition``, a ``scrobble_transitions`` row, with
the user's planning job scheduled in the same transaction); the planning job plans all of the
user's recorded transitions in order (``plan_recorded_transitions``). Whatever queues something
schedules its delivery in the same transaction.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core import clock
from revenge.core.config import Settings
from revenge.core.errors import Conflict, NotFound
from revenge.core.events import (
    PlaybackSessionFinished,
    PlaybackSessionStarted,
    PlaybackSessionUpdated,
    PlaybackTransition,
)
from revenge.core.security import token_digest
from revenge.library.snapshots import ItemSnapshot, scrobble_snapshot
from revenge.scrobbling import repository as repo
from revenge.scrobbling import tasks
from revenge.scrobbling.connections import credentials_of
from revenge.scrobbling.models import ScrobbleConnection, ScrobbleQueueItem
from revenge.scrobbling.providers.base import PlayFacts, PlayTransition
from revenge.scrobbling.providers.registry import get_provider
from revenge.scrobbling.schemas import QueueItemRead

# Which per-connection toggle decides whether a media type is sent.
TOGGLES = {"movie": "scrobble_movies", "episode": "scrobble_tv", "track": "scrobble_music"}


def idempotency_key(
    media_type: str, media_id: uuid.UUID, play: object, action: str, event_ms: int | None
) -> str:
    """One queue item per play and action (and event, for those sent per event).

    ``play`` names the play: its session id, which stays when late events (an offline
    client's sync) move the play's start, so a play is never scrobbled twice."""
    key = f"{media_type}:{media_id}:{play}:{action}"
    return key if event_ms is None else f"{key}:{event_ms}"


def _facts(play: PlaybackTransition, transition: PlayTransition, duration: int | None) -> PlayFacts:
    event_at = (
        play.ended_at
        if transition == PlayTransition.finished and play.ended_at
        else play.occurred_at
    )
    return PlayFacts(
        transition=transition,
        media_type=play.media_type,
        started_at=play.started_at,
        event_at=event_at,
        position_ms=play.position_ms,
        played_ms=play.played_ms,
        duration_ms=duration,
        # The play rule's verdict as playback gave it (final once stopped, so far before).
        counted=play.counted,
    )


def _rows(
    play: PlaybackTransition,
    connection: ScrobbleConnection,
    facts: PlayFacts,
    snapshot: ItemSnapshot,
    settings: Settings,
    now: datetime,
) -> list[dict[str, Any]]:
    """What one provider must hear about this transition, as queue rows."""
    provider = get_provider(connection.provider, settings)
    # A provider never hears about media it does not handle, nor what the user switched off.
    if play.media_type not in provider.media_types:
        return []
    if not getattr(connection, TOGGLES[play.media_type]):
        return []
    return [
        {
            "id": uuid.uuid4(),
            "user_id": play.user_id,
            "provider": connection.provider,
            "media_type": play.media_type,
            "media_id": play.media_id,
            "action": planned.action,
            "timestamp": planned.timestamp,
            "play_started_at": play.started_at,
            "idempotency_key": idempotency_key(
                play.media_type,
                play.media_id,
                play.session_id,
                planned.action,
                None if planned.once_per_play else int(planned.timestamp.timestamp() * 1000),
            ),
            "payload": snapshot.to_json(),
            "progress": planned.progress,
            "status": "pending",
            "next_attempt_at": now,
        }
        for planned in provider.plan(facts)
    ]


class _Connections:
    """The user's enabled connections, and the SHA-256 of each one's token, worked out at
    most once per planning batch and only when a play came in with a token digest."""

    def __init__(self, connections: list[ScrobbleConnection], settings: Settings) -> None:
        self.enabled = [c for c in connections if c.enabled]
        self._settings = settings
        self._digests: dict[uuid.UUID, str] | None = None

    def token_digest(self, connection: ScrobbleConnection) -> str:
        if self._digests is None:
            self._digests = {
                c.id: token_digest(credentials_of(c, self._settings).access_token)
                for c in self.enabled
            }
        return self._digests[connection.id]

    def receiving(self, play: PlaybackTransition) -> list[ScrobbleConnection]:
        """The connections this play may go to: a play that a client submitted here with a
        token (ListenBrainz's /1/) never goes back to a connection holding that same token,
        or the two would echo each other's plays for ever."""
        if play.origin_digest is None:
            return self.enabled
        return [c for c in self.enabled if self.token_digest(c) != play.origin_digest]


async def queue_play(
    session: AsyncSession,
    play: PlaybackTransition,
    transition: PlayTransition,
    settings: Settings,
    connections: _Connections | None = None,
) -> list[str]:
    """Queue what each of the user's providers must hear about this playback transition, and
    schedule the delivery for every provider that got new items.

    Planned from the facts the event carries (the session as that event left it), not from a
    re-read of the session. Returns those providers. Safe to run twice: idempotency keys
    dedupe.
    """
    if connections is None:
        connections = _Connections(await repo.list_connections(session, play.user_id), settings)
    receiving = connections.receiving(play)
    if not receiving:
        return []
    snapshot = await scrobble_snapshot(session, play.media_type, play.media_id)
    if snapshot is None:
        return []
    facts = _facts(play, transition, play.item_duration_ms or snapshot.duration_ms)
    now = clock.utcnow()
    queued: list[str] = []
    for connection in receiving:
        rows = _rows(play, connection, facts, snapshot, settings, now)
        if await repo.insert_queue_items(session, rows):
            queued.append(connection.provider)
            await tasks.schedule_delivery(session, play.user_id, connection.provider)
    return queued


# The event class a recorded transition's facts are read back as.
_EVENT_OF_KIND: dict[PlayTransition, type[PlaybackTransition]] = {
    PlayTransition.started: PlaybackSessionStarted,
    PlayTransition.paused: PlaybackSessionUpdated,
    PlayTransition.resumed: PlaybackSessionUpdated,
    PlayTransition.finished: PlaybackSessionFinished,
}


async def record_transition(
    session: AsyncSession, play: PlaybackTransition, transition: PlayTransition
) -> None:
    """Record the transition's facts for planning and schedule the user's planning job (one
    waiting job per user absorbs the others)."""
    await repo.record_transition(
        session, play.user_id, play.session_id, transition.value, play.payload()
    )
    await tasks.schedule_planning(session, play.user_id)


async def plan_recorded_transitions(
    session: AsyncSession, user_id: uuid.UUID, settings: Settings
) -> int:
    """Plan each of the user's recorded transitions, in the order they were recorded, exactly
    as ``queue_play`` plans one, and delete them: all in the caller's transaction, so a failure
    leaves every row for the next planning job. Returns how many were planned."""
    recorded = await repo.take_transitions(session, user_id)
    connections = (
        _Connections(await repo.list_connections(session, user_id), settings) if recorded else None
    )
    for row in recorded:
        transition = PlayTransition(row.kind)
        play = _EVENT_OF_KIND[transition].from_payload(row.facts)
        await queue_play(session, play, transition, settings, connections)
    await repo.delete_transitions(session, [row.id for row in recorded])
    return len(recorded)


async def schedule_leftover_planning(session: AsyncSession) -> int:
    """A planning job for every user with recorded transitions (a planning job that failed
    left them). Returns how many users were found."""
    users = await repo.users_with_transitions(session)
    for user_id in users:
        await tasks.schedule_planning(session, user_id)
    return len(users)


# --- the queue as the user sees it ------------------------------------------------------------
def queue_item_read(item: ScrobbleQueueItem) -> QueueItemRead:
    read = QueueItemRead.model_validate(item)
    return read.model_copy(
        update={"title": item.payload.get("title"), "artist": item.payload.get("artist")}
    )


async def list_queue(
    session: AsyncSession, user_id: uuid.UUID, status: str | None, limit: int, offset: int
) -> tuple[list[QueueItemRead], int]:
    items, total = await repo.list_queue(session, user_id, status, limit, offset)
    return [queue_item_read(i) for i in items], total


async def retry_queue_item(
    session: AsyncSession, user_id: uuid.UUID, item_id: uuid.UUID
) -> QueueItemRead:
    """Send a failed item again (by hand): back to pending, attempts reset, delivery scheduled."""
    item = await session.get(ScrobbleQueueItem, item_id, with_for_update=True)
    if item is None or item.user_id != user_id:
        raise NotFound("scrobbling.queue_item_not_found")
    if item.status != "failed":
        raise Conflict("scrobbling.queue_item_not_retryable", status=item.status)
    item.status = "pending"
    item.retry_count = 0
    item.next_attempt_at = clock.utcnow()
    item.last_error = None
    await session.flush()
    await tasks.schedule_delivery(session, user_id, item.provider)
    return queue_item_read(item)
