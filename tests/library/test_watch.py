"""Folder watching: which folders changes stand for, the quiet period before a scan is asked
for, and the watcher that follows the libraries' watch flags (real inotify, real database)."""

from __future__ import annotations

import asyncio
import os
import shutil
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select, text, update
from watchfiles import Change

from revenge.core.db import session_scope
from revenge.library import service
from revenge.library.models import Library, LibraryScan
from revenge.library.schemas import LibraryCreate
from revenge.library.watcher import FolderWatch, FolderWatcher, scan_targets

QUIET = 0.4
WAIT = 15.0  # the most any wait below may take (inotify events arrive within milliseconds)


async def until(predicate, timeout=WAIT, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def test_changes_stand_for_the_folders_to_scan(tmp_path):
    root = tmp_path / "movies"
    up = root / "Up (2009)"
    up.mkdir(parents=True)
    (up / "Up.mkv").write_bytes(b"x")
    (up / "poster.jpg").write_bytes(b"x")
    (root / "Alien.mkv").write_bytes(b"x")
    heat = root / "Heat (1995)"
    (heat / "extras").mkdir(parents=True)

    assert scan_targets(root, [(Change.added, up), (Change.added, up / "Up.mkv")]) == [up]
    assert scan_targets(root, [(Change.modified, up / "poster.jpg")]) == [up]
    # A loose file in the library's folder is scanned alone, not the whole library.
    assert scan_targets(root, [(Change.added, root / "Alien.mkv")]) == [root / "Alien.mkv"]
    # Gone: the nearest folder still there, or the path itself when that is the library.
    assert scan_targets(root, [(Change.deleted, heat / "Heat.mkv")]) == [heat]
    assert scan_targets(root, [(Change.deleted, heat / "extras" / "a" / "b.mkv")]) == [
        heat / "extras"
    ]
    gone = root / "Jaws (1975)"
    assert scan_targets(root, [(Change.deleted, gone), (Change.deleted, gone / "Jaws.mkv")]) == [
        gone
    ]
    # A folder's own metadata, the library's folder and paths outside it: nothing to scan.
    assert scan_targets(root, [(Change.modified, up), (Change.modified, root)]) == []
    assert scan_targets(root, [(Change.added, tmp_path / "elsewhere.mkv")]) == []
    assert scan_targets(root, [(Change.added, Path(str(root) + "-old") / "x.mkv")]) == []
    # Nested targets fold into the outer one; too many: the library.
    assert scan_targets(root, [(Change.added, heat), (Change.deleted, heat / "extras" / "x")]) == [
        heat
    ]
    many = [(Change.deleted, root / f"Film {n}") for n in range(5)]
    assert scan_targets(root, many, max_targets=4) == [root]


async def collecting_watch(root: Path, quiet: float = QUIET):
    requests: list[tuple[float, list[str]]] = []

    async def request(paths: list[str]) -> None:
        requests.append((time.monotonic(), paths))

    watch = FolderWatch(uuid.uuid4(), root, request, quiet_seconds=quiet)
    task = asyncio.create_task(watch.run())
    await asyncio.wait_for(watch.ready.wait(), WAIT)
    return watch, task, requests


async def stop(task: asyncio.Task) -> None:
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_a_new_folder_is_asked_for_once_after_the_quiet_period(tmp_path):
    root = tmp_path / "movies"
    root.mkdir()
    _, task, requests = await collecting_watch(root)
    try:
        folder = root / "Up (2009)"
        folder.mkdir()
        last_write = 0.0
        for _ in range(4):  # a copy in progress: the file keeps changing
            with open(folder / "Up.mkv", "ab") as out:
                out.write(b"x" * 1024)
            last_write = time.monotonic()
            await asyncio.sleep(QUIET / 4)
        await until(lambda: requests, what="a scan request")
        await asyncio.sleep(QUIET * 2)  # nothing more comes
        assert [paths for _, paths in requests] == [[str(folder)]]
        assert requests[0][0] - last_write >= QUIET
    finally:
        await stop(task)


async def test_a_move_between_folders_asks_for_the_new_folder_first(tmp_path):
    root = tmp_path / "movies"
    old, new = root / "Heat (1995)", root / "Heat (1995) [tmdbid-949]"
    old.mkdir(parents=True)
    (old / "Heat.mkv").write_bytes(b"x")
    (old / "keep.nfo").write_bytes(b"x")
    new.mkdir()
    _, task, requests = await collecting_watch(root)
    try:
        shutil.move(old / "Heat.mkv", new / "Heat.mkv")
        await until(lambda: len(requests) >= 2, what="two scan requests")
        assert [paths for _, paths in requests] == [[str(new)], [str(old)]]
    finally:
        await stop(task)


async def test_a_watch_on_a_missing_folder_ends_with_a_log_not_an_error(tmp_path):
    watch = FolderWatch(uuid.uuid4(), tmp_path / "not-there", lambda paths: asyncio.sleep(0))
    await asyncio.wait_for(watch.run(), WAIT)  # returns: logged, the watcher retries later
    assert not watch.ready.is_set()


async def test_a_failing_request_is_tried_again_after_the_next_quiet_period(tmp_path):
    root = tmp_path / "movies"
    root.mkdir()
    calls: list[list[str]] = []

    async def flaky(paths: list[str]) -> None:
        calls.append(paths)
        if len(calls) == 1:
            raise ConnectionError("database restarting")

    watch = FolderWatch(uuid.uuid4(), root, flaky, quiet_seconds=QUIET)
    task = asyncio.create_task(watch.run())
    try:
        await asyncio.wait_for(watch.ready.wait(), WAIT)
        (root / "Up (2009)").mkdir()
        await until(lambda: len(calls) >= 2, what="a second try")
        assert calls == [[str(root / "Up (2009)")]] * 2
    finally:
        await stop(task)


# --- the watcher, against the database (committed: it runs beside the test) -----------------


async def make_library(folder: Path, watch: bool) -> uuid.UUID:
    async with session_scope() as session:
        library = await service.create_library(
            session,
            LibraryCreate(name=f"Watched {uuid.uuid4().hex[:6]}", kind="movies", path=str(folder)),
        )
        library.watch = watch
        return library.id


async def queued_targets() -> list[tuple[uuid.UUID, str | None]]:
    async with session_scope() as session:
        rows = await session.execute(
            select(LibraryScan.library_id, LibraryScan.target_path)
            .where(LibraryScan.status == "queued")
            .order_by(LibraryScan.target_path)
        )
        return [(library_id, target) for library_id, target in rows]


async def scan_jobs() -> int:
    async with session_scope() as session:
        return int(
            await session.scalar(
                text("SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'library.scan'")
            )
        )


async def test_the_watcher_follows_the_libraries_and_queues_targeted_scans(
    committed_db, tmp_path, media
):
    watched_root, plain_root, gone_root = (tmp_path / n for n in ("watched", "plain", "gone"))
    for folder in (watched_root, plain_root, gone_root):
        folder.mkdir()
    watched = await make_library(watched_root, watch=True)
    await make_library(plain_root, watch=False)
    await make_library(gone_root, watch=True)
    os.rmdir(gone_root)  # a watched folder that vanished (an unmounted disk)

    watcher = FolderWatcher(quiet_seconds=QUIET, refresh_seconds=0.2)
    task = asyncio.create_task(watcher.run())
    try:
        watch = await until(lambda: watcher.watch_of(watched), what="the watch to start")
        await asyncio.wait_for(watch.ready.wait(), WAIT)
        arrived = watched_root / "Up (2009)"
        arrived.mkdir()
        shutil.copyfile(media.mkv, arrived / "Up.mkv")
        (plain_root / "Jaws (1975)").mkdir()  # not watched: no scan

        await until(queued_targets, what="a queued targeted scan")
        assert await queued_targets() == [(watched, str(arrived))]
        assert await scan_jobs() == 1

        # Switched off: the watch stops at the next refresh, and changes go unnoticed.
        async with session_scope() as session:
            await session.execute(update(Library).where(Library.id == watched).values(watch=False))
        await until(lambda: watcher.watch_of(watched) is None, what="the watch to stop")
        (watched_root / "Heat (1995)").mkdir()
        await asyncio.sleep(QUIET * 3)
        assert await queued_targets() == [(watched, str(arrived))]
        assert not task.done()  # the missing folder never stopped the watcher
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert watcher.watch_of(watched) is None


async def test_a_watch_restarts_when_its_folder_comes_back(committed_db, tmp_path):
    root = tmp_path / "disk"
    root.mkdir()
    library_id = await make_library(root, watch=True)
    watcher = FolderWatcher(quiet_seconds=QUIET, refresh_seconds=3600)
    try:
        await watcher.refresh()
        first = watcher.watch_of(library_id)
        assert first is not None
        await asyncio.wait_for(first.ready.wait(), WAIT)
        # Unmounted and mounted again: another folder at the same path.
        os.rename(root, tmp_path / "disk-old")
        root.mkdir()
        await watcher.refresh()
        second = watcher.watch_of(library_id)
        assert second is not None and second is not first
        await asyncio.wait_for(second.ready.wait(), WAIT)
        (root / "Up (2009)").mkdir()
        await until(queued_targets, what="a scan from the new watch")
        assert await queued_targets() == [(library_id, str(root / "Up (2009)"))]
    finally:
        await watcher.stop()
