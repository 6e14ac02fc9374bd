"""What gets fingerprinted, read through the library: an item's own file (track, film,
episode) or one image, and the library-wide order a run visits them in."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core.media import MediaType
from revenge.fingerprints.repository import RUN_STAGES, Subject
from revenge.library import files as library_files
from revenge.library import lookup

# Items fingerprinted from their own file (the others only through their images).
ITEM_SUBJECTS = (MediaType.track, MediaType.movie, MediaType.episode)


async def load_subject(
    session: AsyncSession, subject_type: str, subject_id: uuid.UUID
) -> Subject | None:
    """The subject with its file's path, size and mtime (no path: the item has no file)."""
    if subject_type == "image":
        image = (await lookup.images(session, [subject_id])).get(subject_id)
        if image is None:
            return None
        return Subject(
            "image",
            image.id,
            image.owner.media_type.value,
            image.owner.id,
            image.path,
            image.size_bytes,
            image.mtime,
        )
    if subject_type not in ITEM_SUBJECTS:
        return None
    item = await lookup.resolve_one(session, lookup.MediaRef.of(subject_type, subject_id))
    if item is None:
        return None
    file = item.file
    return Subject(
        subject_type,
        item.id,
        subject_type,
        item.id,
        file.path if file is not None else None,
        file.size_bytes if file is not None else 0,
        file.mtime if file is not None else 0.0,
    )


async def count_subjects(session: AsyncSession) -> int:
    """Everything a library-wide run would visit: present images and items with a file."""
    total = 0
    for stage in RUN_STAGES:
        total += await library_files.count_with_files(session, stage)
    return total


async def next_subjects(
    session: AsyncSession, stage: int, cursor: uuid.UUID | None, limit: int
) -> list[uuid.UUID]:
    """The next ``limit`` subject ids of ``stage`` after ``cursor`` (keyset, so resumable)."""
    return await library_files.ids_with_files(session, RUN_STAGES[stage], after=cursor, limit=limit)
