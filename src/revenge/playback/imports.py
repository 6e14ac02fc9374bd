"""Plays that arrive whole, and "now playing" notices that never say stop.

A ListenBrainz client reports a listen after the fact ("this track was played at 20:14"),
another server reports "marked played": such a play has no events of its own to derive from.
``record_finished_plays`` writes many of them at once as finished, counted sessions, each
with the two events a player would have sent (start at its start, stop at its end), so the
timeline rules see them like any other play if a later event of the same item comes near.
The same user, item and start is one play, however often a client retries.

A ListenBrainz ``playing_now`` opens a session like a player's start; the client never sends
a stop, so ``end_reported_sessions`` ends what it reported earlier when it moves on.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core import events
from revenge.core.config import Settings
from revenge.core.errors import NotFound
from revenge.library import lookup
from revenge.playback import repository as repo
from revenge.playback.models import PlaySession
from revenge.playback.schemas import PlaybackEventCreate, PlaybackEventType
from revenge.playback.service import PlayOrigin, apply_event
from revenge.playback.timeline import PLAYING, STOPPED


@dataclass(frozen=True, kw_only=True)
class FinishedPlay:
    user_id: uuid.UUID
    media_type: str  # movie|episode|track
    media_id: uuid.UUID
    started_at: datetime  # aware
    # How long it played; None: the item's duration from the library.
    duration_ms: int | None
    client: str | None = None
    device: str | None = None


# Sessions and both of their events in one statement. A row whose user, item and start is
# stored already (or comes earlier in the batch) is skipped: clients retry. The caller holds
# each user's lock (below), so two batches of one user cannot both insert the same play.
#
# The driver's own SQL, for its binary parameters (``%(name)b``): it writes the eleven arrays
# of a 1,000-play batch in about a millisecond that way, in text (every value formatted and
# checked for quoting, which is all SQLAlchemy's parameters offer) in ten.
_INSERT = """
    WITH input AS (
        SELECT * FROM unnest(
            %(ord)b::bigint[], %(ids)b::uuid[], %(user_ids)b::uuid[], %(media_types)b::text[],
            %(media_ids)b::uuid[], %(started)b::timestamptz[], %(ended)b::timestamptz[],
            %(played)b::bigint[], %(durations)b::bigint[], %(clients)b::text[],
            %(devices)b::text[]
        ) AS t(ord, id, user_id, media_type, media_id, started_at, ended_at, played_ms,
               item_duration_ms, client, device)
    ), fresh AS (
        SELECT DISTINCT ON (i.user_id, i.media_type, i.media_id, i.started_at) i.*
        FROM input i
        WHERE NOT EXISTS (
            SELECT 1 FROM shared.play_sessions s
            WHERE s.user_id = i.user_id AND s.media_type = i.media_type
              AND s.media_id = i.media_id AND s.started_at = i.started_at
        )
        ORDER BY i.user_id, i.media_type, i.media_id, i.started_at, i.ord
    ), sessions AS (
        INSERT INTO shared.play_sessions (
            id, user_id, media_type, media_id, state, client, device, started_at,
            last_event_at, playing_since, position_ms, played_ms, item_duration_ms, ended_at,
            counted, source, source_name, origin_digest
        )
        SELECT id, user_id, media_type, media_id, 'stopped', client, device, started_at,
               ended_at, NULL, played_ms, played_ms, item_duration_ms, ended_at,
               true, %(source)s, %(source_name)s, %(origin_digest)s
        FROM fresh
        RETURNING id
    ), play_events AS (
        INSERT INTO shared.play_events (session_id, user_id, event, position_ms, occurred_at)
        SELECT f.id, f.user_id, e.event,
               CASE WHEN e.event = 'start' THEN 0 ELSE f.played_ms END,
               CASE WHEN e.event = 'start' THEN f.started_at ELSE f.ended_at END
        FROM fresh f JOIN sessions s ON s.id = f.id
        CROSS JOIN (VALUES ('start'), ('stop')) AS e(event)
    )
    SELECT id FROM sessions
