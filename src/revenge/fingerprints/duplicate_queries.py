"""Queries of the duplicate groups: members, the links between them with their scores, and
an item's removal from both (the look-ups that find duplicates are in ``repository``)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Text, any_, cast, delete, exists, func, not_, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from revenge.fingerprints.models import (
    DuplicateDismissal,
    DuplicateGroup,
    DuplicateLink,
    DuplicateMember,
    MediaFingerprint,
)


async def member_group(
    session: AsyncSession, kind: str, subject_type: str, subject_id: uuid.UUID
) -> uuid.UUID | None:
    return (
        await session.execute(
            select(DuplicateMember.group_id).where(
                DuplicateMember.kind == kind,
                DuplicateMember.subject_type == subject_type,
                DuplicateMember.subject_id == subject_id,
            )
        )
    ).scalar_one_or_none()


async def lock_groups(session: AsyncSession, group_ids: Sequence[uuid.UUID]) -> None:
    # Two detection jobs merging the same groups must not interleave.
    await session.execute(
        select(DuplicateGroup.id)
        .where(DuplicateGroup.id.in_(group_ids))
        .order_by(DuplicateGroup.id)
        .with_for_update()
    )


async def create_group(session: AsyncSession, kind: str) -> uuid.UUID:
    group = DuplicateGroup(kind=kind, member_count=0, min_score=1.0)
    session.add(group)
    await session.flush()
    return group.id


async def add_member(
    session: AsyncSession,
    group_id: uuid.UUID,
    kind: str,
    subject_type: str,
    subject_id: uuid.UUID,
    media_type: str,
    media_id: uuid.UUID,
) -> None:
    await session.execute(
        insert(DuplicateMember)
        .values(
            group_id=group_id,
            kind=kind,
            subject_type=subject_type,
            subject_id=subject_id,
            media_type=media_type,
            media_id=media_id,
        )
        .on_conflict_do_nothing()
    )


async def merge_groups(session: AsyncSession, keep: uuid.UUID, absorbed: uuid.UUID) -> None:
    await session.execute(
        update(DuplicateMember).where(DuplicateMember.group_id == absorbed).values(group_id=keep)
    )
    await session.execute(
        update(DuplicateLink).where(DuplicateLink.group_id == absorbed).values(group_id=keep)
    )
    await session.execute(delete(DuplicateGroup).where(DuplicateGroup.id == absorbed))


async def group_size(session: AsyncSession, group_id: uuid.UUID) -> int:
    return int(
        (
            await session.execute(select(func.count()).where(DuplicateMember.group_id == group_id))
        ).scalar_one()
    )


async def upsert_link(
    session: AsyncSession,
    group_id: uuid.UUID,
    kind: str,
    a: tuple[str, uuid.UUID],
    b: tuple[str, uuid.UUID],
    score: float,
    measure: float,
) -> None:
    first, second = sorted([a, b], key=lambda s: (s[0], str(s[1])))
    stmt = insert(DuplicateLink).values(
        group_id=group_id,
        kind=kind,
        a_type=first[0],
        a_id=first[1],
        b_type=second[0],
        b_id=second[1],
        score=score,
        measure=measure,
    )
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["kind", "a_type", "a_id", "b_type", "b_id"],
            set_={
                "score": stmt.excluded.score,
                "measure": stmt.excluded.measure,
                "group_id": group_id,
            },
        )
    )


async def refresh_group_stats(session: AsyncSession, group_id: uuid.UUID) -> None:
    await session.execute(
        text(
            """
            UPDATE fingerprint_duplicate_groups g SET
                member_count = (SELECT count(*) FROM fingerprint_duplicate_members m WHERE m.group_id = g.id),
                min_score = COALESCE((SELECT min(score) FROM fingerprint_duplicate_links l WHERE l.group_id = g.id), 1.0),
                updated_at = now()
            WHERE g.id = :id
            """
        ),
        {"id": group_id},
    )


async def delete_group_if_single(session: AsyncSession, group_id: uuid.UUID) -> None:
    if await group_size(session, group_id) < 2:
        await session.execute(delete(DuplicateGroup).where(DuplicateGroup.id == group_id))


def member_key(subject_type: str, subject_id: uuid.UUID | str) -> str:
    """How a dismissal remembers a member: ``type:id``."""
    return f"{subject_type}:{subject_id}"


def _dismissed() -> ColumnElement[bool]:
    """The group has a dismissal that covers every one of its members (a member that joined
    later has not been looked at, so the group shows again)."""
    key = DuplicateMember.subject_type + ":" + cast(DuplicateMember.subject_id, Text)
    unseen = (
        select(DuplicateMember.id)
        .where(
            DuplicateMember.group_id == DuplicateDismissal.group_id,
            not_(key == any_(DuplicateDismissal.members)),
        )
        .correlate(DuplicateDismissal)
        .exists()
    )
    return exists().where(DuplicateDismissal.group_id == DuplicateGroup.id, not_(unseen))


async def list_groups(
    session: AsyncSession,
    kind: str | None,
    min_score: float | None,
    limit: int,
    offset: int,
    *,
    dismissed: bool = False,
) -> tuple[list[DuplicateGroup], int]:
    """Groups still to look at, oldest first (or, with ``dismissed``, the dismissed ones)."""
    hidden = _dismissed()
    query = select(DuplicateGroup).where(
        DuplicateGroup.member_count > 1, hidden if dismissed else not_(hidden)
    )
    if kind:
        query = query.where(DuplicateGroup.kind == kind)
    if min_score is not None:
        query = query.where(DuplicateGroup.min_score >= min_score)
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    rows = await session.execute(
        query.order_by(DuplicateGroup.created_at, DuplicateGroup.id).limit(limit).offset(offset)
    )
    return list(rows.scalars()), int(total)


async def members_of(
    session: AsyncSession, group_ids: Sequence[uuid.UUID]
) -> list[DuplicateMember]:
    rows = await session.execute(
        select(DuplicateMember)
        .where(DuplicateMember.group_id.in_(group_ids))
        .order_by(DuplicateMember.subject_type, DuplicateMember.subject_id)
    )
    return list(rows.scalars())


async def links_of(session: AsyncSession, group_ids: Sequence[uuid.UUID]) -> list[DuplicateLink]:
    rows = await session.execute(
        select(DuplicateLink)
        .where(DuplicateLink.group_id.in_(group_ids))
        .order_by(DuplicateLink.score.desc())
    )
    return list(rows.scalars())


async def forget_media(
    session: AsyncSession, media_type: str, media_id: uuid.UUID
) -> list[uuid.UUID]:
    """Drop an item's fingerprints and its place in duplicate groups; returns touched groups."""
    await session.execute(
        delete(MediaFingerprint).where(
            MediaFingerprint.media_type == media_type, MediaFingerprint.media_id == media_id
        )
    )
    members = await session.execute(
        delete(DuplicateMember)
        .where(DuplicateMember.media_type == media_type, DuplicateMember.media_id == media_id)
        .returning(
            DuplicateMember.group_id, DuplicateMember.subject_type, DuplicateMember.subject_id
        )
    )
    groups: set[uuid.UUID] = set()
    for group_id, subject_type, subject_id in members:
        groups.add(group_id)
        for side_type, side_id in (
            (DuplicateLink.a_type, DuplicateLink.a_id),
            (DuplicateLink.b_type, DuplicateLink.b_id),
        ):
            await session.execute(
                delete(DuplicateLink).where(
                    DuplicateLink.group_id == group_id,
                    side_type == subject_type,
                    side_id == subject_id,
                )
            )
    return sorted(groups)


