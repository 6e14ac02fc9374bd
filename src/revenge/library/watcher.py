"""Folder watching, per library and off by default: what changes on disk becomes a targeted scan.

``FolderWatcher`` runs beside the job workers (``revenge serve``, ``revenge worker``). It reads
the libraries with watching on every minute and keeps one ``FolderWatch`` (watchfiles' inotify
watch) per folder: started when watching is switched on, stopped when it is switched off,
restarted when the watch ended (folder gone, error) or the folder is another one than before (a
disk mounted again). A watch collects changed paths until the folder has been quiet for a few
seconds (a copy in progress keeps changing), folds them into the folders to scan and asks for
targeted scans. Errors are logged and never end the process: the scheduled full scan catches up
with anything a watch missed.

Off by default because inotify sees only changes made through this machine's kernel: a network
mount (NFS, SMB) changed by its server or another client reports nothing, and every watched
folder takes one of the ``fs.inotify.max_user_watches`` watches (README "Arrivals").
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import structlog
from watchfiles import Change, awatch

from revenge.core.db import session_scope
from revenge.library import service

log = structlog.get_logger(__name__)
# watchfiles logs every batch of changes at INFO; "library.watch_changes" says it once per scan.
logging.getLogger("watchfiles").setLevel(logging.WARNING)

QUIET_SECONDS = 5.0
REFRESH_SECONDS = 60.0
# More folders than this changed in one burst (a library copied in): one full scan instead.
MAX_TARGETS = 100

ScanRequester = Callable[[list[str]], Awaitable[object]]


async def request_scans(paths: list[str]) -> None:
    """Queue targeted scans of ``paths`` (committed at once; the scan job takes them)."""
    async with session_scope() as session:
        await service.request_targeted_scan(session, paths)


def _nearest_existing_folder(root: Path, path: Path) -> Path:
    for folder in path.parents:
        if folder == root or root not in folder.parents:
            break
        if folder.is_dir():
            return folder
    return path


def scan_targets(
    root: Path, changes: Iterable[tuple[Change, Path]], max_targets: int = MAX_TARGETS
) -> list[Path]:
    """The folders (or files) to scan for these changes under ``root``.

    A file added or changed stands for its folder, so its neighbours (images, the other half
    of a rename) are seen with it; a folder added stands for itself (a folder moved in reports
    no event for its contents); something deleted for the nearest folder above it that still
    exists, or itself when that is the library's folder (a targeted scan of a vanished path
    marks what was under it missing). A folder's own metadata changing says nothing its
    contents' events do not. Targets inside another target are dropped; too many: the library.
    """
    targets: set[Path] = set()
    for change, path in changes:
        if path == root or root not in path.parents:
            continue
        if change == Change.deleted or not path.exists():
            folder = _nearest_existing_folder(root, path)
            targets.add(folder if folder != root else path)
        elif path.is_dir():
            if change == Change.added:
                targets.add(path)
        else:
            targets.add(path.parent if path.parent != root else path)
    kept: list[Path] = []
    for target in sorted(targets, key=lambda p: (len(p.parts), str(p))):
        if not any(target == k or k in target.parents for k in kept):
            kept.append(target)
    if len(kept) > max_targets:
        return [root]
    return sorted(kept)


class FolderWatch:
    """One library folder's watch: changes, a quiet period, then ``request``."""

    def __init__(
        self,
        library_id: uuid.UUID,
        root: Path,
        request: ScanRequester = request_scans,
        quiet_seconds: float = QUIET_SECONDS,
    ) -> None:
        self.library_id = library_id
        self.root = root
        self.request = request
        self.quiet_seconds = quiet_seconds
        self.ready = asyncio.Event()  # set once the inotify watch is in place
        self._pending: dict[Path, Change] = {}
        self._last_change = 0.0

    async def run(self) -> None:
        """Watch until cancelled; returns (after logging) when the watch breaks."""
        tick_ms = max(50, int(min(self.quiet_seconds, 1.0) * 500))
        try:
            # Checked here: told to skip unreadable folders, watchfiles would wait on a missing
            # one forever instead of failing.
            if not self.root.is_dir():
                raise FileNotFoundError(f"folder not found: {self.root}")
            async for changes in awatch(
                self.root,
                rust_timeout=tick_ms,
                yield_on_timeout=True,
                ignore_permission_denied=True,
            ):
                self.ready.set()
                now = time.monotonic()
                if changes:
                    for change, raw in changes:
                        self._pending[Path(raw)] = change
                    self._last_change = now
                elif self._pending and now - self._last_change >= self.quiet_seconds:
                    await self._flush()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a vanished folder, inotify limits: logged, restarted later
            log.warning(
                "library.watch_failed",
                library=str(self.library_id),
                path=str(self.root),
                error=str(exc) or exc.__class__.__name__,
            )

    async def _flush(self) -> None:
        pending, self._pending = self._pending, {}
        # Additions first, in a transaction of their own (queued earlier, so scanned earlier):
        # a file moved between folders is then found at its new place before its old folder's
        # scan would call it missing.
        added = scan_targets(self.root, [(c, p) for p, c in pending.items() if p.exists()])
        gone = scan_targets(self.root, [(c, p) for p, c in pending.items() if not p.exists()])
        gone = [t for t in gone if not any(t == a or a in t.parents for a in added)]
        try:
            for targets in (added, gone):
                if targets:
                    await self.request([str(t) for t in targets])
            log.info(
                "library.watch_changes",
                library=str(self.library_id),
                changed=len(pending),
                scans=len(added) + len(gone),
            )
        except Exception as exc:  # database away: try again after the next quiet period
            log.warning(
                "library.watch_request_failed", library=str(self.library_id), error=str(exc)
            )
            for path, change in pending.items():
                self._pending.setdefault(path, change)
            self._last_change = time.monotonic()


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


