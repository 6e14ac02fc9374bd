"""Library scan cost: a full scan, an unchanged rescan and a rescan after renames, against
the floor of running ffprobe over the same files with the same concurrency.

    uv run python bench/library_scan.py [--files 100]

Uses REVENGE_DATABASE_URL when set, else an embedded PostgreSQL under bench/.work (a fresh
database per run). The files are tagged 1 s FLACs made with ffmpeg + mutagen, in
Artist/Album/NN - Title.flac folders, each with its own mtime. Prints seconds and files/s per
case and the ratios: full scan / bare ffprobe (scanner overhead), rescan / full scan
(what incrementality saves).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.ext.asyncio import create_async_engine  # noqa: E402

from revenge.core.db import (  # noqa: E402
    Database,
    session_scope,
    set_database,
    start_embedded_postgres,
    to_sqlalchemy_url,
)
from revenge.core.media import LibraryKind  # noqa: E402
from revenge.core.migrate import upgrade  # noqa: E402
from revenge.library import service  # noqa: E402
from revenge.library.probe import probe_file  # noqa: E402
from revenge.library.scanner import PROBE_CONCURRENCY, run_scan  # noqa: E402
from revenge.library.schemas import LibraryCreate  # noqa: E402


def make_tree(root: Path, count: int) -> list[Path]:
    import mutagen

    template = root.parent / "template.flac"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=duration=1", str(template)],
        check=True,
    )
    paths: list[Path] = []
    clock = 1_700_000_000.0
    for n in range(count):
        artist, album = f"Artist {n // 100:02d}", f"Album {n // 10:03d} ({1980 + n % 40})"
        path = root / artist / album / f"{n % 10 + 1:02d} - Song {n}.flac"
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(template, path)
        audio = mutagen.File(path, easy=True)
        audio["title"], audio["artist"], audio["album"] = f"Song {n}", artist, album[:-7]
        audio["tracknumber"] = str(n % 10 + 1)
        audio.save()
        clock += 7.5
        os.utime(path, (clock, clock))
        paths.append(path)
    return paths


async def bare_probe(paths: list[Path]) -> float:
    limit = asyncio.Semaphore(PROBE_CONCURRENCY)

    async def one(path: Path) -> None:
        async with limit:
            await probe_file(path)

    started = time.perf_counter()
    await asyncio.gather(*(one(p) for p in paths))
    return time.perf_counter() - started


async def timed_scan(library_id: uuid.UUID) -> tuple[float, dict[str, int]]:
    async with session_scope() as session:
        scan, _ = await service.create_scan(session, library_id)
    started = time.perf_counter()
    progress = await run_scan(scan.id)
    return time.perf_counter() - started, {
        "added": progress.items_added,
        "updated": progress.items_updated,
        "missing": progress.items_missing,
    }


async def main(count: int) -> None:
    server = os.environ.get("REVENGE_DATABASE_URL") or start_embedded_postgres(
        ROOT / "bench" / ".work", "postgres"
    )
    server = to_sqlalchemy_url(server)
    name = f"bench_library_{uuid.uuid4().hex[:6]}"
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    base, _, query = server.partition("?")
    url = base.rsplit("/", 1)[0] + "/" + name + (f"?{query}" if query else "")
    database = Database(url)
    try:
        await upgrade(database.engine)
        set_database(database)
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp) / "music"
            root.mkdir()
            paths = make_tree(root, count)
            floor = await bare_probe(paths)
            async with session_scope() as session:
                library = await service.create_library(
                    session, LibraryCreate(name="bench", kind=LibraryKind.music, path=str(root))
                )
            full, full_counts = await timed_scan(library.id)
            rescan, rescan_counts = await timed_scan(library.id)
            renamed = paths[:: max(1, count // 10)]
            for path in renamed:
                path.rename(path.with_name("renamed " + path.name))
            moved, moved_counts = await timed_scan(library.id)

        print(f"files: {count} tagged FLACs, probe concurrency {PROBE_CONCURRENCY}")
        print(f"bare ffprobe (baseline)  {floor:7.2f} s  {count / floor:7.1f} files/s")
        print(f"full scan                {full:7.2f} s  {count / full:7.1f} files/s  {full_counts}")
        print(
            f"unchanged rescan         {rescan:7.2f} s  {count / rescan:7.1f} files/s  {rescan_counts}"
        )
        print(
            f"rescan, {len(renamed):3d} renamed      {moved:7.2f} s  {count / moved:7.1f} files/s  {moved_counts}"
        )
        print(f"ratio full scan / bare ffprobe:   {full / floor:.2f}")
        print(f"ratio unchanged rescan / full:    {rescan / full:.3f}")
        print(f"ratio rename rescan / full:       {moved / full:.3f}")
    finally:
        set_database(None)
        await database.dispose()
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100)
    asyncio.run(main(parser.parse_args().files))