async def get_group(session: AsyncSession, group_id: uuid.UUID) -> DuplicateGroup | None:
    return await session.get(DuplicateGroup, group_id)


async def dismissals_of(
    session: AsyncSession, group_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, DuplicateDismissal]:
    rows = await session.execute(
        select(DuplicateDismissal).where(DuplicateDismissal.group_id.in_(group_ids))
    )
    return {row.group_id: row for row in rows.scalars()}


async def save_dismissal(
    session: AsyncSession,
    group_id: uuid.UUID,
    *,
    decision: str,
    keep: tuple[str, uuid.UUID] | None,
    members: list[str],
    dismissed_by: uuid.UUID | None,
) -> DuplicateDismissal:
    """Record (or replace) the admin's word on a group."""
    values = {
        "decision": decision,
        "keep_subject_type": keep[0] if keep else None,
        "keep_subject_id": keep[1] if keep else None,
        "members": members,
        "dismissed_by": dismissed_by,
        "dismissed_at": func.now(),
    }
    stmt = insert(DuplicateDismissal).values(group_id=group_id, **values)
    row = await session.execute(
        stmt.on_conflict_do_update(index_elements=["group_id"], set_=values).returning(
            DuplicateDismissal
        ),
        execution_options={"populate_existing": True},
    )
    return row.scalar_one()


async def delete_dismissal(session: AsyncSession, group_id: uuid.UUID) -> None:
    await session.execute(delete(DuplicateDismissal).where(DuplicateDismissal.group_id == group_id))
