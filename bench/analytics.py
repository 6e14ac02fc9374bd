"""Analytics at scale: N plays (default 10 M; 10,000 users, 200,000 items, one year) loaded
with COPY into an embedded PostgreSQL under bench/.work, then

  (a) the full rebuild of every rollup from the raw sessions,
  (b) p50/p95 latency of each analytics endpoint's service call over --calls calls,
  (c) the same questions answered by plain SQL over the raw play table (the way Tautulli and
      Jellystat answer them), measured in the same run, and the ratio.

usage: uv run python bench/analytics.py [--plays N] [--users U] [--items I] [--calls C]
                                        [--raw-calls R] [--reuse]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from revenge.analytics import service
from revenge.analytics.schemas import Interval, RankMetric, ReportPeriod, Window
from revenge.core.db import Database, start_embedded_postgres, to_libpq_url, to_sqlalchemy_url
from revenge.core.deps import Principal
from revenge.core.migrate import upgrade

WORK = Path(__file__).resolve().parent / ".work"
DATABASE = "analytics_bench"
GENRES = [
    "Action",
    "Comedy",
    "Drama",
    "Horror",
    "Thriller",
    "Romance",
    "Science Fiction",
    "Documentary",
    "Animation",
    "Crime",
    "Pop",
    "Rock",
]
TIMEZONES = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Europe/London",
    "America/Sao_Paulo",
]
CLIENTS = [
    ("Web", "Firefox"),
    ("Web", "Chrome"),
    ("Android", "Pixel 8"),
    ("iOS", "iPhone 15"),
    ("Kodi", "Living room"),
    ("Roku", "Bedroom"),
    ("Android TV", "Shield"),
]

LIBRARY_SQL = """
INSERT INTO public.libraries (id, name, kind, path) VALUES
  ('00000000-0000-0000-0000-000000000001', 'Movies', 'movies', '/bench/movies'),
  ('00000000-0000-0000-0000-000000000002', 'TV', 'tv', '/bench/tv'),
  ('00000000-0000-0000-0000-000000000003', 'Music', 'music', '/bench/music');
CREATE UNLOGGED TABLE bench_series AS SELECT g AS idx, gen_random_uuid() AS id, gen_random_uuid() AS season_id FROM generate_series(1, {series}) g;
CREATE UNLOGGED TABLE bench_artists AS SELECT g AS idx, gen_random_uuid() AS id FROM generate_series(1, {artists}) g;
CREATE UNLOGGED TABLE bench_albums AS SELECT g AS idx, gen_random_uuid() AS id, 1 + g % {artists} AS artist_idx FROM generate_series(1, {albums}) g;
INSERT INTO public.series (id, library_id, title, genres)
  SELECT id, '00000000-0000-0000-0000-000000000002', 'Series ' || idx,
         ARRAY[(:genres)[1 + idx % 12], (:genres)[1 + (idx * 5) % 12]] FROM bench_series;
INSERT INTO public.seasons (id, series_id, season_number) SELECT season_id, id, 1 FROM bench_series;
INSERT INTO public.artists (id, library_id, name)
  SELECT id, '00000000-0000-0000-0000-000000000003', 'Artist ' || idx FROM bench_artists;
INSERT INTO public.albums (id, artist_id, title, genres)
  SELECT b.id, a.id, 'Album ' || b.idx, ARRAY[(:genres)[1 + b.idx % 12]]
  FROM bench_albums b JOIN bench_artists a ON a.idx = b.artist_idx;
