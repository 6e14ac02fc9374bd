"""Play sessions from player events: time played excludes pauses and is capped at the item's length."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core import events
from revenge.core.clock import utcnow
from revenge.core.config import Settings
from revenge.core.deps import Principal
from revenge.core.errors import Conflict, NotFound, Unprocessable
from revenge.core.media import MediaType
from revenge.library import service as library
from revenge.playback.models import PlayEvent, PlaySession
from revenge.playback.rules import meets_play_rule
from revenge.playback.schemas import HistoryEntry, PlaybackEventCreate, PlaybackEventType

# Players' clocks drift; an event stamped further in the future than this is rejected.
MAX_CLOCK_SKEW = timedelta(minutes=5)


def _accumulate(play: PlaySession, until: datetime) -> None:
    """Add the playing stretch that ends at ``until`` (out-of-order events add nothing)."""
    if play.state == "playing" and play.playing_since is not None:
        stretch = int((until - play.playing_since).total_seconds() * 1000)
        play.played_ms += max(0, stretch)
        if play.item_duration_ms:
            play.played_ms = min(play.played_ms, play.item_duration_ms)
        play.playing_since = max(until, play.playing_since)


async def _find_resumable(
    session: AsyncSession, user_id: uuid.UUID, media_type: str, media_id: uuid.UUID, since: datetime
) -> PlaySession | None:
    result = await session.execute(
        select(PlaySession)
        .where(
            PlaySession.user_id == user_id,
            PlaySession.media_type == media_type,
            PlaySession.media_id == media_id,
            # An open session continues whatever the gap; a finished one only within the window.
            PlaySession.ended_at.is_(None) | (PlaySession.last_event_at >= since),
        )
        .order_by(PlaySession.last_event_at.desc())
        .limit(1)
        .with_for_update()
    )
    return result.scalar_one_or_none()


async def record_event(
    session: AsyncSession, principal: Principal, body: PlaybackEventCreate, settings: Settings
) -> PlaySession:
    """Apply one player event to the caller's session (opening or continuing one on ``start``)."""
    now = utcnow()
    occurred = body.occurred_at or now
    if occurred > now + MAX_CLOCK_SKEW:
        raise Unprocessable("playback.event_in_future")
    item = await library.get_playable(session, MediaType(body.media_type), body.media_id)
    if item is None:
        raise NotFound("library.item_not_found")

    play: PlaySession | None
    if body.session_id is not None:
        play = await session.get(PlaySession, body.session_id, with_for_update=True)
        # Another user's session answers like a missing one.
        if play is None or play.user_id != principal.id:
            raise NotFound("playback.session_not_found")
        if play.media_id != body.media_id:
            raise Conflict("playback.session_media_mismatch")
    else:
        window = timedelta(minutes=settings.play_rules.resume_window_minutes)
        play = await _find_resumable(
            session, principal.id, body.media_type, body.media_id, occurred - window
        )
        if play is None and body.event != PlaybackEventType.start:
            raise Conflict("playback.no_active_session")

    new_session = play is None
    if play is None:
        play = PlaySession(
            user_id=principal.id,
            media_type=body.media_type,
            media_id=body.media_id,
            state="playing",
            client=body.client,
            device=body.device,
            started_at=occurred,
            last_event_at=occurred,
            playing_since=occurred,
            position_ms=body.position_ms,
            played_ms=0,
            item_duration_ms=item.duration_ms,
        )
        session.add(play)
        await session.flush()

    was_finished = play.ended_at is not None
    if not new_session:
        _apply(play, body.event, occurred)
    play.position_ms = body.position_ms
    play.last_event_at = max(play.last_event_at, occurred)
    if body.client:
        play.client = body.client
    if body.device:
        play.device = body.device
    if play.state == "stopped":
        play.counted = meets_play_rule(
            play.media_type, play.played_ms, play.item_duration_ms, settings.play_rules
        )
    session.add(
        PlayEvent(
            session_id=play.id,
            user_id=principal.id,
            event=body.event.value,
            position_ms=body.position_ms,
            occurred_at=occurred,
        )
    )
    await session.flush()
    await _announce(session, play, body.event, new_session=new_session, was_finished=was_finished)
    return play


def _apply(play: PlaySession, event: PlaybackEventType, occurred: datetime) -> None:
    if event in (PlaybackEventType.start, PlaybackEventType.resume):
        if play.state != "playing":
            play.state, play.playing_since, play.ended_at = "playing", occurred, None
    elif event == PlaybackEventType.pause:
        _accumulate(play, occurred)
        play.state, play.playing_since = "paused", None
    elif event == PlaybackEventType.progress:
        _accumulate(play, occurred)
    elif event == PlaybackEventType.stop:
        _accumulate(play, occurred)
        play.state, play.playing_since, play.ended_at = "stopped", None, occurred


async def _announce(
    session: AsyncSession,
    play: PlaySession,
    event: PlaybackEventType,
    *,
    new_session: bool,
    was_finished: bool,
) -> None:
    payload = {"session_id": str(play.id), "user_id": str(play.user_id), "event": event.value}
    if new_session:
        await events.emit(session, events.PLAYBACK_SESSION_STARTED, **payload)
    elif play.state == "stopped" and not was_finished:
        await events.emit(session, events.PLAYBACK_SESSION_FINISHED, **payload)
    elif event in (PlaybackEventType.pause, PlaybackEventType.resume, PlaybackEventType.start):
        await events.emit(session, events.PLAYBACK_SESSION_UPDATED, **payload)


async def close_stale_sessions(session: AsyncSession, settings: Settings, idle: timedelta) -> int:
    """Players that vanish never send ``stop``: end their sessions at their last event."""
    cutoff = utcnow() - idle
    result = await session.execute(
        select(PlaySession)
        .where(PlaySession.ended_at.is_(None), PlaySession.last_event_at < cutoff)
        .with_for_update(skip_locked=True)
        .limit(1000)
    )
    closed = 0
    for play in result.scalars():
        _apply(play, PlaybackEventType.stop, play.last_event_at)
        play.counted = meets_play_rule(
            play.media_type, play.played_ms, play.item_duration_ms, settings.play_rules
        )
        await _announce(
            session, play, PlaybackEventType.stop, new_session=False, was_finished=False
        )
        closed += 1
    return closed


async def get_session(session: AsyncSession, session_id: uuid.UUID) -> PlaySession | None:
    return await session.get(PlaySession, session_id)


async def history(
    session: AsyncSession, principal: Principal, limit: int, offset: int
) -> tuple[list[HistoryEntry], int]:
    """The caller's finished plays that count, newest first."""
    condition = (
        (PlaySession.user_id == principal.id)
        & PlaySession.counted.is_(True)
        & PlaySession.ended_at.is_not(None)
    )
    total = (
        await session.execute(select(func.count()).select_from(PlaySession).where(condition))
    ).scalar_one()
    rows = list(
        (
            await session.execute(
                select(PlaySession)
                .where(condition)
                .order_by(PlaySession.ended_at.desc())
                .limit(limit)
                .offset(offset)
            )
        ).scalars()
    )
    titles = await library.describe_items(session, [(p.media_type, p.media_id) for p in rows])
    entries = [
        HistoryEntry(
            session_id=p.id,
            media_type=p.media_type,
            media_id=p.media_id,
            title=titles.get((p.media_type, p.media_id)),
            started_at=p.started_at,
            ended_at=p.ended_at or p.last_event_at,
            played_ms=p.played_ms,
            client=p.client,
            device=p.device,
        )
        for p in rows
    ]
    return entries, total