"""


def _lock_key(user_id: uuid.UUID) -> str:
    return f"playback-finished:{user_id}"


async def _lock_users(session: AsyncSession, user_ids: set[uuid.UUID]) -> None:
    """Serialise recording finished plays per user until the transaction ends (in one order,
    so that two batches of several users never wait on each other crosswise)."""
    keys = sorted(_lock_key(user_id) for user_id in user_ids)
    await session.execute(
        text(
            "SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) "
            "FROM (SELECT k FROM unnest(CAST(:keys AS text[])) AS k ORDER BY k) AS ordered"
        ),
        {"keys": keys},
    )


def _clip(value: str | None) -> str | None:
    return value[:100] if value else None


async def record_finished_plays(
    session: AsyncSession, plays: Sequence[FinishedPlay], origin: PlayOrigin
) -> list[bool]:
    """Record each entry as a finished, counted play that started at ``started_at``; returns
    per entry whether it is new (False: this user's play of that item at that start was
    recorded already, now or earlier in the batch).

    It played for its ``duration_ms`` (capped at the item's length, as a player's play is),
    else for the item's length. One statement for the batch, whatever its size, and one job
    insert per subscriber of ``PlaybackSessionFinished`` (analytics, scrobbling), so a
    1,000-listen import costs a handful of statements.
    """
    if not plays:
        return []
    refs = [lookup.MediaRef.of(play.media_type, play.media_id) for play in plays]
    # Only the items' lengths are needed here, not whole items.
    lengths = await lookup.durations(session, refs)
    if len(lengths) != len(set(refs)):
        raise NotFound("library.item_not_found")
    await _lock_users(session, {play.user_id for play in plays})

    rows = [_row_of(play, lengths[ref]) for play, ref in zip(plays, refs, strict=True)]
    # The driver's statement bypasses the session's autoflush: flush as ``execute`` would.
    await session.flush()
    connection = await session.connection()
    inserted = set(
        (
            await connection.exec_driver_sql(
                _INSERT,
                {
                    "ord": list(range(len(rows))),
                    "ids": [row.id for row in rows],
                    "user_ids": [row.play.user_id for row in rows],
                    "media_types": [row.play.media_type for row in rows],
                    "media_ids": [row.play.media_id for row in rows],
                    "started": [row.started_at for row in rows],
                    "ended": [row.ended_at for row in rows],
                    "played": [row.played_ms for row in rows],
                    "durations": [row.item_duration_ms for row in rows],
                    "clients": [_clip(row.play.client) for row in rows],
                    "devices": [_clip(row.play.device) for row in rows],
                    "source": origin.source,
                    "source_name": _clip(origin.source_name),
                    "origin_digest": origin.origin_digest,
                },
            )
        ).scalars()
    )
    await events.emit_many(
        session,
        [
            events.PlaybackSessionFinished(
                session_id=row.id,
                user_id=row.play.user_id,
                media_type=row.play.media_type,
                media_id=row.play.media_id,
                event="stop",
                state=STOPPED,
                position_ms=row.played_ms,
                played_ms=row.played_ms,
                counted=True,
                started_at=row.started_at,
                occurred_at=row.ended_at,
                ended_at=row.ended_at,
                item_duration_ms=row.item_duration_ms,
                source=origin.source,
                origin_digest=origin.origin_digest,
            )
            for row in rows
            if row.id in inserted
        ],
    )
    return [row.id in inserted for row in rows]


@dataclass(frozen=True)
class _Row:
    """A play as it is written: its id (if new), times and figures."""

    id: uuid.UUID
    play: FinishedPlay
    started_at: datetime
    ended_at: datetime
    played_ms: int
    item_duration_ms: int | None


def _row_of(play: FinishedPlay, length: int | None) -> _Row:
    """``length``: the item's duration in the library, if known."""
    played = play.duration_ms if play.duration_ms is not None else (length or 0)
    if length:
        played = min(played, length)
    started = play.started_at.astimezone(UTC)
    return _Row(
        id=uuid.uuid4(),
        play=play,
        started_at=started,
        ended_at=started + timedelta(milliseconds=played),
        played_ms=played,
        item_duration_ms=length or play.duration_ms,
    )


