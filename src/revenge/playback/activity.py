"""Live activity: the plays going on now, from every door (this server's players, media server
webhooks, ListenBrainz clients), for the admins' activity page and its stream.

A session is live while it has not ended and has heard something within
``settings.ingest.activity_stale_seconds``, or, while playing, until that long after the item
would have ended if it went on playing: Plex and Emby webhooks say "play" and "stop" and nothing
in between, so a film started through them stays listed to its end. A player that vanished
without a ``stop`` drops off the page long before the idle sweeper ends its session.

The stream polls the database every ``POLL_SECONDS`` with a short transaction of its own (an
open page never holds a pooled connection) and sends the list when it changed; positions of
playing sessions move on by themselves, so they are no change. Nothing is sent more often than
the poll, and a comment goes out every ``HEARTBEAT_SECONDS`` so that proxies keep the
connection open.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import anyio
import structlog
from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core import artwork_urls, clock
from revenge.core.config import Settings
from revenge.core.db import get_database
from revenge.core.errors import NotFound
from revenge.core.media import MediaType
from revenge.library import lookup
from revenge.playback.models import PlaySession
from revenge.playback.schemas import (
    ActivityItem,
    ActivityRead,
    ActivitySessionRead,
    ActivityUser,
)
from revenge.playback.timeline import PAUSED, PLAYING
from revenge.users import lookup as users

log = structlog.get_logger(__name__)

POLL_SECONDS = 2.0
HEARTBEAT_SECONDS = 15.0
# How often a stream checks that its caller is still an admin with a valid login (a revoked
# session or a demoted admin stops receiving within this time).
REAUTH_SECONDS = 60.0
ARTWORK_ROUTE = "/api/v1/admin/activity/{session_id}/artwork"


@dataclass(frozen=True)
class ActivitySnapshot:
    """The activity document and what it says apart from the passing of time: two snapshots
    with the same ``fingerprint`` differ only in where playing sessions have moved on to."""

    document: ActivityRead
    fingerprint: str


async def current_activity(session: AsyncSession, settings: Settings) -> ActivityRead:
    """The sessions playing or paused now, oldest start first."""
    return (await snapshot(session, settings)).document


async def snapshot(session: AsyncSession, settings: Settings) -> ActivitySnapshot:
    """One statement for the sessions, one resolver call for their items (a statement per
    media type), one for the users' names."""
    now = clock.utcnow()
    cutoff = now - timedelta(seconds=settings.ingest.activity_stale_seconds)
    remaining_ms = func.greatest(PlaySession.item_duration_ms - PlaySession.position_ms, 0)
    expected_end = PlaySession.last_event_at + func.make_interval(
        0, 0, 0, 0, 0, 0, remaining_ms / 1000.0
    )
    rows = list(
        (
            await session.execute(
                select(PlaySession)
                .where(
                    PlaySession.ended_at.is_(None),
                    PlaySession.state.in_((PLAYING, PAUSED)),
                    or_(
                        PlaySession.last_event_at > cutoff,
                        and_(PlaySession.state == PLAYING, expected_end > cutoff),
                    ),
                )
                .order_by(PlaySession.started_at, PlaySession.id)
            )
        ).scalars()
    )
    items = await lookup.resolve(
        session, [lookup.MediaRef.of(r.media_type, r.media_id) for r in rows]
    )
    names = await users.display_names(session, {row.user_id for row in rows})
    entries: list[ActivitySessionRead] = []
    stable: list[object] = []
    for row in rows:
        name = names.get(row.user_id)
        if name is None:  # the account was deleted a moment ago; its sessions go with it
            continue
        item = items.get(lookup.MediaRef.of(row.media_type, row.media_id))
        entry = _entry(row, name, item, now, settings.secret)
        entries.append(entry)
        stable.append(
            [
                entry.model_dump(mode="json", exclude={"position_ms", "progress"}),
                row.position_ms,
            ]
        )
    return ActivitySnapshot(
        document=ActivityRead(items=entries, total=len(entries), as_of=now),
        fingerprint=json.dumps(stable, sort_keys=True),
    )


