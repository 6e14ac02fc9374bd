"""Arrivals: a targeted scan of one new movie folder against a full unchanged rescan of a large
library, both measured in the same run, and "arrival → available": a requested movie's folder
arrives, a targeted scan is asked for (as a downloader's webhook or the folder watcher does),
and the request shows available.

    uv run python bench/arrivals.py [--files 100000] [--arrivals 5]

The library is a movie library of ``--files`` one-file folders ("Film N (year)/Film N
(year).mkv", 16 bytes each: an unchanged rescan never opens them) whose rows are inserted
directly (a first real scan of 100,000 files would probe every one). The measured full rescan
is the real scanner over the whole tree; each targeted scan is the real scanner over one new
folder holding a real 1 s mkv (ffprobe runs on it). Arrival → available runs the real job
worker (procrastinate, LISTEN/NOTIFY) in this process: scan job, ``library.item_added``,
the content request's availability check. Goals: targeted ≥ 100× faster than the full rescan,
arrival → available < 2 s. Uses REVENGE_DATABASE_URL when set, else an embedded PostgreSQL
under bench/.work (a fresh database per run).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from psycopg_pool import AsyncConnectionPool  # noqa: E402
from sqlalchemy import insert, select, text, update  # noqa: E402
from sqlalchemy.ext.asyncio import create_async_engine  # noqa: E402

from revenge import worker  # noqa: E402,F401  (registers every job and event subscriber)
from revenge.content_requests.models import ContentRequest  # noqa: E402
from revenge.core import clock  # noqa: E402
from revenge.core.config import Settings, set_settings  # noqa: E402
from revenge.core.db import (  # noqa: E402
    Database,
    session_scope,
    set_database,
    start_embedded_postgres,
    to_libpq_url,
    to_sqlalchemy_url,
)
from revenge.core.jobs import job_app  # noqa: E402
from revenge.core.logging import configure_logging  # noqa: E402
from revenge.core.media import LibraryKind  # noqa: E402
from revenge.core.migrate import upgrade  # noqa: E402
from revenge.library import service  # noqa: E402
from revenge.library.models import Library, LibraryScan, MediaFile, Movie  # noqa: E402
from revenge.library.scanner import run_scan  # noqa: E402
from revenge.library.schemas import LibraryCreate  # noqa: E402
from revenge.users.models import User  # noqa: E402

WORK = ROOT / "bench" / ".work"
ARRIVAL_TMDB = 9_000_000  # the arrivals' TMDB ids (no seeded film has one this high)


def make_tree(root: Path, count: int) -> list[tuple[str, int, float, int, int]]:
    """``count`` movie folders; returns (path, size, mtime, film number, year) per file."""
    files = []
    payload = b"not really a film"
    for n in range(count):
        year = 1950 + n % 70
        folder = root / f"Film {n} ({year})"
        folder.mkdir()
        path = folder / f"Film {n} ({year}).mkv"
        with open(path, "wb") as out:
            out.write(payload)
        stat = path.stat()
        files.append((str(path), stat.st_size, stat.st_mtime, n, year))
    return files


async def seed(database: Database, library_id: uuid.UUID, files: list) -> None:
    """What a first full scan would have left: a file row and a movie per file, and the scan."""
    async with database.transaction() as s:
        for start in range(0, len(files), 5000):
            batch = files[start : start + 5000]
            file_ids = [uuid.uuid4() for _ in batch]
            await s.execute(
                insert(MediaFile),
                [
                    {
                        "id": file_id,
                        "library_id": library_id,
                        "path": path,
                        "size_bytes": size,
                        "mtime": mtime,
                        "container": "mkv",
                        "mime_type": "video/x-matroska",
                    }
                    for file_id, (path, size, mtime, _, _) in zip(file_ids, batch, strict=True)
                ],
            )
            await s.execute(
                insert(Movie),
                [
                    {
                        "library_id": library_id,
                        "title": f"Film {n}",
                        "year": year,
                        "tmdb_id": 100_000 + n,
                        "file_id": file_id,
                    }
                    for file_id, (_, _, _, n, year) in zip(file_ids, batch, strict=True)
                ],
            )
        now = clock.utcnow()
        s.add(
            LibraryScan(
                library_id=library_id,
                status="done",
                files_total=len(files),
                files_done=len(files),
                items_added=len(files),
                started_at=now,
                finished_at=now,
            )
        )
        await s.execute(update(Library).where(Library.id == library_id).values(last_scan_at=now))
    async with database.engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM ANALYZE"))


def arrive(root: Path, template: Path, number: int) -> Path:
    """A downloaded film's folder, as Radarr imports it."""
    folder = root / f"Arrival {number} (2024) [tmdbid-{ARRIVAL_TMDB + number}]"
    folder.mkdir()
    shutil.copyfile(template, folder / f"Arrival {number} (2024).mkv")
    return folder


async def full_rescan(library_id: uuid.UUID) -> tuple[float, dict[str, int]]:
    async with session_scope() as session:
        scan = await service.request_scan(session, library_id)
    started = time.perf_counter()
    progress = await run_scan(scan.id)
    return time.perf_counter() - started, {
        "files": progress.files_total,
        "added": progress.items_added,
        "updated": progress.items_updated,
        "missing": progress.items_missing,
    }


async def targeted_scan(folder: Path) -> tuple[float, int]:
    """From asking for the scan to its end (its job would run it; here it runs inline)."""
    started = time.perf_counter()
    async with session_scope() as session:
        [scan] = await service.request_targeted_scan(session, [str(folder)])
    progress = await run_scan(scan.id)
    return time.perf_counter() - started, progress.items_added


