"""The scanner's first phase: walk a library's folder and plan the scan against ``media_files``.

The plan says which files are new, changed or unchanged (size + mtime), pairs vanished files
with new paths of the same size + mtime (a rename or move keeps the item's id) and lists the
files that vanished for good. No database here: ``scanner.py`` reads the known files and
applies the plan.

A scan covers a ``ScanScope``: the whole library, or one folder or file inside it (a targeted
scan). Both walk and plan the same way; a targeted scan only looks at (and can only declare
vanished) the files under its target.
"""

from __future__ import annotations

import os
import uuid
from collections import Counter
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


@dataclass(frozen=True)
class ScanScope:
    """What one scan covers: the whole library (``target`` None), or a folder or file in it."""

    root: Path
    target: Path | None = None

    @classmethod
    def of(cls, root: Path, target: str | None) -> ScanScope:
        # A target that is the library's folder itself is a full scan.
        if target is None or Path(target) == root:
            return cls(root)
        return cls(root, Path(target))

    @property
    def top(self) -> Path:
        return self.target if self.target is not None else self.root

    def contains(self, path: Path) -> bool:
        return path == self.top or self.top in path.parents


def _hidden(name: str) -> bool:
    return name.startswith(".")


def _hidden_folder(name: str) -> bool:
    return name.startswith((".", "@"))


def _entry(root: Path, kind: LibraryKind, path: Path) -> DiskFile | DiskImage | None:
    """The media file or image at ``path``, or None (other files, gone while walking)."""
    is_image = path.suffix.lower() in naming.IMAGE_EXTENSIONS
    if not is_image and not _wanted(kind, root, path):
        return None
    try:
        stat = path.stat()
    except OSError:  # vanished while walking
        return None
    if is_image:
        return DiskImage(path, stat.st_size, stat.st_mtime)
    return DiskFile(path, stat.st_size, stat.st_mtime)


def _walk(root: Path, top: Path, kind: LibraryKind) -> tuple[list[DiskFile], list[DiskImage]]:
    media: list[DiskFile] = []
    images: list[DiskImage] = []
    for folder, dirs, files in os.walk(top):
        dirs[:] = sorted(d for d in dirs if not _hidden_folder(d))
        for name in sorted(files):
            if _hidden(name):
                continue
            entry = _entry(root, kind, Path(folder) / name)
            if isinstance(entry, DiskImage):
                images.append(entry)
            elif entry is not None:
                media.append(entry)
    return media, images


def walk_library(root: Path, kind: LibraryKind) -> tuple[list[DiskFile], list[DiskImage]]:
    """Media files and images under ``root`` (hidden folders and files skipped), path-sorted."""
    return walk_scope(ScanScope(root), kind)


def walk_scope(scope: ScanScope, kind: LibraryKind) -> tuple[list[DiskFile], list[DiskImage]]:
    """Media files and images in the scope, as a walk of the whole library would find them
    there; a target that no longer exists has none (its known files vanished)."""
    root = scope.root
    # A vanished root is an unmounted disk, not a deleted library: marking every item
    # missing would throw away users' history, so the scan stops instead.
    if not root.is_dir():
        raise ScanError("library.path_unavailable", f"folder not found: {root}")
    target = scope.target
    if target is None:
        return _walk(root, root, kind)
    parts = target.relative_to(root).parts
    if target.is_dir():
        if any(_hidden_folder(part) for part in parts):
            return [], []
        return _walk(root, target, kind)
    if any(_hidden_folder(part) for part in parts[:-1]) or _hidden(parts[-1]):
        return [], []
    entry = _entry(root, kind, target) if target.is_file() else None
    if isinstance(entry, DiskImage):
        return [], [entry]
    return ([entry] if entry is not None else []), []


def shared_folders(scope: ScanScope, kind: LibraryKind, media: list[DiskFile]) -> set[Path]:
    """Folders holding more than one media file (a movie's folder holds one; a grouping folder
    like "Action/" several). A folder inside the scope was walked whole; a file target's
    folder was not, so its other files are counted from a listing."""
    counts = Counter(f.path.parent for f in media)
    target = scope.target
    if target is not None and not target.is_dir() and target.parent in counts:
        folder = target.parent
        try:
            names = [e.name for e in os.scandir(folder) if e.is_file() and not _hidden(e.name)]
        except OSError:
            names = []
        counts[folder] = sum(
            1
            for name in names
            if (folder / name).suffix.lower() not in naming.IMAGE_EXTENSIONS
            and _wanted(kind, scope.root, folder / name)
        )
    return {folder for folder, n in counts.items() if n > 1}


def plan_scan(
    media: list[DiskFile],
    images: list[DiskImage],
    known: dict[str, KnownFile],
    elsewhere: dict[str, KnownFile] | None = None,
) -> ScanPlan:
    """``known``: the files the database has in the scope. ``elsewhere``: files outside a
    targeted scan's scope that are gone from disk, so a new file in the scope with their size
    and mtime is that file moved in (its item is kept); they are never declared vanished here,
    that is for a scan of their own folder."""
    on_disk = {str(f.path) for f in media}
    gone = [(path, k) for path, k in known.items() if path not in on_disk]
    by_signature: dict[tuple[int, float], list[uuid.UUID]] = {}
    for _, k in [*gone, *(elsewhere or {}).items()]:
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


def new_signatures(media: list[DiskFile], known: dict[str, KnownFile]) -> set[tuple[int, float]]:
    """Size and mtime of the files not known at their path (what a move would match)."""
    return {(f.size, f.mtime) for f in media if str(f.path) not in known}
