"""Announcing library additions, grouped: a season of episodes (or an album of tracks) added
together becomes one notification per user, not one per item."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core.media import MediaType
from revenge.library import service as library
from revenge.library.models import Episode, Track
from revenge.notifications import service
from revenge.notifications.models import PendingNewContent
from revenge.notifications.types import NotificationType
from revenge.users.models import User

MAX_LISTED_ITEMS = 20


@dataclass
class ContentGroup:
    parent_type: str  # series | album | the item's own type
    parent_id: uuid.UUID
    kind: str  # episode | track | movie | …
    items: list[uuid.UUID] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"new_content:{self.parent_type}:{self.parent_id}"


async def record_addition(
    session: AsyncSession, media_type: str, media_id: str, library_id: str | None
) -> None:
    await session.execute(
        insert(PendingNewContent).values(
            media_type=media_type,
            media_id=uuid.UUID(media_id),
            library_id=uuid.UUID(library_id) if library_id else None,
        )
    )


async def _groups(session: AsyncSession, rows: list[PendingNewContent]) -> list[ContentGroup]:
    episodes = [r.media_id for r in rows if r.media_type == MediaType.episode]
    tracks = [r.media_id for r in rows if r.media_type == MediaType.track]
    parents: dict[uuid.UUID, tuple[str, uuid.UUID]] = {}
    # Grouping needs the parent of an episode/track; library.service has no call for that,
    # so read the two foreign keys directly (read only).
    if episodes:
        for eid, sid in await session.execute(
            select(Episode.id, Episode.series_id).where(Episode.id.in_(episodes))
        ):
            parents[eid] = (MediaType.series.value, sid)
    if tracks:
        for tid, aid in await session.execute(
            select(Track.id, Track.album_id).where(Track.id.in_(tracks))
        ):
            if aid is not None:
                parents[tid] = (MediaType.album.value, aid)
    groups: dict[tuple[str, uuid.UUID], ContentGroup] = {}
    for row in rows:
        parent = parents.get(row.media_id, (row.media_type, row.media_id))
        group = groups.setdefault(parent, ContentGroup(parent[0], parent[1], row.media_type))
        if row.media_id not in group.items:
            group.items.append(row.media_id)
    return list(groups.values())


async def flush(session: AsyncSession) -> int:
    """Turn everything pending into grouped notifications; returns notifications created."""
    rows = list(
        await session.scalars(
            select(PendingNewContent)
            .order_by(PendingNewContent.id)
            .with_for_update(skip_locked=True)
        )
    )
    if not rows:
        return 0
    await session.execute(
        delete(PendingNewContent).where(PendingNewContent.id.in_([r.id for r in rows]))
    )
    groups = await _groups(session, rows)
    wanted: list[tuple[str, uuid.UUID]] = []
    for group in groups:
        wanted.append((group.parent_type, group.parent_id))
        wanted.extend((group.kind, item) for item in group.items[:MAX_LISTED_ITEMS])
    titles = await library.describe_items(session, wanted)
    user_ids = list(await session.scalars(select(User.id).where(User.is_active.is_(True))))
    created = 0
    for group in groups:
        title = titles.get((group.parent_type, group.parent_id))
        if title is None:  # removed again before we announced it
            continue
        data = {
            "title": title,
            "count": len(group.items),
            "kind": group.kind,
            "media_type": group.parent_type,
            "media_id": str(group.parent_id),
            "items": [
                titles[(group.kind, item)]
                for item in group.items[:MAX_LISTED_ITEMS]
                if (group.kind, item) in titles
            ],
        }
        created += len(
            await service.notify_many(
                session, user_ids, NotificationType.new_content, data, group_key=group.key
            )
        )
    return created
