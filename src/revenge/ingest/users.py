"""A source's users and the local users they are.

Every user a webhook names is kept (source, external id, name). One not linked yet is linked
to the local account of the same name (username, else display name, case-insensitive), or,
with ``REVENGE_INGEST_CREATE_USERS``, to a new account of that name. An admin may link one to
anybody, or unlink one; an unlink sticks (no linking by name again) until the admin links it,
and so does the deletion of an account made for them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core import clock
from revenge.core.config import Settings
from revenge.ingest import repository as repo
from revenge.ingest.incoming import ExternalUserRef
from revenge.ingest.models import ExternalUser
from revenge.users import lookup as users_lookup
from revenge.users import service as users_service


@dataclass(frozen=True)
class KnownUser:
    id: uuid.UUID  # the external user's row
    external_id: str
    name: str
    user_id: uuid.UUID | None

    def description(self) -> str:
        """How the admin's list of unmatched events names an unlinked user."""
        return f"{self.name} [{self.external_id}]"


async def resolve_users(
    session: AsyncSession,
    source_id: uuid.UUID,
    refs: Iterable[ExternalUserRef],
    settings: Settings,
) -> dict[str, KnownUser]:
    """The source's users named in ``refs``, by external id, created and linked as needed."""
    named = {ref.external_id: ref.name for ref in refs}
    # Sorted: two drains of one source upsert in the same order and cannot deadlock.
    rows = await repo.upsert_external_users(
        session, source_id, sorted(named.items()), clock.utcnow()
    )
    known: dict[str, KnownUser] = {}
    for row in rows:
        user_id = row.user_id
        # An admin's unlink, or an account made for them and deleted since, sticks.
        if user_id is None and row.linked_by not in ("admin", "created"):
            user_id = await _link_automatically(session, row, settings)
        known[row.external_id] = KnownUser(row.id, row.external_id, row.name, user_id)
    return known


async def _link_automatically(
    session: AsyncSession, row: ExternalUser, settings: Settings
) -> uuid.UUID | None:
    found = await users_lookup.user_by_name(session, row.name)
    if found is not None:
        await repo.link_external_user(session, row.id, found.id, "name")
        return found.id
    if settings.ingest.create_users:
        created = await users_service.create_user_without_password(session, row.name)
        await repo.link_external_user(session, row.id, created, "created")
        return created
    return None
