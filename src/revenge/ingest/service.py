"""What the admin does about what came in: link a source's users to local users, and see the
events that wait for a match."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core.errors import NotFound
from revenge.ingest import repository as repo
from revenge.ingest import tasks
from revenge.ingest.incoming import ExternalUserRef
from revenge.ingest.models import ExternalUser
from revenge.ingest.pending import user_description
from revenge.ingest.schemas import ExternalUserLink, ExternalUserRead, UnmatchedGroup
from revenge.ingest.senders.base import SourceKind
from revenge.ingest.senders.registry import sender_for
from revenge.users import lookup as users_lookup

LISTENBRAINZ = "listenbrainz"


async def _source_or_404(session: AsyncSession, source_id: uuid.UUID) -> None:
    if await repo.get_source(session, source_id) is None:
        raise NotFound("ingest.source_not_found")


async def _reads(
    session: AsyncSession, rows: Sequence[tuple[ExternalUser, int]]
) -> list[ExternalUserRead]:
    names = await users_lookup.users_by_id(
        session, (row.user_id for row, _ in rows if row.user_id is not None)
    )
    return [
        ExternalUserRead(
            id=row.id,
            external_id=row.external_id,
            name=row.name,
            user_id=row.user_id,
            username=names[row.user_id].username if row.user_id in names else None,
            linked_by=row.linked_by,  # name|admin|created
            last_seen_at=row.last_seen_at,
            pending=pending,
        )
        for row, pending in rows
    ]


async def list_external_users(
    session: AsyncSession, source_id: uuid.UUID
) -> list[ExternalUserRead]:
    await _source_or_404(session, source_id)
    return await _reads(session, await repo.external_users_of(session, source_id))


async def link_external_users(
    session: AsyncSession, source_id: uuid.UUID, links: Sequence[ExternalUserLink]
) -> list[ExternalUserRead]:
    """Link (or, with ``user_id`` null, unlink) the source's users; a linked user's waiting
    events are applied by a job. Returns the source's users as they are now."""
    await _source_or_404(session, source_id)
    wanted = {link.external_id: link.user_id for link in links}
    known = {
        row.external_id: row for row, _ in await repo.external_users_of(session, source_id, wanted)
    }
    missing = sorted(set(wanted) - set(known))
    if missing:
        raise NotFound("ingest.external_user_not_found", external_id=missing[0])
    local = await users_lookup.users_by_id(
        session, (user_id for user_id in wanted.values() if user_id is not None)
    )
    if any(user_id is not None and user_id not in local for user_id in wanted.values()):
        raise NotFound("users.not_found")
    for external_id, user_id in wanted.items():
        row = known[external_id]
        await repo.link_external_user(session, row.id, user_id, "admin")
        description = user_description(ExternalUserRef(external_id=row.external_id, name=row.name))
        await repo.relink_pending(session, row.id, user_id, description)
        if user_id is not None:
            await tasks.schedule_user_apply(session, row.id)
    return await _reads(session, await repo.external_users_of(session, source_id))


async def unmatched(
    session: AsyncSession, limit: int, offset: int
) -> tuple[list[UnmatchedGroup], int]:
    """Waiting events of every door, grouped by why they wait and what they name."""
    rows, total = await repo.unmatched_groups(session, limit, offset)
    groups = []
    for row in rows:
        kind = row.kind or LISTENBRAINZ
        groups.append(
            UnmatchedGroup(
                reason=row.reason,
                description=row.description,
                source_id=row.source_id,
                source_name=row.name or _label(kind),
                source_kind=kind,
                count=row.count,
                last_received_at=row.last_received_at,
            )
        )
    return groups, total


def _label(kind: str) -> str:
    if kind == LISTENBRAINZ:
        return "ListenBrainz"
    return sender_for(SourceKind(kind)).label
