"""Queries for grants and their log (what a granted item is comes from ``library.lookup``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, func, select, text, true, update
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core.media import MediaType
from revenge.library import lookup
from revenge.share_links.models import MediaGrant, MediaGrantAccess


async def grant_by_token_hash(session: AsyncSession, token_hash: str) -> MediaGrant | None:
    """One indexed lookup (unique index on the digest): cheap enough for every range request."""
    return (
        await session.execute(select(MediaGrant).where(MediaGrant.token_hash == token_hash))
    ).scalar_one_or_none()


async def grant_of_owner(
    session: AsyncSession, owner_id: uuid.UUID, grant_id: uuid.UUID
) -> MediaGrant | None:
    return (
        await session.execute(
            select(MediaGrant).where(MediaGrant.id == grant_id, MediaGrant.created_by == owner_id)
        )
    ).scalar_one_or_none()


async def grants_of_owner(
    session: AsyncSession, owner_id: uuid.UUID, limit: int, offset: int
) -> tuple[list[MediaGrant], int]:
    rows = (
        (
            await session.execute(
                select(MediaGrant)
                .where(MediaGrant.created_by == owner_id)
                .order_by(MediaGrant.created_at.desc(), MediaGrant.id)
                .limit(limit)
                .offset(offset)
            )
        )
        .scalars()
        .all()
    )
    total = (
        await session.execute(
            select(func.count()).select_from(MediaGrant).where(MediaGrant.created_by == owner_id)
        )
    ).scalar_one()
    return list(rows), int(total)


# Log outcomes that mean someone got in; refusals and wrong passwords are not openings.
OPENED_OUTCOMES = ("opened", "unlocked", "stream_started")


async def last_openings(
    session: AsyncSession, grant_ids: list[uuid.UUID]
) -> dict[uuid.UUID, datetime]:
    """When each of ``grant_ids`` was last opened, from the access log: one grouped statement
    for a page of links (the log's (grant_id, at) index serves it)."""
    if not grant_ids:
        return {}
    rows = await session.execute(
        select(MediaGrantAccess.grant_id, func.max(MediaGrantAccess.at))
        .where(
            MediaGrantAccess.grant_id.in_(grant_ids),
            MediaGrantAccess.outcome.in_(OPENED_OUTCOMES),
        )
        .group_by(MediaGrantAccess.grant_id)
    )
    return {grant_id: at for grant_id, at in rows}


# The view limit is enforced by this single statement: PostgreSQL's row lock serialises
# concurrent openers, and each re-checks the condition on the row it finally updates, so a
# 10-view link opens exactly 10 times however many requests race.
_CONSUME_VIEW = text(
    """
    UPDATE shared.media_grants
       SET current_views = current_views + 1, last_viewed_at = now()
     WHERE id = :id
       AND (max_views IS NULL OR current_views < max_views)
       AND revoked_at IS NULL
       AND (expires_at IS NULL OR expires_at > now())
    RETURNING current_views
    """
)


async def consume_view(session: AsyncSession, grant_id: uuid.UUID) -> int | None:
    """Count one view; the new view count, or None when the link may not be opened any more."""
    result = await session.execute(_CONSUME_VIEW, {"id": grant_id})
    value = result.scalar_one_or_none()
    return None if value is None else int(value)


async def refresh_state(session: AsyncSession, grant: MediaGrant) -> None:
    await session.refresh(grant, ["current_views", "revoked_at", "expires_at", "last_viewed_at"])


async def revoke(session: AsyncSession, grant: MediaGrant, at: datetime) -> None:
    await session.execute(
        update(MediaGrant)
        .where(MediaGrant.id == grant.id, MediaGrant.revoked_at.is_(None))
        .values(revoked_at=at)
    )


def log_access(
    session: AsyncSession, grant_id: uuid.UUID, ip_hash: str, user_agent: str | None, outcome: str
) -> None:
    session.add(
        MediaGrantAccess(
            grant_id=grant_id,
            ip_hash=ip_hash,
            user_agent=(user_agent or "")[:300] or None,
            outcome=outcome,
        )
    )


# --- the file a link may stream -----------------------------------------------------------


@dataclass(frozen=True)
class GrantedFile:
    id: uuid.UUID
    path: str
    mime_type: str | None


def _grant_with_file_statement() -> Select[Any]:
    # LATERAL: the file is fetched per grant row by its primary key, whatever the table sizes.
    granted = lookup.file_lateral(
        MediaGrant.media_type,
        MediaGrant.media_id,
        bindparam("item_id", type_=UUID(as_uuid=True)),
        correlate=MediaGrant,
        name="granted_file",
    )
    return (
        select(MediaGrant, granted.c.id, granted.c.path, granted.c.mime_type)
        .outerjoin(granted, true())
        .where(MediaGrant.token_hash == bindparam("token_hash"))
    )


# Built once: constructing this statement costs more CPU than running it.
_GRANT_WITH_FILE = _grant_with_file_statement()


async def grant_with_file(
    session: AsyncSession, token_hash: str, item_id: uuid.UUID | None
) -> tuple[MediaGrant, GrantedFile | None] | None:
    """The grant behind a link and the file it may stream, in ONE round trip: this runs on
    every Range request of every shared stream. The grant boundary is part of the query: a
    movie/episode/track grant reaches only its own file, a series/album grant only its own
    episodes'/tracks' files (picked by ``item_id``); any other id finds no file."""
    row = (
        await session.execute(_GRANT_WITH_FILE, {"token_hash": token_hash, "item_id": item_id})
    ).first()
    if row is None:
        return None
    grant, media_file_id, path, mime_type = row
    playable = grant.media_type in (MediaType.movie, MediaType.episode, MediaType.track)
    if media_file_id is None or (playable and item_id not in (None, grant.media_id)):
        return grant, None
    return grant, GrantedFile(media_file_id, path, mime_type)
