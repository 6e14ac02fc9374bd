"""The web app's start page: what the caller may continue, what they played lately, and what
came into the library. Everything but the last is the caller's own plays only."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core.config import Settings
from revenge.library import lookup
from revenge.playback import describe, progress
from revenge.playback import repository as repo
from revenge.playback.models import PlaySession
from revenge.playback.schemas import AddedEntry, HomeEntry, HomeRead

LIST_LENGTH = 20
# Candidates read for "continue" beyond the list's length: items whose session does not know
# the item's length are checked against the library's in Python, and removed items drop out.
_CONTINUE_SLACK = 20


async def home(session: AsyncSession, settings: Settings, user_id: uuid.UUID) -> HomeRead:
    resumable = await repo.resumable_sessions(
        session,
        user_id,
        min_position_ms=progress.RESUME_MIN_MS,
        max_fraction=progress.RESUME_MAX_FRACTION,
        limit=LIST_LENGTH + _CONTINUE_SLACK,
    )
    recent = await repo.recent_counted_plays(session, user_id, LIST_LENGTH)
    added = await lookup.recently_added(session, LIST_LENGTH)
    # One resolver call for all three lists (a statement per media type).
    items = await lookup.resolve(
        session,
        [
            *(lookup.MediaRef.of(p.media_type, p.media_id) for p in (*resumable, *recent)),
            *(ref for ref, _ in added),
        ],
    )
    continue_: list[HomeEntry] = []
    for play in resumable:
        item = items.get(lookup.MediaRef.of(play.media_type, play.media_id))
        if item is None or item.missing:
            continue
        duration = play.item_duration_ms or item.duration_ms
        # The mark was checked in SQL; the length only where the session knew it.
        if progress.resume_position(play.position_ms, duration, play.last_event_at, None) is None:
            continue
        continue_.append(_entry(settings, play, item, play.last_event_at, duration))
    recent_plays = [
        _entry(
            settings,
            play,
            item,
            play.ended_at or play.last_event_at,
            play.item_duration_ms or item.duration_ms,
        )
        for play in recent
        if (item := items.get(lookup.MediaRef.of(play.media_type, play.media_id))) is not None
    ]
    recently_added = [
        AddedEntry(
            media_type=item.kind.value,  # movie, series or album
            media_id=item.id,
            title=item.title,
            subtitle=describe.subtitle(item),
            year=item.year,
            added_at=added_at,
            artwork=describe.artwork(settings.secret, item),
        )
        for ref, added_at in added
        if (item := items.get(ref)) is not None
    ]
    return HomeRead(
        continue_=continue_[:LIST_LENGTH], recent_plays=recent_plays, recently_added=recently_added
    )


def _entry(
    settings: Settings,
    play: PlaySession,
    item: lookup.MediaItem,
    at: datetime,
    duration_ms: int | None,
) -> HomeEntry:
    return HomeEntry(
        media_type=play.media_type,  # sessions are of playable kinds
        media_id=play.media_id,
        title=item.title,
        subtitle=describe.subtitle(item),
        position_ms=play.position_ms,
        duration_ms=duration_ms,
        last_played_at=at,
        artwork=describe.artwork(settings.secret, item),
    )