@dataclass
class _Running:
    path: Path
    identity: tuple[int, int]
    watch: FolderWatch
    task: asyncio.Task[None]


class FolderWatcher:
    """Keeps a ``FolderWatch`` per library with watching on (re-read every ``refresh_seconds``)."""

    def __init__(
        self,
        request: ScanRequester = request_scans,
        quiet_seconds: float = QUIET_SECONDS,
        refresh_seconds: float = REFRESH_SECONDS,
    ) -> None:
        self.request = request
        self.quiet_seconds = quiet_seconds
        self.refresh_seconds = refresh_seconds
        self._running: dict[uuid.UUID, _Running] = {}

    def watch_of(self, library_id: uuid.UUID) -> FolderWatch | None:
        running = self._running.get(library_id)
        return running.watch if running is not None and not running.task.done() else None

    async def run(self) -> None:
        """Until cancelled: refresh the watches, wait, again."""
        try:
            while True:
                try:
                    await self.refresh()
                except Exception as exc:  # e.g. the database restarting: next round
                    log.warning("library.watch_refresh_failed", error=str(exc))
                await asyncio.sleep(self.refresh_seconds)
        finally:
            await self.stop()

    async def refresh(self) -> None:
        async with session_scope() as session:
            wanted = {
                library_id: Path(path)
                for library_id, path in await service.watched_libraries(session)
            }
        for library_id, running in list(self._running.items()):
            if (
                wanted.get(library_id) != running.path
                or running.task.done()
                or _identity(running.path) != running.identity
            ):
                await self._stop_one(library_id)
        for library_id, path in wanted.items():
            if library_id in self._running:
                continue
            identity = _identity(path)
            if identity is None:
                log.warning("library.watch_folder_missing", library=str(library_id), path=str(path))
                continue
            watch = FolderWatch(library_id, path, self.request, self.quiet_seconds)
            task = asyncio.create_task(watch.run(), name=f"watch {path}")
            self._running[library_id] = _Running(path, identity, watch, task)
            log.info("library.watch_started", library=str(library_id), path=str(path))

    async def _stop_one(self, library_id: uuid.UUID) -> None:
        running = self._running.pop(library_id)
        running.task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await running.task
        log.info("library.watch_stopped", library=str(library_id), path=str(running.path))

    async def stop(self) -> None:
        for library_id in list(self._running):
            await self._stop_one(library_id)
