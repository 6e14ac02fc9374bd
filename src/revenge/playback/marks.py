"""A user's "mark played" and "mark unplayed" on an item (the item page's actions).

Marking played records one finished, counted play through the same door as a play reported
whole (``imports.record_finished_plays``), so history, statistics and scrobbling see it like
any other; it ends at the moment of marking. A second mark within ``REPEAT_WINDOW`` (a double
click, a retried request) records nothing more. Marking unplayed keeps the history: it only
resets the played state and the resume position until the next play.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core import clock
from revenge.core.errors import NotFound
from revenge.library import lookup
from revenge.playback import progress
from revenge.playback import repository as repo
from revenge.playback.imports import FinishedPlay, record_finished_plays
from revenge.playback.schemas import PlayedState
from revenge.playback.service import NATIVE

REPEAT_WINDOW = timedelta(seconds=60)


async def _duration(session: AsyncSession, media_type: str, media_id: uuid.UUID) -> int | None:
    lengths = await lookup.durations(session, [lookup.MediaRef.of(media_type, media_id)])
    ref = lookup.MediaRef.of(media_type, media_id)
    if ref not in lengths:
        raise NotFound("library.item_not_found")
    return lengths[ref]


async def mark_played(
    session: AsyncSession, user_id: uuid.UUID, media_type: str, media_id: uuid.UUID
) -> PlayedState:
    duration_ms = await _duration(session, media_type, media_id)
    now = clock.utcnow()
    if await repo.mark_played(session, user_id, media_type, media_id, now, REPEAT_WINDOW):
        await record_finished_plays(
            session,
            [
                FinishedPlay(
                    user_id=user_id,
                    media_type=media_type,
                    media_id=media_id,
                    # Played through, ending now (the item's length; an item of unknown
                    # length is a play of no time that still counts).
                    started_at=now - timedelta(milliseconds=duration_ms or 0),
                    duration_ms=None,
                )
            ],
            NATIVE,
        )
    state = await progress.item_progress(session, user_id, media_type, media_id, duration_ms)
    return PlayedState(played=state.played, play_count=state.play_count)


async def mark_unplayed(
    session: AsyncSession, user_id: uuid.UUID, media_type: str, media_id: uuid.UUID
) -> PlayedState:
    duration_ms = await _duration(session, media_type, media_id)
    await repo.mark_unplayed(session, user_id, media_type, media_id, clock.utcnow())
    state = await progress.item_progress(session, user_id, media_type, media_id, duration_ms)
    return PlayedState(played=state.played, play_count=state.play_count)
