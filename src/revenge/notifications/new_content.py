"""Announcing library additions: everything added in one grouping window (a scan) becomes one
notification per user ("6 new movies, 4 new albums"), a season of episodes or an album of
tracks counting as one group."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core.config import Settings
from revenge.core.media import MediaType
from revenge.library import lookup
from revenge.library import service as library
from revenge.library.lookup import MediaRef
from revenge.notifications import fanout, tasks
from revenge.notifications.models import PendingNewContent
from revenge.notifications.types import NotificationType
from revenge.users import lookup as users

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
    """Remember an addition; the flush announcing it (with whatever else arrives meanwhile)
    is scheduled here, in the same transaction."""
    await session.execute(
        insert(PendingNewContent).values(
            media_type=media_type,
            media_id=uuid.UUID(media_id),
            library_id=uuid.UUID(library_id) if library_id else None,
        )
    )
    await tasks.schedule_new_content_flush(session)


async def _groups(session: AsyncSession, rows: list[PendingNewContent]) -> list[ContentGroup]:
    episodes = [r.media_id for r in rows if r.media_type == MediaType.episode]
    tracks = [r.media_id for r in rows if r.media_type == MediaType.track]
    parents: dict[uuid.UUID, tuple[str, uuid.UUID]] = {}
    # Episodes are announced with their series, tracks with their album.
    refs = [MediaRef(MediaType.episode, i) for i in episodes]
    refs += [MediaRef(MediaType.track, i) for i in tracks]
    for ref, item in (await lookup.resolve(session, refs)).items() if refs else ():
        owner = item.series or item.album
        if owner is not None:
            parents[ref.id] = (owner.ref.media_type.value, owner.ref.id)
    groups: dict[tuple[str, uuid.UUID], ContentGroup] = {}
    for row in rows:
        parent = parents.get(row.media_id, (row.media_type, row.media_id))
        group = groups.setdefault(parent, ContentGroup(parent[0], parent[1], row.media_type))
        if row.media_id not in group.items:
            group.items.append(row.media_id)
    return list(groups.values())


def _headline(group: ContentGroup, added: set[uuid.UUID]) -> tuple[str, int]:
    """What a group counts as in a summary: a new movie, series or album counts once (its
    episodes or tracks with it); episodes of a known series or tracks of a known album count
    one by one."""
    if group.parent_id in added:
        return group.parent_type, 1
    return group.kind, len(group.items)


def _announcement(
    groups: list[ContentGroup],
    added: set[uuid.UUID],
    titles: dict[tuple[str, uuid.UUID], str],
) -> dict[str, object]:
    """One notice's data for everything one flush announces: the counts per kind, the groups
    (a few, with their titles) and, when there is only one, its items as before."""
    counts: dict[str, int] = {}
    listed: list[dict[str, object]] = []
    for group in groups:
        kind, count = _headline(group, added)
        counts[kind] = counts.get(kind, 0) + count
        if len(listed) < MAX_LISTED_ITEMS:
            listed.append(
                {
                    "media_type": group.parent_type,
                    "media_id": str(group.parent_id),
                    "title": titles[(group.parent_type, group.parent_id)],
                    "kind": kind,
                    "count": count,
                }
            )
    first = groups[0]
    data: dict[str, object] = {
        "counts": counts,
        "group_count": len(groups),
        "groups": listed,
        # The item its link and thumbnail show (the first, when there are several).
        "media_type": first.parent_type,
        "media_id": str(first.parent_id),
    }
    if len(groups) == 1:
        data.update(
            title=titles[(first.parent_type, first.parent_id)],
            count=len(first.items),
            kind=first.kind,
            items=[
                titles[(first.kind, item)]
                for item in first.items[:MAX_LISTED_ITEMS]
                if (first.kind, item) in titles
            ],
        )
    else:
        data["items"] = [str(g["title"]) for g in listed]
    return data


async def flush(session: AsyncSession, settings: Settings) -> int:
    """Turn everything pending (the additions of one scan, or of the grouping window) into one
    notification per user: "6 new movies, 4 new albums", or "10 new episodes of Dark" when it
    is all one season or album. Returns notifications created."""
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
    # Removed again before we announced it: left out.
    groups = [g for g in groups if (g.parent_type, g.parent_id) in titles]
    if not groups:
        return 0
    added = {r.media_id for r in rows}
    data = _announcement(groups, added, titles)
    user_ids = await users.active_user_ids(session)
    first = groups[0]
    group_key = first.key if len(groups) == 1 else f"new_content:batch:{rows[0].id}"
    return len(
        await fanout.notify_many(
            session,
            user_ids,
            NotificationType.new_content,
            data,
            group_key=group_key,
            settings=settings,
        )
    )