async def end_reported_sessions(
    session: AsyncSession,
    user_id: uuid.UUID,
    origin: PlayOrigin,
    settings: Settings,
    *,
    only: tuple[str, uuid.UUID] | None = None,
    keep: tuple[str, uuid.UUID] | None = None,
) -> int:
    """End the open sessions a client (``origin``: its source and token digest) reported
    itself: the client moved on to ``keep``, or reported the listen of ``only``. Returns how
    many ended.

    A session that only ever heard "start" was a now-playing notice: it is removed (announced
    as removed, so it leaves the activity page) rather than kept as a play nobody listened
    to; the listen, when it comes, is the play. A session that holds more (a repeat of the
    track reopened a recorded listen) ends at its last event, adding no time.
    """
    query = select(PlaySession).where(
        PlaySession.user_id == user_id,
        PlaySession.ended_at.is_(None),
        PlaySession.source == origin.source,
        PlaySession.origin_digest.is_not_distinct_from(origin.origin_digest),
    )
    if only is not None:
        query = query.where(PlaySession.media_type == only[0], PlaySession.media_id == only[1])
    if keep is not None:
        query = query.where(
            ~((PlaySession.media_type == keep[0]) & (PlaySession.media_id == keep[1]))
        )
    ended = 0
    for row in list((await session.execute(query)).scalars()):
        await repo.lock_item_timeline(session, user_id, row.media_type, row.media_id)
        await session.refresh(row)
        if row.ended_at is not None:
            continue
        stored = await repo.events_of(session, [row.id])
        if all(event.event == PlaybackEventType.start.value for event in stored):
            await session.delete(row)
            await session.flush()
            await events.emit(
                session, events.PlaybackSessionRemoved(session_id=row.id, user_id=user_id)
            )
        else:
            body = PlaybackEventCreate(
                media_type=row.media_type,
                media_id=row.media_id,
                event=PlaybackEventType.stop,
                position_ms=row.position_ms,
                occurred_at=row.last_event_at,
            )
            await apply_event(session, user_id, body, settings, origin)
        ended += 1
    return ended


# --- reading back: what a ListenBrainz client sees of its user ---------------------------------


async def counted_track_plays(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    after: datetime | None,
    before: datetime | None,
    limit: int,
) -> list[PlaySession]:
    """The user's finished, counted plays of tracks (from any door) that started at or after
    ``after`` and before ``before``, newest first. With only ``after``, the ``limit`` plays
    just after it (a reader paging forward); otherwise the ``limit`` plays just before
    ``before`` (or the newest)."""
    query = select(PlaySession).where(
        PlaySession.user_id == user_id,
        PlaySession.media_type == "track",
        PlaySession.counted.is_(True),
        PlaySession.ended_at.is_not(None),
    )
    if after is not None:
        query = query.where(PlaySession.started_at >= after)
    if before is not None:
        query = query.where(PlaySession.started_at < before)
    forward = after is not None and before is None
    order = PlaySession.started_at.asc() if forward else PlaySession.started_at.desc()
    rows = list(
        (await session.execute(query.order_by(order, PlaySession.id).limit(limit))).scalars()
    )
    return rows[::-1] if forward else rows


async def counted_track_summary(
    session: AsyncSession, user_id: uuid.UUID
) -> tuple[int, datetime | None, datetime | None]:
    """How many counted plays of tracks the user has, and when the first and the latest
    started."""
    row = (
        await session.execute(
            select(
                func.count(), func.min(PlaySession.started_at), func.max(PlaySession.started_at)
            ).where(
                PlaySession.user_id == user_id,
                PlaySession.media_type == "track",
                PlaySession.counted.is_(True),
                PlaySession.ended_at.is_not(None),
            )
        )
    ).one()
    return int(row[0]), row[1], row[2]


async def playing_track(
    session: AsyncSession, user_id: uuid.UUID, heard_since: datetime
) -> PlaySession | None:
    """The user's track playing now (from any door), if its player was heard since
    ``heard_since``; the most recently heard one if there are several."""
    return (
        await session.execute(
            select(PlaySession)
            .where(
                PlaySession.user_id == user_id,
                PlaySession.media_type == "track",
                PlaySession.ended_at.is_(None),
                PlaySession.state == PLAYING,
                PlaySession.last_event_at >= heard_since,
            )
            .order_by(PlaySession.last_event_at.desc(), PlaySession.id)
            .limit(1)
        )
    ).scalar_one_or_none()
