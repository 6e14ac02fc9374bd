"""The scanner's first phase: walk a library's folder and plan the scan against ``media_files``.

The plan says which files are new, changed or unchanged (size + mtime), pairs vanished files
with new paths of the same size + mtime (a rename or move keeps the item's id) and lists the
files that vanished for good. No database here: ``scanner.py`` reads the known files and
applies the plan.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from revenge.core.media import LibraryKind
from revenge.library import naming
from revenge.library.images import DiskImage
from revenge.library.tasks import ScanMustWait


class ScanError(Exception):
    """A scan that cannot run; ``code`` is stable, the message says why (shown on the scan)."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


class ScanBusy(ScanError, ScanMustWait):
    """Another scan of the library is running; this one stays queued and is retried."""


class ScanAlreadyRun(ScanError):
    """The scan was already run (e.g. by the CLI) before its job got to it."""


@dataclass(frozen=True)
class DiskFile:
    path: Path
    size: int
    mtime: float


@dataclass(frozen=True)
class KnownFile:
    id: uuid.UUID
    size: int
    mtime: float
    missing: bool


@dataclass
class ScanPlan:
    media: list[DiskFile]
    images: list[DiskImage]
    known: dict[str, KnownFile]
    moves: dict[str, uuid.UUID]  # new path → id of the vanished file it is
    vanished: list[uuid.UUID]  # present before, gone now, not moved


def _wanted(kind: LibraryKind, root: Path, path: Path) -> bool:
    ext = path.suffix.lower()
    if kind == LibraryKind.music:
        return ext in naming.AUDIO_EXTENSIONS
    if ext not in naming.VIDEO_EXTENSIONS:
        return False
    rel = path.relative_to(root).parts
    if naming.is_extra(rel, path.stem):
        return False
    # An episode needs numbers; anything else in a TV library is not an episode.
    return kind != LibraryKind.tv or naming.parse_episode(path.stem) is not None


def walk_library(root: Path, kind: LibraryKind) -> tuple[list[DiskFile], list[DiskImage]]:
    """Media files and images under ``root`` (hidden folders and files skipped), path-sorted."""
    # A vanished root is an unmounted disk, not a deleted library: marking every item
    # missing would throw away users' history, so the scan stops instead.
    if not root.is_dir():
        raise ScanError("library.path_unavailable", f"folder not found: {root}")
    media: list[DiskFile] = []
    images: list[DiskImage] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "@")))
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = Path(folder) / name
            ext = path.suffix.lower()
            is_image = ext in naming.IMAGE_EXTENSIONS
            if not is_image and not _wanted(kind, root, path):
                continue
            try:
                stat = path.stat()
            except OSError:  # vanished while walking
                continue
            if is_image:
                images.append(DiskImage(path, stat.st_size, stat.st_mtime))
            else:
                media.append(DiskFile(path, stat.st_size, stat.st_mtime))
    return media, images


def plan_scan(
    media: list[DiskFile], images: list[DiskImage], known: dict[str, KnownFile]
) -> ScanPlan:
    on_disk = {str(f.path) for f in media}
    gone = [(path, k) for path, k in known.items() if path not in on_disk]
    by_signature: dict[tuple[int, float], list[uuid.UUID]] = {}
    for _, k in gone:
        by_signature.setdefault((k.size, k.mtime), []).append(k.id)
    moves: dict[str, uuid.UUID] = {}
    for f in media:
        if str(f.path) in known:
            continue
        candidates = by_signature.get((f.size, f.mtime))
        if candidates:
            moves[str(f.path)] = candidates.pop(0)
    moved = set(moves.values())
    vanished = [k.id for _, k in gone if k.id not in moved and not k.missing]
    return ScanPlan(media, images, known, moves, vanished)