CREATE UNLOGGED TABLE bench_items (idx int, media_type text, media_id uuid, duration_ms bigint);
INSERT INTO bench_items SELECT g, 'movie', gen_random_uuid(), 5400000 + (g % 60) * 60000 FROM generate_series(1, {movies}) g;
INSERT INTO bench_items SELECT {movies} + g, 'episode', gen_random_uuid(), 1800000 + (g % 30) * 60000 FROM generate_series(1, {episodes}) g;
INSERT INTO bench_items SELECT {movies} + {episodes} + g, 'track', gen_random_uuid(), 150000 + (g % 200) * 1000 FROM generate_series(1, {tracks}) g;
-- Popularity rank: shuffle so that every media type has hits.
CREATE UNLOGGED TABLE bench_rank AS SELECT row_number() OVER (ORDER BY random()) - 1 AS rank, media_id FROM bench_items;
INSERT INTO public.movies (id, library_id, title, genres, duration_ms)
  SELECT media_id, '00000000-0000-0000-0000-000000000001', 'Movie ' || idx,
         ARRAY[(:genres)[1 + idx % 12], (:genres)[1 + (idx * 7) % 12]], duration_ms
  FROM bench_items WHERE media_type = 'movie';
INSERT INTO public.episodes (id, series_id, season_id, season_number, episode_number, duration_ms)
  SELECT i.media_id, s.id, s.season_id, 1, i.idx, i.duration_ms
  FROM bench_items i JOIN bench_series s ON s.idx = 1 + i.idx % {series} WHERE i.media_type = 'episode';
INSERT INTO public.tracks (id, album_id, artist_id, title, duration_ms)
  SELECT i.media_id, b.id, a.id, 'Track ' || i.idx, i.duration_ms
  FROM bench_items i JOIN bench_albums b ON b.idx = 1 + i.idx % {albums}
  JOIN bench_artists a ON a.idx = b.artist_idx WHERE i.media_type = 'track';
ALTER TABLE bench_items ADD COLUMN rank bigint;
UPDATE bench_items i SET rank = r.rank FROM bench_rank r WHERE r.media_id = i.media_id;
CREATE UNIQUE INDEX ON bench_items (rank);
CREATE UNLOGGED TABLE bench_users (idx int PRIMARY KEY, id uuid);
CREATE UNLOGGED TABLE bench_clients (idx int PRIMARY KEY, client text, device text);
CREATE UNLOGGED TABLE bench_plays (user_idx int, item_rank int, start_s int, share_pct int,
                                   pause_s int, client_idx int);
"""

SESSIONS_SQL = """
INSERT INTO shared.play_sessions (user_id, media_type, media_id, state, client, device,
    started_at, last_event_at, position_ms, played_ms, item_duration_ms, ended_at, counted)
SELECT u.id, i.media_type, i.media_id, 'stopped', c.client, c.device, t.started,
       t.started + make_interval(secs => t.played / 1000.0 + p.pause_s),
       t.played, t.played, i.duration_ms,
       t.started + make_interval(secs => t.played / 1000.0 + p.pause_s),
       CASE WHEN i.media_type = 'track'
            THEN i.duration_ms > 30000 AND (t.played >= 240000 OR t.played >= i.duration_ms * 0.5)
            ELSE t.played >= 600000 OR t.played >= i.duration_ms * 0.5 END
FROM bench_plays p
JOIN bench_users u ON u.idx = p.user_idx
JOIN bench_items i ON i.rank = p.item_rank
JOIN bench_clients c ON c.idx = p.client_idx
CROSS JOIN LATERAL (SELECT :t0 + make_interval(secs => p.start_s) AS started,
                           least(i.duration_ms, i.duration_ms * p.share_pct / 100) AS played) t
