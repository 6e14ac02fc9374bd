"""Images next to items (poster.jpg, folder.jpg, cover.jpg, fanart.jpg, ``<name>-poster.jpg``)
→ ``media_images``, matched to the item whose folder or file name they sit beside."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select, true
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core import clock
from revenge.core.media import LibraryKind, MediaType
from revenge.library import naming, repository
from revenge.library.models import (
    Album,
    Artist,
    Episode,
    MediaFile,
    MediaImage,
    Movie,
    Series,
    Track,
)


@dataclass(frozen=True)
class DiskImage:
    path: Path
    size: int
    mtime: float


Owner = tuple[MediaType, uuid.UUID]


@dataclass
class OwnerMap:
    folders: dict[Path, Owner]
    item_stems: dict[Path, list[tuple[str, Owner]]]  # folder → [(media file stem, item)]
    season_posters: dict[tuple[Path, int], Owner]  # (series folder, season number) → season

    def owner_of(self, image: Path) -> tuple[Owner, str] | None:
        stem, folder = image.stem, image.parent
        for item_stem, owner in self.item_stems.get(folder, []):
            role = naming.image_role_for_item(stem, item_stem)
            if role:
                return owner, role
        season = naming.season_poster_number(stem)
        if season is not None and (folder, season) in self.season_posters:
            return self.season_posters[(folder, season)], "poster"
        role = naming.image_role(stem)
        if role and folder in self.folders:
            owner = self.folders[folder]
            # Albums have covers, everything else posters: folder.jpg means either.
            if owner[0] == MediaType.album and role == "poster":
                role = "cover"
            elif owner[0] != MediaType.album and role == "cover":
                role = "poster"
            return owner, role
        return None


async def build_owner_map(
    session: AsyncSession,
    library_id: uuid.UUID,
    kind: LibraryKind,
    root: Path,
    within: Path | None = None,
) -> OwnerMap:
    """Which folder belongs to which item, from the files present in the library now (only
    those under ``within``, for a targeted scan: its images sit beside them)."""
    owners = OwnerMap({}, {}, {})
    scoped = true() if within is None else repository.path_within(MediaFile.path, str(within))

    def inside(folder: Path) -> bool:
        return folder != root and root in folder.parents

    if kind == LibraryKind.movies:
        rows = await session.execute(
            select(Movie.id, MediaFile.path)
            .join(MediaFile, MediaFile.id == Movie.file_id)
            .where(Movie.library_id == library_id, MediaFile.missing_at.is_(None), scoped)
        )
        for movie_id, file_path in rows:
            path, owner = Path(file_path), (MediaType.movie, movie_id)
            owners.item_stems.setdefault(path.parent, []).append((path.stem, owner))
            if inside(path.parent):
                owners.folders.setdefault(path.parent, owner)
    elif kind == LibraryKind.tv:
        episode_rows = await session.execute(
            select(
                Episode.id,
                Episode.series_id,
                Episode.season_id,
                Episode.season_number,
                MediaFile.path,
            )
            .join(MediaFile, MediaFile.id == Episode.file_id)
            .join(Series, Series.id == Episode.series_id)
            .where(Series.library_id == library_id, MediaFile.missing_at.is_(None), scoped)
        )
        for episode_id, series_id, season_id, season_number, file_path in episode_rows:
            path = Path(file_path)
            owners.item_stems.setdefault(path.parent, []).append(
                (path.stem, (MediaType.episode, episode_id))
            )
            rel = path.relative_to(root).parts
            if len(rel) < 2:
                continue
            series_dir = root / rel[0]
            owners.folders.setdefault(series_dir, (MediaType.series, series_id))
            season_owner = (MediaType.season, season_id)
            owners.season_posters.setdefault((series_dir, season_number), season_owner)
            if path.parent != series_dir:
                owners.folders.setdefault(path.parent, season_owner)
    else:
        track_rows = await session.execute(
            select(Album.id, Album.artist_id, MediaFile.path)
            .select_from(Track)
            .join(MediaFile, MediaFile.id == Track.file_id)
            .join(Album, Album.id == Track.album_id)
            .join(Artist, Artist.id == Album.artist_id)
            .where(Artist.library_id == library_id, MediaFile.missing_at.is_(None), scoped)
        )
        for album_id, artist_id, file_path in track_rows:
            album_dir = Path(file_path).parent
            if naming.parse_disc_folder(album_dir.name) is not None:
                album_dir = album_dir.parent
            if inside(album_dir):
                owners.folders.setdefault(album_dir, (MediaType.album, album_id))
                if inside(album_dir.parent):
                    owners.folders.setdefault(album_dir.parent, (MediaType.artist, artist_id))
    return owners


def _dimensions(path: Path) -> tuple[int | None, int | None]:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:  # reads the header only
            return image.size
    except (OSError, UnidentifiedImageError, ValueError):
        return None, None


async def sync_images(
    session: AsyncSession, within: Path, owners: OwnerMap, images: Iterable[DiskImage]
) -> int:
    """Add/refresh the images under ``within`` (the library's folder, or a targeted scan's
    folder or file) and mark vanished ones missing; returns rows changed."""
    existing = {
        image.path: image
        for image in (
            await session.execute(
                select(MediaImage).where(repository.path_within(MediaImage.path, str(within)))
            )
        ).scalars()
    }
    now = clock.utcnow()
    changed = 0
    seen: set[str] = set()
    for image in images:
        found = owners.owner_of(image.path)
        if found is None:
            continue
        (media_type, media_id), role = found
        key = str(image.path)
        seen.add(key)
        row = existing.get(key)
        if (
            row is not None
            and row.size_bytes == image.size
            and row.mtime == image.mtime
            and row.media_type == media_type
            and row.media_id == media_id
            and row.kind == role
            and row.missing_at is None
        ):
            continue
        if row is None:
            row = MediaImage(path=key, media_type=str(media_type), media_id=media_id, kind=role)
            session.add(row)
        row.media_type, row.media_id, row.kind = str(media_type), media_id, role
        row.size_bytes, row.mtime, row.missing_at = image.size, image.mtime, None
        row.width, row.height = _dimensions(image.path)
        changed += 1
    for key, row in existing.items():
        if key not in seen and row.missing_at is None:
            row.missing_at = now
            changed += 1
    await session.flush()
    return changed
