"""Where a user stands with an item: where to resume, whether it is played, how often.

- Resume position: where the user's latest session of the item stopped, unless that is less
  than ``RESUME_MIN_MS`` in (nothing worth resuming), within the last 5 % (watched to the
  credits: it is finished), or the user marked the item played or unplayed since.
- Played: a counted play (the play rule, as history counts) ended after the user last marked
  it unplayed, or the user marked it played since. Marking unplayed keeps the history.
- Play count: every counted play, marked unplayed or not (it is history).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from revenge.playback import repository as repo
from revenge.playback.models import PlayedMark

RESUME_MIN_MS = 30_000
RESUME_MAX_FRACTION = 0.95


def resume_position(
    position_ms: int, duration_ms: int | None, last_heard: datetime, mark: PlayedMark | None
) -> int | None:
    """The position to offer resuming at, from a latest session stopped at ``position_ms``
    and last heard at ``last_heard`` (rules in the module doc)."""
    if position_ms < RESUME_MIN_MS:
        return None
    if duration_ms and duration_ms > 0 and position_ms >= duration_ms * RESUME_MAX_FRACTION:
        return None
    if mark is not None:
        marked = [at for at in (mark.played_at, mark.unplayed_at) if at is not None]
        if marked and max(marked) >= last_heard:
            return None
    return position_ms


@dataclass(frozen=True)
class ItemProgress:
    resume_position_ms: int | None
    played: bool
    play_count: int


async def item_progress(
    session: AsyncSession,
    user_id: uuid.UUID,
    media_type: str,
    media_id: uuid.UUID,
    duration_ms: int | None,
) -> ItemProgress:
    """Three indexed reads: the mark, the latest session, the counted plays."""
    mark = await repo.played_mark(session, user_id, media_type, media_id)
    latest = await repo.latest_session(session, user_id, media_type, media_id)
    unplayed_at = mark.unplayed_at if mark is not None else None
    count, played_since = await repo.counted_play_summary(
        session, user_id, media_type, media_id, unplayed_at
    )
    marked_played = (
        mark is not None
        and mark.played_at is not None
        and (unplayed_at is None or mark.played_at > unplayed_at)
    )
    resume = None
    if latest is not None:
        resume = resume_position(
            latest.position_ms,
            latest.item_duration_ms or duration_ms,
            latest.last_event_at,
            mark,
        )
    return ItemProgress(
        resume_position_ms=resume, played=marked_played or played_since, play_count=count
    )