async def worker_idle(database: Database, timeout: float = 300.0) -> None:
    """Wait until no job is due or running (the arrivals before this one: their scans,
    fingerprints and notices), so each arrival meets an idle server, as a download does."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        async with database.transaction() as s:
            busy = await s.scalar(
                text(
                    "SELECT count(*) FROM procrastinate_jobs WHERE status = 'doing' "
                    "OR (status = 'todo' AND (scheduled_at IS NULL OR scheduled_at <= now()))"
                )
            )
        if not busy:
            return
        await asyncio.sleep(0.1)
    raise RuntimeError("the worker did not become idle")


async def arrival_to_available(
    database: Database, root: Path, template: Path, number: int
) -> float:
    """A request for the film exists; its folder arrives; the downloader's webhook (here: the
    same call) asks for a targeted scan; the worker's jobs make the request available."""
    async with database.transaction() as s:
        user_id = uuid.uuid4()
        await s.execute(
            insert(User).values(id=user_id, username=f"u{user_id.hex[:8]}", password_hash="x")
        )
        request_id = uuid.uuid4()
        await s.execute(
            insert(ContentRequest).values(
                id=request_id,
                user_id=user_id,
                media_type="movie",
                external_source="tmdb",
                external_id=str(ARRIVAL_TMDB + number),
                title=f"Arrival {number}",
                status="approved",
            )
        )
    folder = arrive(root, template, number)
    started = time.perf_counter()
    async with session_scope() as session:
        await service.request_targeted_scan(session, [str(folder)])
    while True:
        async with database.transaction() as s:
            status = await s.scalar(
                select(ContentRequest.status).where(ContentRequest.id == request_id)
            )
        if status == "available":
            return time.perf_counter() - started
        if time.perf_counter() - started > 60:
            raise RuntimeError(f"request still {status} after 60 s")
        await asyncio.sleep(0.005)


async def main(count: int, arrivals: int) -> None:
    configure_logging(json=False, level="WARNING")
    WORK.mkdir(parents=True, exist_ok=True)
    server = to_sqlalchemy_url(
        os.environ.get("REVENGE_DATABASE_URL") or start_embedded_postgres(WORK, "postgres")
    )
    name = f"bench_arrivals_{uuid.uuid4().hex[:6]}"
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    base, _, query = server.partition("?")
    url = base.rsplit("/", 1)[0] + "/" + name + (f"?{query}" if query else "")
    set_settings(Settings(environment="test", data_dir=WORK, _env_file=None))  # type: ignore[call-arg]
    database = Database(url, pool_size=8, max_overflow=8)
    set_database(database)
    pool: AsyncConnectionPool | None = None
    worker_task: asyncio.Task[None] | None = None
    try:
        await upgrade(database.engine)
        with tempfile.TemporaryDirectory(prefix="revenge-arrivals-") as tmp:
            template = Path(tmp) / "template.mkv"
            subprocess.run(
                [
                    "ffmpeg", "-v", "error", "-y",
                    "-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=1",
                    "-f", "lavfi", "-i", "sine=frequency=440:duration=1",
                    "-c:v", "mpeg4", "-c:a", "aac", "-shortest", str(template),
                ],
                check=True,
            )  # fmt: skip
            root = Path(tmp) / "movies"
            root.mkdir()
            started = time.perf_counter()
            files = make_tree(root, count)
            built = time.perf_counter() - started
            async with session_scope() as session:
                library = await service.create_library(
                    session, LibraryCreate(name="bench", kind=LibraryKind.movies, path=str(root))
                )
                library_id = library.id
            started = time.perf_counter()
            await seed(database, library_id, files)
            seeded = time.perf_counter() - started
            print(
                f"library: {count} movie folders, built in {built:.1f} s, seeded in {seeded:.1f} s"
            )

            full, full_counts = await full_rescan(library_id)
            assert full_counts == {"files": count, "added": 0, "updated": 0, "missing": 0}, (
                full_counts
            )
            targeted: list[float] = []
            for number in range(arrivals):
                seconds, added = await targeted_scan(arrive(root, template, number))
                assert added == 1, added
                targeted.append(seconds)

            pool = AsyncConnectionPool(to_libpq_url(url), min_size=1, max_size=8, open=False)
            await pool.open()
            await job_app.open_async(pool)
            worker_task = asyncio.create_task(
                job_app.run_worker_async(concurrency=4, install_signal_handlers=False)
            )
            available = []
            for n in range(arrivals):
                await worker_idle(database)
                available.append(await arrival_to_available(database, root, template, arrivals + n))

        targeted_median = statistics.median(targeted)
        ratio = full / targeted_median
        print(f"full unchanged rescan (baseline) {full:8.3f} s   {count / full:8.0f} files/s")
        print(
            f"targeted scan, one new folder    {targeted_median:8.3f} s   median of {arrivals} "
            f"(min {min(targeted):.3f}, max {max(targeted):.3f})"
        )
        print(
            f"arrival -> available             {statistics.median(available):8.3f} s   median of "
            f"{arrivals} (min {min(available):.3f}, max {max(available):.3f}; goal < 2 s)"
        )
        print(f"ratio full rescan / targeted scan: {ratio:.0f}x (goal >= 100x)")
    finally:
        if worker_task is not None:
            worker_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker_task
            await job_app.close_async()
        if pool is not None:
            await pool.close()
        set_database(None)
        await database.dispose()
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--arrivals", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main(args.files, args.arrivals))
