"""Items and images that have a file to read, page by page (library-wide fingerprint runs)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.library.models import Episode, MediaImage, Movie, Track

# What has a file of its own to read: images, and movies, episodes and tracks.
_MODELS: dict[str, Any] = {"image": MediaImage, "track": Track, "movie": Movie, "episode": Episode}


def _present_with_file(owner: str) -> tuple[Any, Any]:
    model = _MODELS[owner]
    query = select(model.id).where(model.missing_at.is_(None))
    if model is not MediaImage:
        query = query.where(model.file_id.is_not(None))
    return model, query


async def count_with_files(session: AsyncSession, owner: str) -> int:
    """How many present images (or movies, episodes, tracks with a file) there are."""
    _, query = _present_with_file(owner)
    return int(
        (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    )


async def ids_with_files(
    session: AsyncSession, owner: str, *, after: uuid.UUID | None, limit: int
) -> list[uuid.UUID]:
    """The next ``limit`` ids after ``after``, in id order (keyset, so a run can resume)."""
    model, query = _present_with_file(owner)
    if after is not None:
        query = query.where(model.id > after)
    return list((await session.execute(query.order_by(model.id).limit(limit))).scalars())