def _entry(
    row: PlaySession, user_name: str, item: lookup.MediaItem | None, now: datetime, secret: str
) -> ActivitySessionRead:
    duration = row.item_duration_ms or (item.duration_ms if item is not None else None)
    position = row.position_ms
    if row.state == PLAYING:
        # Players report every few seconds at best (a webhook sender may only say "start"):
        # playing means it has moved on since.
        position += max(0, int((now - row.last_event_at).total_seconds() * 1000))
    if duration:
        position = min(position, duration)
    return ActivitySessionRead(
        session_id=row.id,
        user=ActivityUser(id=row.user_id, name=user_name),
        item=_item(row, item, secret),
        source=row.source,
        source_name=row.source_name,
        client=row.client,
        device=row.device,
        state=PLAYING if row.state == PLAYING else PAUSED,
        position_ms=position,
        duration_ms=duration,
        progress=round(position / duration, 4) if duration else None,
        started_at=row.started_at,
        last_event_at=row.last_event_at,
    )


def _item(row: PlaySession, item: lookup.MediaItem | None, secret: str) -> ActivityItem:
    if item is None:
        return ActivityItem(
            media_type=row.media_type,
            media_id=row.media_id,
            title=None,
            parent_title=None,
            year=None,
            image_url=None,
        )
    parent = item.album if item.kind == MediaType.track else item.season
    return ActivityItem(
        media_type=row.media_type,
        media_id=row.media_id,
        title=item.display_title,
        parent_title=parent.name if parent is not None else None,
        year=item.year,
        image_url=ARTWORK_ROUTE.format(session_id=row.id) if item.artwork_path else None,
        artwork=(artwork_urls.urls_for(secret, item.kind, item.id) if item.artwork_path else None),
    )


async def artwork_path(session: AsyncSession, session_id: uuid.UUID) -> str:
    """The poster or cover file of the item a play session is of."""
    play = await session.get(PlaySession, session_id)
    if play is None:
        raise NotFound("playback.session_not_found")
    item = await lookup.resolve_one(session, lookup.MediaRef.of(play.media_type, play.media_id))
    path = item.artwork_path if item is not None else None
    if path is None or not await anyio.Path(path).is_file():
        raise NotFound("playback.no_artwork")
    return path


# --- the stream ----------------------------------------------------------------------------------

# Asked now and then with the poll's session: False ends the stream.
StillAllowed = Callable[[AsyncSession], Awaitable[bool]]


async def activity_events(settings: Settings, still_allowed: StillAllowed) -> AsyncIterator[str]:
    """SSE frames: ``event: activity`` with the activity document at once and whenever it
    changes, a comment as heartbeat. Ends when the caller is no longer allowed or the database
    fails (the page reconnects); cancelled when the client goes away."""
    sent: str | None = None
    last_write = time.monotonic()
    last_auth = time.monotonic()
    while True:
        check = time.monotonic() - last_auth >= REAUTH_SECONDS
        try:
            # Shielded: a client that goes away mid-poll cancels the stream, and the poll's
            # transaction still ends cleanly and gives its connection back.
            polled = await asyncio.shield(
                asyncio.ensure_future(_poll(settings, still_allowed, check))
            )
        except (SQLAlchemyError, OSError) as error:
            log.warning("activity.stream_poll_failed", error=str(error))
            return
        if polled is None:
            return
        if check:
            last_auth = time.monotonic()
        if polled.fingerprint != sent:
            sent = polled.fingerprint
            last_write = time.monotonic()
            yield f"event: activity\ndata: {polled.document.model_dump_json()}\n\n"
        elif time.monotonic() - last_write >= HEARTBEAT_SECONDS:
            last_write = time.monotonic()
            yield ": keep-alive\n\n"
        await asyncio.sleep(POLL_SECONDS)


async def _poll(
    settings: Settings, still_allowed: StillAllowed, check: bool
) -> ActivitySnapshot | None:
    async with get_database().transaction() as session:
        if check and not await still_allowed(session):
            return None
        return await snapshot(session, settings)
