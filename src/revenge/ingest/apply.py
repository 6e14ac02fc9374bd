"""One event of another server, matched to a local user and item, handed to playback.

Start, pause, resume, progress and stop become player events (``playback.apply_event``), so the
play is derived, counted, announced and scrobbled like one of this server's own. "Marked played"
is a finished play that ends at that moment, a ListenBrainz listen one that starts then (``playback.imports.record_finished_plays``).
Either way the same event twice is one: True means new, False a duplicate.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core.config import Settings
from revenge.core.errors import NotFound
from revenge.ingest.incoming import IncomingEvent, IncomingKind
from revenge.library import service as library
from revenge.library.lookup_items import MediaRef
from revenge.playback import imports
from revenge.playback import service as playback
from revenge.playback.schemas import PlaybackEventCreate, PlaybackEventType
from revenge.playback.service import PlayOrigin

# What a player event may say (``PlaybackEventCreate``); a sender's position beyond is clamped.
MAX_POSITION_MS = 7 * 24 * 3600 * 1000


async def apply_play(
    session: AsyncSession,
    user_id: uuid.UUID,
    item: MediaRef,
    event: IncomingEvent,
    origin: PlayOrigin,
    settings: Settings,
    duration_ms: int | None = None,
) -> bool:
    """Apply ``event`` to ``user_id``'s plays of ``item``; True if it was new. Raises what
    playback raises for an event it refuses (``NotFound``, ``Unprocessable``)."""
    if event.kind in (IncomingKind.played, IncomingKind.listen):
        return await _finished(session, user_id, item, event, origin, duration_ms)
    body = PlaybackEventCreate(
        media_type=item.media_type.value,
        media_id=item.id,
        event=PlaybackEventType(event.kind.value),
        position_ms=min(max(event.position_ms or 0, 0), MAX_POSITION_MS),
        occurred_at=event.occurred_at,
        client=event.client,
        device=event.device,
    )
    _, new = await playback.apply_event(session, user_id, body, settings, origin)
    return new


async def _finished(
    session: AsyncSession,
    user_id: uuid.UUID,
    item: MediaRef,
    event: IncomingEvent,
    origin: PlayOrigin,
    duration_ms: int | None,
) -> bool:
    length = duration_ms
    if length is None:
        playable = await library.get_playable(session, item.media_type, item.id)
        if playable is None:
            raise NotFound("library.item_not_found")
        length = playable.duration_ms or 0
    play = imports.FinishedPlay(
        user_id=user_id,
        media_type=item.media_type.value,
        media_id=item.id,
        # A listen is dated when it started; "marked played" when it ended, so that play
        # started one length earlier.
        started_at=event.occurred_at
        if event.kind is IncomingKind.listen
        else event.occurred_at - timedelta(milliseconds=length),
        duration_ms=duration_ms,
        client=event.client,
        device=event.device,
    )
    [new] = await imports.record_finished_plays(session, [play], origin)
    return new
