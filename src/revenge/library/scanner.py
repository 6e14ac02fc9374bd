"""The folder scanner: walk a library, probe what is new or changed, keep items' identities.

A scan runs in phases, each its own transaction, so a UI polling the scan row sees progress:
1. plan: walk the folder, compare with ``media_files`` (size + mtime), pair vanished files with
   new paths of the same size + mtime (a rename or move keeps the item's id) (``scan_plan.py``);
2. chunks of files: probe (ffprobe, mutagen) and create/update items, counters committed per chunk;
3. finish: mark vanished files and their items missing (``library.item_removed``), sync images.

A targeted scan (the scan row names a folder or file: a download that arrived, a folder the
watcher saw change) runs the same phases over that subtree only: it walks and loads only the
files under it, so only they can be new, changed or vanished. A new file there may be one moved
in from elsewhere in the library: a file outside the subtree with its size and mtime that is
gone from disk is that file (the item keeps its id).
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import exists, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core import clock, events
from revenge.core.db import session_scope
from revenge.core.media import LibraryKind, MediaType
from revenge.library import repository
from revenge.library.images import build_owner_map, sync_images
from revenge.library.items import ItemResolver
from revenge.library.models import (
    Episode,
    Library,
    LibraryScan,
    MediaFile,
    Movie,
    Series,
    Track,
)
from revenge.library.probe import ProbeResult, probe_file
from revenge.library.scan_plan import (
    DiskFile,
    KnownFile,
    ScanAlreadyRun,
    ScanBusy,
    ScanError,
    ScanPlan,
    ScanScope,
    new_signatures,
    plan_scan,
    shared_folders,
    walk_scope,
)
from revenge.library.tags import AudioTags, read_tags

log = structlog.get_logger(__name__)

CHUNK_SIZE = 25
PROBE_CONCURRENCY = 4
# A "running" scan whose row has not moved for this long died with its worker.
STALE_SCAN_SECONDS = 3600

_ITEM_MODELS: dict[MediaType, type[Movie] | type[Episode] | type[Track]] = {
    MediaType.movie: Movie,
    MediaType.episode: Episode,
    MediaType.track: Track,
}
_KIND_ITEM = {
    LibraryKind.movies: MediaType.movie,
    LibraryKind.tv: MediaType.episode,
    LibraryKind.music: MediaType.track,
}


@dataclass
class ScanProgress:
    files_total: int = 0
    files_done: int = 0
    items_added: int = 0
    items_updated: int = 0
    items_missing: int = 0
    status: str = "running"


ProgressCallback = Callable[[ScanProgress], Awaitable[None] | None]


def _chunks(items: Sequence[DiskFile], size: int) -> Iterator[Sequence[DiskFile]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass
class LibraryScanner:
    """Runs one scan of one library; ``run`` is the whole scan (used by the job and the CLI)."""

    scan_id: uuid.UUID
    ffprobe: str = "ffprobe"
    chunk_size: int = CHUNK_SIZE
    on_progress: ProgressCallback | None = None
    progress: ScanProgress = field(default_factory=ScanProgress)

    async def run(self) -> ScanProgress:
        try:
            library_id, kind, scope, plan = await self._start()
        except (ScanBusy, ScanAlreadyRun):
            raise
        except Exception as exc:
            await self._fail(exc)
            raise
        try:
            resolver = ItemResolver(library_id, kind, scope.root)
            resolver.shared_folders = shared_folders(scope, kind, plan.media)
            for chunk in _chunks(plan.media, self.chunk_size):
                await self._process_chunk(resolver, plan, chunk)
            await self._finish(library_id, kind, scope, plan)
        except Exception as exc:
            await self._fail(exc)
            raise
        return self.progress

    async def _notify(self) -> None:
        if self.on_progress is not None:
            result = self.on_progress(self.progress)
            if asyncio.iscoroutine(result):
                await result

    async def _save(self, session: AsyncSession, **extra: object) -> None:
        scan = await session.get(LibraryScan, self.scan_id, with_for_update=True)
        if scan is None:
            raise ScanError("library.scan_not_found", f"scan {self.scan_id} vanished")
        p = self.progress
        scan.status = p.status
        scan.files_total, scan.files_done = p.files_total, p.files_done
        scan.items_added, scan.items_updated = p.items_added, p.items_updated
        scan.items_missing = p.items_missing
        for key, value in extra.items():
            setattr(scan, key, value)

    async def _start(self) -> tuple[uuid.UUID, LibraryKind, ScanScope, ScanPlan]:
        async with session_scope() as session:
            scan = await session.get(LibraryScan, self.scan_id, with_for_update=True)
            if scan is None:
                raise ScanError("library.scan_not_found", f"scan {self.scan_id} does not exist")
            if scan.status != "queued":
                raise ScanAlreadyRun("library.scan_already_run", f"scan {scan.id} is {scan.status}")
            library = await session.get(Library, scan.library_id)
            if library is None:  # pragma: no cover - cascades delete the scan with its library
                raise ScanError("library.not_found", "library deleted")
            await self._refuse_concurrent(session, scan)
            kind = LibraryKind(library.kind)
            scope = ScanScope.of(Path(library.path), scan.target_path)
            media, images = await asyncio.to_thread(walk_scope, scope, kind)
            in_library = MediaFile.library_id == library.id
            if scope.target is None:
                known = await _known_files(session, in_library)
                elsewhere: dict[str, KnownFile] = {}
            else:
                within = repository.path_within(MediaFile.path, str(scope.target))
                known = await _known_files(session, in_library & within)
                signatures = new_signatures(media, known)
                elsewhere = await _gone_elsewhere(session, in_library & ~within, signatures)
            plan = plan_scan(media, images, known, elsewhere)
            self.progress.files_total = len(media)
            await self._save(session, started_at=clock.utcnow(), error=None)
            log.info(
                "library.scan_started",
                library=library.name,
                target=scan.target_path,
                files=len(media),
                moves=len(plan.moves),
                vanished=len(plan.vanished),
            )
            library_id = library.id
        await self._notify()
        return library_id, kind, scope, plan

    async def _refuse_concurrent(self, session: AsyncSession, scan: LibraryScan) -> None:
        from datetime import timedelta

        fresh_after = clock.utcnow() - timedelta(seconds=STALE_SCAN_SECONDS)
        other = await session.scalar(
            select(LibraryScan.id).where(
                LibraryScan.library_id == scan.library_id,
                LibraryScan.id != scan.id,
                LibraryScan.status == "running",
                LibraryScan.updated_at > fresh_after,
            )
        )
        if other is not None:
            raise ScanBusy("library.scan_in_progress", f"scan {other} is still running")

    async def _inspect(
        self, kind: LibraryKind, files: list[DiskFile], need_probe: set[str]
    ) -> tuple[dict[str, ProbeResult], dict[str, AudioTags]]:
        """ffprobe and tag reads for a chunk, a few at a time (subprocesses, threads)."""
        limit = asyncio.Semaphore(PROBE_CONCURRENCY)
        probes: dict[str, ProbeResult] = {}
        tags: dict[str, AudioTags] = {}

        async def one(f: DiskFile) -> None:
            async with limit:
                key = str(f.path)
                if key in need_probe:
                    probes[key] = await probe_file(f.path, self.ffprobe)
                if kind == LibraryKind.music:
                    tags[key] = await asyncio.to_thread(read_tags, f.path)

        await asyncio.gather(*(one(f) for f in files))
        return probes, tags

    async def _process_chunk(
        self, resolver: ItemResolver, plan: ScanPlan, chunk: Sequence[DiskFile]
    ) -> None:
        reappeared: list[DiskFile] = []
        work: list[DiskFile] = []
        need_probe: set[str] = set()
        for f in chunk:
            key = str(f.path)
            known = plan.known.get(key)
            if known is not None and known.size == f.size and known.mtime == f.mtime:
                if known.missing:
                    reappeared.append(f)
                continue  # unchanged: skipped without probing
            work.append(f)
            if key not in plan.moves:
                need_probe.add(key)
        probes, tags = await self._inspect(resolver.kind, work, need_probe)
        now = clock.utcnow()
        async with session_scope() as session:
            for f in reappeared:
                file_id = plan.known[str(f.path)].id
                await session.execute(
                    update(MediaFile).where(MediaFile.id == file_id).values(missing_at=None)
                )
                model = _ITEM_MODELS[_KIND_ITEM[resolver.kind]]
                await session.execute(
                    update(model).where(model.file_id == file_id).values(missing_at=None)
                )
                self.progress.items_updated += 1
            for f in work:
                key = str(f.path)
                file = await self._file_row(session, resolver.library_id, plan, f, probes, now)
                result = await resolver.resolve(session, file, tags.get(key))
                if result is None:
                    continue
                if result.created:
                    self.progress.items_added += 1
                else:
                    self.progress.items_updated += 1
            self.progress.files_done += len(chunk)
            await self._save(session)
        await self._notify()

    async def _file_row(
        self,
        session: AsyncSession,
        library_id: uuid.UUID,
        plan: ScanPlan,
        f: DiskFile,
        probes: dict[str, ProbeResult],
        now: datetime,
    ) -> MediaFile:
        key = str(f.path)
        file: MediaFile | None = None
        if key in plan.moves:
            file = await session.get(MediaFile, plan.moves[key])
            if file is not None:
                file.path = key
                file.missing_at = None
                await session.flush()
                return file
        if key in plan.known:
            file = await session.get(MediaFile, plan.known[key].id)
        if file is None:
            file = MediaFile(library_id=library_id, path=key, size_bytes=f.size, mtime=f.mtime)
            session.add(file)
        probe = probes.get(key) or ProbeResult()
        file.size_bytes, file.mtime, file.missing_at = f.size, f.mtime, None
        file.container, file.mime_type = probe.container, probe.mime_type
        file.duration_ms, file.bitrate = probe.duration_ms, probe.bitrate
        file.width, file.height = probe.width, probe.height
        file.audio_codec, file.video_codec = probe.audio_codec, probe.video_codec
        await session.flush()
        return file

    async def _finish(
        self, library_id: uuid.UUID, kind: LibraryKind, scope: ScanScope, plan: ScanPlan
    ) -> None:
        now = clock.utcnow()
        item_type = _KIND_ITEM[kind]
        model = _ITEM_MODELS[item_type]
        async with session_scope() as session:
            if plan.vanished:
                await session.execute(
                    update(MediaFile)
                    .where(MediaFile.id.in_(plan.vanished), MediaFile.missing_at.is_(None))
                    .values(missing_at=now)
                )
                gone = (
                    await session.execute(
                        update(model)
                        .where(model.file_id.in_(plan.vanished), model.missing_at.is_(None))
                        .values(missing_at=now)
                        .returning(model.id)
                    )
                ).scalars()
                for item_id in list(gone):
                    self.progress.items_missing += 1
                    await events.emit(
                        session,
                        events.LibraryItemRemoved(
                            media_type=str(item_type), media_id=item_id, library_id=library_id
                        ),
                    )
            if kind == LibraryKind.tv:
                await _sync_series_presence(session, library_id, now)
            owners = await build_owner_map(session, library_id, kind, scope.root, scope.target)
            await sync_images(session, scope.top, owners, plan.images)
            self.progress.status = "done"
            await self._save(session, finished_at=now)
            library = await session.get(Library, library_id)
            # The library's "last scan" (and its schedule) counts whole-library scans only.
            if library is not None and scope.target is None:
                library.last_scan_at = now
        log.info("library.scan_done", scan=str(self.scan_id), **vars(self.progress))
        await self._notify()

    async def _fail(self, exc: Exception) -> None:
        self.progress.status = "failed"
        message = str(exc) or exc.__class__.__name__
        log.warning("library.scan_failed", scan=str(self.scan_id), error=message)
        try:
            async with session_scope() as session:
                await self._save(session, error=message[:2000], finished_at=clock.utcnow())
        except ScanError:
            pass
        await self._notify()


async def _known_files(session: AsyncSession, where: Any) -> dict[str, KnownFile]:
    rows = await session.execute(
        select(
            MediaFile.id,
            MediaFile.path,
            MediaFile.size_bytes,
            MediaFile.mtime,
            MediaFile.missing_at,
        ).where(where)
    )
    return {
        path: KnownFile(file_id, size, mtime, missing is not None)
        for file_id, path, size, mtime, missing in rows
    }


async def _gone_elsewhere(
    session: AsyncSession, outside: Any, signatures: set[tuple[int, float]]
) -> dict[str, KnownFile]:
    """Files ``outside`` the scope (in the library) with one of these sizes + mtimes whose
    path is gone from disk: the files a targeted scan's new files may be, moved."""
    if not signatures:
        return {}
    candidates = await _known_files(
        session, outside & tuple_(MediaFile.size_bytes, MediaFile.mtime).in_(sorted(signatures))
    )
    if not candidates:
        return {}
    present = await asyncio.to_thread(lambda: {p for p in candidates if os.path.exists(p)})
    return {path: known for path, known in candidates.items() if path not in present}


async def _sync_series_presence(
    session: AsyncSession, library_id: uuid.UUID, now: datetime
) -> None:
    """A series is missing when none of its episodes is present, and back when one is."""
    present = exists().where(Episode.series_id == Series.id, Episode.missing_at.is_(None))
    await session.execute(
        update(Series)
        .where(Series.library_id == library_id, Series.missing_at.is_(None), ~present)
        .values(missing_at=now)
    )
    await session.execute(
        update(Series)
        .where(Series.library_id == library_id, Series.missing_at.is_not(None), present)
        .values(missing_at=None)
    )


async def run_scan(
    scan_id: uuid.UUID, ffprobe: str = "ffprobe", on_progress: ProgressCallback | None = None
) -> ScanProgress:
    """Run a scan created with ``service.create_scan`` to the end (progress saved per chunk)."""
    return await LibraryScanner(
        scan_id, ffprobe=ffprobe, chunk_size=CHUNK_SIZE, on_progress=on_progress
    ).run()
