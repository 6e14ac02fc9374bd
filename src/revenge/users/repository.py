from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.users.models import ApiKey, AuthSession, User


async def get_user(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


async def get_user_by_username(session: AsyncSession, username: str) -> User | None:
    result = await session.execute(
        select(User).where(func.lower(User.username) == username.lower())
    )
    return result.scalar_one_or_none()


async def list_users(session: AsyncSession, limit: int, offset: int) -> tuple[list[User], int]:
    total = (await session.execute(select(func.count()).select_from(User))).scalar_one()
    rows = await session.execute(select(User).order_by(User.username).limit(limit).offset(offset))
    return list(rows.scalars()), total


async def count_admins(session: AsyncSession) -> int:
    """Active admins, their rows locked until the transaction ends: two admins demoting each
    other at once wait for one another, and the second sees that only one admin is left."""
    result = await session.execute(
        select(User.id).where(User.is_admin.is_(True), User.is_active.is_(True)).with_for_update()
    )
    return len(result.all())


async def get_session_by_access(
    session: AsyncSession, digest: str, now: datetime
) -> tuple[AuthSession, User] | None:
    result = await session.execute(
        select(AuthSession, User)
        .join(User, User.id == AuthSession.user_id)
        .where(
            AuthSession.access_token_hash == digest,
            AuthSession.revoked_at.is_(None),
            AuthSession.access_expires_at > now,
            User.is_active.is_(True),
        )
    )
    row = result.first()
    return (row[0], row[1]) if row else None


async def get_session_by_refresh(session: AsyncSession, digest: str) -> AuthSession | None:
    result = await session.execute(
        select(AuthSession).where(AuthSession.refresh_token_hash == digest).with_for_update()
    )
    return result.scalar_one_or_none()


async def end_refresh(session: AsyncSession, session_id: uuid.UUID | None, now: datetime) -> None:
    """The session's refresh token stops working; its access token lives out its time."""
    if session_id is not None:
        await session.execute(
            update(AuthSession).where(AuthSession.id == session_id).values(refresh_expires_at=now)
        )


async def revoke_family(session: AsyncSession, family_id: uuid.UUID, now: datetime) -> None:
    await session.execute(
        update(AuthSession)
        .where(AuthSession.family_id == family_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def revoke_user_sessions(
    session: AsyncSession, user_id: uuid.UUID, now: datetime, keep: uuid.UUID | None = None
) -> None:
    query = update(AuthSession).where(
        AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None)
    )
    if keep is not None:
        query = query.where(AuthSession.id != keep)
    await session.execute(query.values(revoked_at=now))


async def get_api_key(
    session: AsyncSession, digest: str, now: datetime
) -> tuple[ApiKey, User] | None:
    result = await session.execute(
        select(ApiKey, User)
        .join(User, User.id == ApiKey.user_id)
        .where(
            ApiKey.key_hash == digest,
            User.is_active.is_(True),
            (ApiKey.expires_at.is_(None)) | (ApiKey.expires_at > now),
        )
    )
    row = result.first()
    return (row[0], row[1]) if row else None


async def list_api_keys(session: AsyncSession, user_id: uuid.UUID) -> list[ApiKey]:
    result = await session.execute(
        select(ApiKey).where(ApiKey.user_id == user_id).order_by(ApiKey.created_at.desc())
    )
    return list(result.scalars())
