"""How the availability check scales with the number of open requests.

One "library.item_added" check (the real ``availability.item_added`` code: find the requests
the new movie can satisfy, confirm against the library, mark available) is timed with a large
request table, and against a baseline measured in the same run: the same check with a small
table. A ratio near 1 means the check does not slow down as requests pile up. Also timed: the
periodic sweep over every open request. Uses its own embedded PostgreSQL under bench/.work/.

    uv run python bench/content_requests.py [--requests 20000] [--baseline-requests 100] [--events 300]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from pathlib import Path

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import create_async_engine

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from revenge import worker  # noqa: E402,F401
from revenge.content_requests import availability  # noqa: E402
from revenge.content_requests.models import ContentRequest  # noqa: E402
from revenge.core.config import Settings, get_settings, set_settings  # noqa: E402
from revenge.core.db import (  # noqa: E402
    Database,
    set_database,
    start_embedded_postgres,
    to_sqlalchemy_url,
)
from revenge.core.logging import configure_logging  # noqa: E402
from revenge.core.migrate import upgrade  # noqa: E402
from revenge.library.models import Library, Movie  # noqa: E402
from revenge.users.models import User  # noqa: E402

WORK = ROOT / "bench" / ".work"


async def _seed(database: Database, requests: int, tmdb_offset: int) -> list[uuid.UUID]:
    """``requests`` pending movie requests; returns nothing-yet-in-library tmdb ids' movies."""
    async with database.transaction() as s:
        user_id = uuid.uuid4()
        await s.execute(
            insert(User).values(id=user_id, username=f"u{user_id.hex[:8]}", password_hash="x")
        )
        rows = [
            {
                "user_id": user_id,
                "media_type": "movie",
                "external_source": "tmdb",
                "external_id": str(tmdb_offset + n),
                "title": f"Film {n}",
                "status": "approved" if n % 2 else "pending",
            }
            for n in range(requests)
        ]
        for start in range(0, len(rows), 5000):
            await s.execute(insert(ContentRequest), rows[start : start + 5000])
    return [user_id]


async def _add_movies(database: Database, tmdb_ids: list[int]) -> list[uuid.UUID]:
    async with database.transaction() as s:
        library_id = uuid.uuid4()
        await s.execute(
            insert(Library).values(id=library_id, name="m", kind="movies", path=f"/{library_id}")
        )
        ids = [uuid.uuid4() for _ in tmdb_ids]
        await s.execute(
            insert(Movie),
            [
                {"id": movie_id, "library_id": library_id, "title": f"F{t}", "tmdb_id": t}
                for movie_id, t in zip(ids, tmdb_ids, strict=True)
            ],
        )
    return ids


async def _events_per_second(database: Database, movie_ids: list[uuid.UUID]) -> float:
    started = time.perf_counter()
    changed = 0
    for movie_id in movie_ids:
        async with database.transaction() as s:
            changed += await availability.item_added(s, "movie", movie_id, get_settings())
    elapsed = time.perf_counter() - started
    assert changed == len(movie_ids), (changed, len(movie_ids))
    return len(movie_ids) / elapsed


async def main(requests: int, baseline_requests: int, events: int) -> None:
    configure_logging(json=False, level="WARNING")
    WORK.mkdir(parents=True, exist_ok=True)
    server = to_sqlalchemy_url(start_embedded_postgres(WORK, "postgres"))
    name = f"bench_requests_{uuid.uuid4().hex[:6]}"
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    base, _, query = server.partition("?")
    url = base.rsplit("/", 1)[0] + "/" + name + (f"?{query}" if query else "")
    engine = create_async_engine(url)
    await upgrade(engine)
    await engine.dispose()
    set_settings(Settings(environment="test", data_dir=WORK, _env_file=None))  # type: ignore[call-arg]
    database = Database(url, pool_size=4, max_overflow=4)
    set_database(database)
    try:
        # Baseline: a small request table.
        await _seed(database, baseline_requests, 1_000_000)
        baseline_movies = await _add_movies(
            database, list(range(1_000_000, 1_000_000 + min(events, baseline_requests)))
        )
        async with database.transaction() as s:
            await s.execute(text("ANALYZE"))
        baseline = await _events_per_second(database, baseline_movies)
        # The same check with a large request table.
        await _seed(database, requests, 2_000_000)
        movies = await _add_movies(database, list(range(2_000_000, 2_000_000 + events)))
        async with database.transaction() as s:
            await s.execute(text("ANALYZE"))
        large = await _events_per_second(database, movies)
        started = time.perf_counter()
        async with database.transaction() as s:
            await availability.sweep(s, get_settings())
        sweep_seconds = time.perf_counter() - started
        open_requests = requests + baseline_requests - events - len(baseline_movies)
        print(
            f"item_added checks, {baseline_requests:>6} requests (baseline): {baseline:8.1f} events/s"
        )
        print(f"item_added checks, {requests:>6} requests:            {large:8.1f} events/s")
        print(
            f"ratio large/baseline: {large / baseline:.2f} (1.00 = does not slow down with table size)"
        )
        print(
            f"periodic sweep over {open_requests + events + len(baseline_movies)} requests: "
            f"{sweep_seconds:.2f} s ({(open_requests + events) / sweep_seconds:.0f} requests/s)"
        )
    finally:
        await database.dispose()
        set_database(None)
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--baseline-requests", type=int, default=100)
    parser.add_argument("--events", type=int, default=300)
    args = parser.parse_args()
    asyncio.run(main(args.requests, args.baseline_requests, args.events))