"""

# The same questions over the raw sessions, as a stats tool without rollups asks them.
RAW_SQL: dict[str, list[str]] = {
    "users/me/stats": [
        """SELECT period, count(*) FILTER (WHERE media_type='movie'), count(*) FILTER (WHERE media_type='episode'),
                  count(*) FILTER (WHERE media_type='track'), sum(played_ms)
           FROM (SELECT s.*, (s.started_at AT TIME ZONE u.timezone)::date AS d FROM shared.play_sessions s
                 JOIN shared.users u ON u.id = s.user_id WHERE s.user_id = :user AND s.counted) x,
                LATERAL (VALUES ('day', d = :today), ('week', date_trunc('week', d) = date_trunc('week', CAST(:today AS date))),
                                ('month', date_trunc('month', d) = date_trunc('month', CAST(:today AS date))),
                                ('year', date_trunc('year', d) = date_trunc('year', CAST(:today AS date))), ('all', true)) p(period, hit)
           WHERE hit GROUP BY period""",
        # Genres of the movies, series and albums played (as the rollup counts them).
        """SELECT g, count(*) FROM (
             SELECT m.genres FROM shared.play_sessions s JOIN public.movies m ON m.id = s.media_id
              WHERE s.user_id = :user AND s.counted AND s.media_type = 'movie'
             UNION ALL
             SELECT se.genres FROM shared.play_sessions s JOIN public.episodes e ON e.id = s.media_id
               JOIN public.series se ON se.id = e.series_id
              WHERE s.user_id = :user AND s.counted AND s.media_type = 'episode'
             UNION ALL
             SELECT a.genres FROM shared.play_sessions s JOIN public.tracks t ON t.id = s.media_id
               JOIN public.albums a ON a.id = t.album_id
              WHERE s.user_id = :user AND s.counted AND s.media_type = 'track') x,
           unnest(x.genres) g GROUP BY g ORDER BY 2 DESC LIMIT 10""",
        """SELECT a.name, count(*) FROM shared.play_sessions s JOIN public.tracks t ON t.id = s.media_id
           JOIN public.artists a ON a.id = t.artist_id WHERE s.user_id = :user AND s.counted
           GROUP BY a.name ORDER BY 2 DESC LIMIT 10""",
        """SELECT se.title, count(*) FROM shared.play_sessions s JOIN public.episodes e ON e.id = s.media_id
           JOIN public.series se ON se.id = e.series_id WHERE s.user_id = :user AND s.counted
           GROUP BY se.title ORDER BY 2 DESC LIMIT 10""",
        """SELECT DISTINCT (s.started_at AT TIME ZONE u.timezone)::date FROM shared.play_sessions s
           JOIN shared.users u ON u.id = s.user_id WHERE s.user_id = :user AND s.counted ORDER BY 1 DESC""",
    ],
    "users/me/stats/history": [
        """SELECT (s.started_at AT TIME ZONE u.timezone)::date, count(*), sum(played_ms)
           FROM shared.play_sessions s JOIN shared.users u ON u.id = s.user_id
           WHERE s.user_id = :user AND s.counted AND s.started_at >= :since GROUP BY 1 ORDER BY 1""",
    ],
    "admin/analytics/overview": [
        """SELECT media_type, count(*), sum(played_ms), count(DISTINCT user_id) FROM shared.play_sessions
           WHERE counted AND started_at >= :since GROUP BY 1""",
        """SELECT extract(hour FROM s.started_at AT TIME ZONE u.timezone), extract(isodow FROM s.started_at AT TIME ZONE u.timezone), count(*)
           FROM shared.play_sessions s JOIN shared.users u ON u.id = s.user_id
           WHERE s.counted AND s.started_at >= :since GROUP BY 1, 2""",
        """SELECT client, device, count(*), sum(played_ms) FROM shared.play_sessions
           WHERE counted AND started_at >= :since GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 20""",
        "SELECT (SELECT count(*) FROM public.movies), (SELECT count(*) FROM public.episodes), (SELECT count(*) FROM public.tracks)",
    ],
    "admin/analytics/popular": [
        """SELECT media_type, media_id, count(DISTINCT user_id) AS users, count(*) FROM shared.play_sessions
           WHERE counted AND started_at >= :since GROUP BY 1, 2 ORDER BY 3 DESC, 4 DESC LIMIT 20""",
        """SELECT media_type, media_id, count(*) FILTER (WHERE started_at >= :since) AS r,
                  count(*) FILTER (WHERE started_at < :since) AS p FROM shared.play_sessions
           WHERE counted AND started_at >= :since - interval '30 days' GROUP BY 1, 2
           HAVING count(*) FILTER (WHERE started_at >= :since) > count(*) FILTER (WHERE started_at < :since)
           ORDER BY (count(*) FILTER (WHERE started_at >= :since) - count(*) FILTER (WHERE started_at < :since))
                    / sqrt(count(*) FILTER (WHERE started_at < :since) + 1.0) DESC LIMIT 20""",
    ],
    "admin/analytics/users": [
        """SELECT u.id, u.username, count(s.id), coalesce(sum(s.played_ms), 0), max(s.started_at)
           FROM shared.users u LEFT JOIN shared.play_sessions s ON s.user_id = u.id AND s.counted
           GROUP BY u.id, u.username ORDER BY 3 DESC LIMIT 50""",
    ],
    "admin/analytics/media": [
        """SELECT count(*), count(DISTINCT user_id), sum(played_ms),
                  count(*) FILTER (WHERE played_ms >= item_duration_ms * 0.9) FROM shared.play_sessions
           WHERE media_type = :media_type AND media_id = :media AND counted""",
        """SELECT started_at::date, count(*) FROM shared.play_sessions WHERE media_type = :media_type
           AND media_id = :media AND counted AND started_at >= :since GROUP BY 1""",
    ],
    "admin/analytics/reports": [
        """SELECT user_id, count(*), sum(played_ms) FROM shared.play_sessions
           WHERE counted AND started_at >= :month GROUP BY 1""",
        """SELECT media_type, count(*), sum(played_ms), count(DISTINCT user_id) FROM shared.play_sessions
           WHERE counted AND started_at >= :month GROUP BY 1""",
        """SELECT media_type, media_id, count(*) FROM shared.play_sessions WHERE counted
           AND started_at >= :month GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 50""",
    ],
}


def log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", flush=True)


def server_url() -> str:
    return to_sqlalchemy_url(start_embedded_postgres(WORK, "postgres"))


def database_url(server: str) -> str:
    base, _, query = server.partition("?")
    return base.rsplit("/", 1)[0] + f"/{DATABASE}" + (f"?{query}" if query else "")


async def create_database(server: str, url: str) -> None:
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
        await conn.execute(text(f'CREATE DATABASE "{DATABASE}"'))
    await admin.dispose()
    engine = create_async_engine(url)
    await upgrade(engine)
    await engine.dispose()


def _copy(conn: psycopg.Connection, table: str, columns: str, payload: str) -> None:
    with conn.cursor() as cur, cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        copy.write(payload)


def load(url: str, args: argparse.Namespace, t0: datetime) -> None:
    """Library and users by SQL, the plays by COPY (staged as integers, mapped to rows)."""
    items = args.items
    movies, episodes = items // 5, items * 2 // 5
    tracks = items - movies - episodes
    sizes = {
        "movies": movies,
        "episodes": episodes,
        "tracks": tracks,
        "series": max(1, episodes // 20),
        "albums": max(1, tracks // 10),
        "artists": max(1, tracks // 40),
    }
    with psycopg.connect(to_libpq_url(url), autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '512MB'")
        conn.execute("SET work_mem = '256MB'")
        for statement in LIBRARY_SQL.format(**sizes).split(";\n"):
            if statement.strip():
                conn.execute(
                    statement.replace("%", "%%").replace(":genres", "%(genres)s::text[]"),
                    {"genres": GENRES},
                )
        users = "".join(
            f"{uuid.uuid4()}\tbench{i}\tx\t{TIMEZONES[i % len(TIMEZONES)]}\n"
            for i in range(args.users)
        )
        _copy(conn, "shared.users", "id, username, password_hash, timezone", users)
        conn.execute(
            "INSERT INTO bench_users SELECT row_number() OVER (ORDER BY username) - 1, id "
            "FROM shared.users WHERE username LIKE 'bench%%'"
        )
        _copy(
            conn,
            "bench_clients",
            "idx, client, device",
            "".join(f"{i}\t{c}\t{d}\n" for i, (c, d) in enumerate(CLIENTS)),
        )
        log(f"library: {items:,} items, {args.users:,} users")
        rng = np.random.default_rng(42)
        seconds = args.days * 86400
        chunk = 1_000_000
        started = time.perf_counter()
        for offset in range(0, args.plays, chunk):
            n = min(chunk, args.plays - offset)
            # Skewed like real libraries: a few users and items account for most plays.
            user = (args.users * rng.random(n) ** 1.5).astype(np.int64)
            item = (items * rng.random(n) ** 3).astype(np.int64)
            start = rng.integers(0, seconds, n)
            share = rng.choice([5, 20, 45, 60, 90, 100, 100, 130], n)
            pause = rng.choice([0, 0, 0, 120, 900], n)
            client = rng.integers(0, len(CLIENTS), n)
            rows = np.column_stack([user, item, start, share, pause, client]).tolist()
            payload = "".join(f"{a}\t{b}\t{c}\t{d}\t{e}\t{f}\n" for a, b, c, d, e, f in rows)
            _copy(
                conn,
                "bench_plays",
                "user_idx, item_rank, start_s, share_pct, pause_s, client_idx",
                payload,
            )
        log(f"COPY {args.plays:,} plays: {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        conn.execute(SESSIONS_SQL.replace(":t0", "%(t0)s"), {"t0": t0})
        conn.execute("DROP TABLE bench_plays")
        conn.execute("VACUUM ANALYZE")
        log(f"raw sessions written: {time.perf_counter() - started:.1f} s")


def load_average() -> str:
    return "load average " + " ".join(f"{v:.2f}" for v in os.getloadavg())


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def timed(calls: int, work: Callable[[int], Awaitable[Any]]) -> list[float]:
    times = []
    for i in range(calls):
        started = time.perf_counter()
        await work(i)
        times.append((time.perf_counter() - started) * 1000)
    return times


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--plays", type=int, default=10_000_000)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--items", type=int, default=200_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--calls", type=int, default=200, help="calls per endpoint (rollups)")
    parser.add_argument("--raw-calls", type=int, default=5, help="calls per raw-SQL baseline")
    parser.add_argument("--reuse", action="store_true", help="keep the loaded data of the last run")
    parser.add_argument("--load-only", action="store_true", help="load the plays, then stop")
    parser.add_argument(
        "--skip-rebuild", action="store_true", help="with --reuse: keep the last run's rollups"
    )
    parser.add_argument("--only", nargs="*", help="measure only these endpoints")
    args = parser.parse_args()

    server = server_url()
    url = database_url(server)
    now = datetime.now(UTC)
    t0 = now - timedelta(days=args.days)
    if not args.reuse:
        await create_database(server, url)
        log(f"loading {args.plays:,} plays")
        load(url, args, t0)
        if args.load_only:
            return
    else:
        engine = create_async_engine(url)
        await upgrade(engine)
        await engine.dispose()

    database = Database(url, pool_size=3, max_overflow=0)
    rebuild_seconds = None
    if not (args.reuse and args.skip_rebuild):
        started = time.perf_counter()
        async with database.transaction() as session:
            await service.rebuild(
                session,
                None,
                lambda step: log(f"  rebuild: {step}, {load_average()}"),
                helpers=database,
            )
        rebuild_seconds = time.perf_counter() - started
        log(f"(a) full rebuild (facts, rollups, rankings): {rebuild_seconds:.1f} s")
        # What autovacuum does within minutes of a rebuild, done now so that it does not run
        # during the measurements (visibility map for index-only scans, planner statistics).
        # And the checkpoint that would follow: the rebuild's gigabytes of dirty pages are
        # written out now, not by the checkpointer in the middle of the measurements.
        vacuum = create_async_engine(url, isolation_level="AUTOCOMMIT")
        async with vacuum.connect() as conn:
            await conn.execute(text("VACUUM ANALYZE"))
            await conn.execute(text("CHECKPOINT"))
        await vacuum.dispose()

    async with database.transaction() as session:
        users = [
            Principal(id=r[0], username=r[1], is_admin=False, locale=None, timezone=r[2])
            for r in await session.execute(
                text("SELECT id, username, timezone FROM shared.users ORDER BY random() LIMIT 200")
            )
        ]
        media = list(
            await session.execute(
                text(
                    "SELECT media_type, media_id FROM shared.play_statistics "
                    "ORDER BY random() LIMIT 200"
                )
            )
        )
    rng = random.Random(1)

    async def call(fn: Callable[..., Awaitable[Any]], *a: Any) -> Any:
        async with database.transaction() as session:
            return await fn(session, *a)

    async def report_json(session: Any, period: ReportPeriod, day: Any) -> str:
        """What the endpoint sends: the document as JSON."""
        return (await service.report(session, period, day)).to_json()

    month = now.date().replace(day=1)
    endpoints: dict[str, Callable[[int], Awaitable[Any]]] = {
        "users/me/stats": lambda i: call(service.my_stats, users[i % len(users)]),
        "users/me/stats/history": lambda i: call(
            service.my_history, users[i % len(users)], Interval.day, None, None, None
        ),
        "admin/analytics/overview": lambda i: call(service.overview, Window.d30),
        "admin/analytics/popular": lambda i: call(
            service.popular,
            rng.choice(list(Window)),
            rng.choice([None, "movie", "episode", "track"]),
            rng.choice(list(RankMetric)),
            20,
        ),
        "admin/analytics/users": lambda i: call(service.users_usage, "plays", 50, (i % 10) * 50),
        "admin/analytics/media": lambda i: call(
            service.media_stats, media[i % len(media)][0], media[i % len(media)][1], Window.d30
        ),
        "admin/analytics/reports": lambda i: call(report_json, ReportPeriod.month, month),
    }

    def raw_params(i: int) -> dict[str, Any]:
        return {
            "user": users[i % len(users)].id,
            "today": now.date(),
            "since": now - timedelta(days=30),
            "media_type": media[i % len(media)][0],
            "media": media[i % len(media)][1],
            "month": datetime(month.year, month.month, 1, tzinfo=UTC),
        }

    async def raw(name: str, i: int) -> None:
        async with database.transaction() as session:
            for sql in RAW_SQL[name]:
                (await session.execute(text(sql), raw_params(i))).all()

    print()
    print(f"plays={args.plays:,} users={args.users:,} items={args.items:,} days={args.days}")
    print(load_average())
    if rebuild_seconds is not None:
        print(f"(a) full rebuild from raw sessions: {rebuild_seconds:.1f} s (goal < 300 s)")
    print(
        f"{'endpoint':<28}{'p50 ms':>9}{'p95 ms':>9}{'raw p50':>11}{'raw p95':>10}{'ratio p50':>11}"
    )
    for name, work in endpoints.items():
        if args.only and name not in args.only:
            continue
        await work(0)  # warm caches the same way for both
        ours = await timed(args.calls, work)
        baseline = await timed(args.raw_calls, lambda i, n=name: raw(n, i))
        p50, p95 = percentile(ours, 0.5), percentile(ours, 0.95)
        r50, r95 = percentile(baseline, 0.5), percentile(baseline, 0.95)
        print(
            f"{name:<28}{p50:>9.1f}{p95:>9.1f}{r50:>11.1f}{r95:>10.1f}{r50 / p50:>10.0f}×",
            flush=True,
        )
    # What any call costs before it asks anything: a transaction around SELECT 1 through the
    # same session path. No endpoint can be more than (raw time / this) times faster.
    floor = await timed(
        args.calls, lambda i: call(lambda session: session.execute(text("SELECT 1")))
    )
    print(
        f"{'round trip (SELECT 1)':<28}{percentile(floor, 0.5):>9.1f}{percentile(floor, 0.95):>9.1f}"
        "   (the floor of every call above)"
    )
    print(load_average())
    await database.dispose()


if __name__ == "__main__":
    asyncio.run(main())
