"""Who a user is, for other features: they ask here instead of reading ``users.models``."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import any_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.users.models import User


@dataclass(frozen=True)
class UserFacts:
    """What other features may know of an account (no password hash, no tokens)."""

    id: uuid.UUID
    username: str
    display_name: str | None
    email: str | None
    locale: str | None
    timezone: str
    is_admin: bool
    is_active: bool

    @property
    def shown_name(self) -> str:
        """The name to show for the user: the display name, else the username."""
        return self.display_name or self.username


# One array parameter however many users (thousands of recipients stay one bind).
_IDS = bindparam("ids", type_=ARRAY(UUID(as_uuid=True)))


async def user_exists(session: AsyncSession, user_id: uuid.UUID) -> bool:
    found = await session.execute(select(User.id).where(User.id == user_id))
    return found.first() is not None


async def users_by_id(
    session: AsyncSession, user_ids: Iterable[uuid.UUID], *, active_only: bool = False
) -> dict[uuid.UUID, UserFacts]:
    """The users of ``user_ids`` that exist (and are active, if asked), by id."""
    ids = list(dict.fromkeys(user_ids))
    if not ids:
        return {}
    query = select(
        User.id,
        User.username,
        User.display_name,
        User.email,
        User.locale,
        User.timezone,
        User.is_admin,
        User.is_active,
    ).where(User.id == any_(_IDS))
    if active_only:
        query = query.where(User.is_active.is_(True))
    rows = await session.execute(query, {"ids": ids})
    return {
        row.id: UserFacts(
            id=row.id,
            username=row.username,
            display_name=row.display_name,
            email=row.email,
            locale=row.locale,
            timezone=row.timezone,
            is_admin=row.is_admin,
            is_active=row.is_active,
        )
        for row in rows
    }


async def display_names(
    session: AsyncSession, user_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """The name to show for each existing user of ``user_ids``."""
    return {
        user_id: user.shown_name for user_id, user in (await users_by_id(session, user_ids)).items()
    }


async def active_user_ids(session: AsyncSession) -> list[uuid.UUID]:
    """Every active account, e.g. everyone a library announcement goes to."""
    rows = await session.execute(select(User.id).where(User.is_active.is_(True)).order_by(User.id))
    return list(rows.scalars())


async def active_admin_ids(session: AsyncSession) -> list[uuid.UUID]:
    """Every active administrator, e.g. who is told that a request waits for review."""
    rows = await session.execute(
        select(User.id).where(User.is_active.is_(True), User.is_admin.is_(True)).order_by(User.id)
    )
    return list(rows.scalars())


async def user_by_name(session: AsyncSession, name: str) -> UserFacts | None:
    """The account whose username, or else display name, is ``name`` (case-insensitive): how a
    user of another server or a ListenBrainz reader's ``/1/user/{name}`` finds its account. A
    display name shared by two accounts names neither."""
    wanted = name.strip().lower()
    if not wanted:
        return None
    by_username = await session.execute(
        select(User.id).where(func.lower(User.username) == wanted).limit(1)
    )
    user_id = by_username.scalar_one_or_none()
    if user_id is None:
        by_display = list(
            (
                await session.execute(
                    select(User.id).where(func.lower(User.display_name) == wanted).limit(2)
                )
            ).scalars()
        )
        user_id = by_display[0] if len(by_display) == 1 else None
    if user_id is None:
        return None
    return (await users_by_id(session, [user_id])).get(user_id)
