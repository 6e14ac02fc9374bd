# ruff: noqa: S608  -- SQL text is assembled from module constants only; values are bound.
"""Rebuilding the statistics from the raw sessions, set-based, in one transaction.

Few passes over the facts, each feeding several rollups:

- who played what (per item and user, with completed plays and first/last play) feeds
  ``analytics_media_users``, ``play_statistics``, ``analytics_user_totals``, the users'
  all-time row and their top genres/artists/series;
- plays per item and UTC day (``analytics_media_daily``) feed the per-item month/year totals
  and the daily totals per media type;
- one grouping-sets pass gives the daily rollups per client/device and per hour/weekday;
- plays per user and local day give the day rows, which roll up into weeks, months, years.

A full rebuild (no ``since``) empties the tables and loads them without indexes, then builds
each index once (much faster than maintaining them row by row over millions of rows). That
takes an exclusive lock on the analytics tables: their readers wait until the rebuild commits.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from revenge.analytics.rankings import WINDOWS, window_starts, window_users_sql
from revenge.analytics.rollups import (
    ALL_TIME_START,
    FACT_COLUMNS,
    FACT_SELECT,
    PERIODS,
    REBUILD_LOCK,
    period_start,
)

# The progress callback is called once per step, with the step's name and duration (the
# parallel full rebuild reports the same number of steps, "swap" in place of "indexes").
STEPS = (
    "facts",
    "who played what",
    "daily per item",
    "daily per client and hour",
    "per user",
    "indexes",
)
FACTS = "analytics_play_facts"
DAILY_TABLES = ("analytics_media_daily", "analytics_daily_totals", "analytics_daily_clients")
ALL_TIME_TABLES = (
    "analytics_media_users",
    "play_statistics",
    "analytics_user_totals",
    "analytics_user_tops",
)
# Cached reports: stamped with counters a rebuild resets, so they go with it.
REPORTS = "analytics_report_cache"
ROLLUP_TABLES = (
    *DAILY_TABLES,
    "analytics_daily_hours",
    "analytics_media_periods",
    "user_statistics",
    *ALL_TIME_TABLES,
)

# --- who played what: every all-time table ------------------------------------------------

MEDIA_USERS_SQL = """
CREATE TEMP TABLE rebuild_media_users ON COMMIT DROP AS
SELECT media_type, media_id, user_id, count(*) AS plays, sum(played_ms) AS duration_ms,
       count(*) FILTER (WHERE completed) AS completed, min(started_at) AS first_played,
       max(started_at) AS last_played,
       max(utc_day) FILTER (WHERE utc_day <= CAST(:today AS date)) AS last_day
FROM shared.analytics_play_facts WHERE counted GROUP BY 1, 2, 3
"""
TYPE_SUMS = """
    coalesce(sum({plays}) FILTER (WHERE media_type = 'movie'), 0),
    coalesce(sum({plays}) FILTER (WHERE media_type = 'episode'), 0),
    coalesce(sum({plays}) FILTER (WHERE media_type = 'track'), 0),
    sum({ms}),
    coalesce(sum({ms}) FILTER (WHERE media_type = 'movie'), 0),
    coalesce(sum({ms}) FILTER (WHERE media_type = 'episode'), 0),
    coalesce(sum({ms}) FILTER (WHERE media_type = 'track'), 0)"""
USER_STATISTICS_COLUMNS = (
    "user_id, period, period_start, movies_watched, episodes_watched, music_tracks_played, "
    "total_watch_time_ms, movie_time_ms, episode_time_ms, music_time_ms"
)
ALL_TIME_SQL = [
    "INSERT INTO shared.analytics_media_users (media_type, media_id, user_id, plays, duration_ms) "
    "SELECT media_type, media_id, user_id, plays, duration_ms FROM rebuild_media_users",
    "INSERT INTO shared.play_statistics (media_type, media_id, total_plays, unique_users, "
    "total_duration_ms, completed_plays, first_played, last_played) "
    "SELECT media_type, media_id, sum(plays), count(*), sum(duration_ms), sum(completed), "
    "min(first_played), max(last_played) FROM rebuild_media_users GROUP BY 1, 2",
    "INSERT INTO shared.analytics_user_totals (user_id, plays, duration_ms, first_played, "
    "last_played) SELECT user_id, sum(plays), sum(duration_ms), min(first_played), "
    "max(last_played) FROM rebuild_media_users GROUP BY 1",
    f"INSERT INTO shared.user_statistics ({USER_STATISTICS_COLUMNS}) "
    f"SELECT user_id, 'all', DATE '1970-01-01', {TYPE_SUMS.format(plays='plays', ms='duration_ms')} "
    "FROM rebuild_media_users GROUP BY 1",
]
# The same rows as ``rollups.ITEM_TOPS_SQL`` gives per item (the incremental path), grouped
# first by small keys (a dozen genres, a series' or artist's id) and named afterwards: hash
# tables keyed by text names over millions of rows were most of the rebuild's time.
USER_TOPS_SQL = [
    """INSERT INTO shared.analytics_user_tops (user_id, kind, key, name, plays)
    SELECT mu.user_id, 'genre', g.genre, g.genre, sum(mu.plays)
    FROM rebuild_media_users mu JOIN (
        SELECT 'movie'::text AS media_type, m.id AS media_id, g AS genre
          FROM public.movies m, unnest(m.genres) g
        UNION ALL
        SELECT 'episode', e.id, g
          FROM public.episodes e JOIN public.series s ON s.id = e.series_id, unnest(s.genres) g
        UNION ALL
        SELECT 'track', t.id, g
          FROM public.tracks t JOIN public.albums a ON a.id = t.album_id, unnest(a.genres) g
    ) g ON g.media_type = mu.media_type AND g.media_id = mu.media_id
    GROUP BY mu.user_id, g.genre""",
    """INSERT INTO shared.analytics_user_tops (user_id, kind, key, name, plays)
    SELECT x.user_id, 'series', s.id::text, s.title, x.plays
    FROM (SELECT mu.user_id, e.series_id, sum(mu.plays) AS plays
          FROM rebuild_media_users mu JOIN public.episodes e ON e.id = mu.media_id
          WHERE mu.media_type = 'episode' GROUP BY 1, 2) x
    JOIN public.series s ON s.id = x.series_id""",
    """INSERT INTO shared.analytics_user_tops (user_id, kind, key, name, plays)
    SELECT x.user_id, 'artist', ar.id::text, ar.name, x.plays
    FROM (SELECT mu.user_id, t.artist_id, sum(mu.plays) AS plays
          FROM rebuild_media_users mu JOIN public.tracks t ON t.id = mu.media_id
          WHERE mu.media_type = 'track' GROUP BY 1, 2) x
    JOIN public.artists ar ON ar.id = x.artist_id""",
]

# --- daily rollups -----------------------------------------------------------------------

MEDIA_DAILY_SQL = [
    "INSERT INTO shared.analytics_media_daily (media_type, media_id, day, plays, duration_ms) "
    "SELECT media_type, media_id, utc_day, count(*), sum(played_ms) "
    "FROM shared.analytics_play_facts WHERE counted AND utc_day >= :since GROUP BY 1, 2, 3",
    # Whole months and years are recounted (from the start of since's year): months from
    # the days, years from the months.
    "INSERT INTO shared.analytics_media_periods (period, period_start, media_type, media_id, "
    "plays, duration_ms) SELECT 'month', date_trunc('month', day)::date, media_type, media_id, "
    "sum(plays), sum(duration_ms) FROM shared.analytics_media_daily WHERE day >= :year_since "
    "GROUP BY 2, 3, 4",
    "INSERT INTO shared.analytics_media_periods (period, period_start, media_type, media_id, "
    "plays, duration_ms) SELECT 'year', date_trunc('year', period_start)::date, media_type, "
    "media_id, sum(plays), sum(duration_ms) FROM shared.analytics_media_periods "
    "WHERE period = 'month' AND period_start >= :year_since GROUP BY 2, 3, 4",
    "INSERT INTO shared.analytics_daily_totals (day, media_type, plays, duration_ms) "
    "SELECT day, media_type, sum(plays), sum(duration_ms) FROM shared.analytics_media_daily "
    "WHERE day >= :since GROUP BY 1, 2",
]
# One pass for both small daily rollups (GROUPING(client) = 1 marks the hour/weekday rows).
CLIENTS_AND_HOURS_SQL = [
    """CREATE TEMP TABLE rebuild_daily ON COMMIT DROP AS
    SELECT utc_day, client, device, local_hour, local_dow, GROUPING(client) AS by_hour,
           count(*) AS plays, sum(played_ms) AS duration_ms
    FROM shared.analytics_play_facts WHERE counted AND utc_day >= :since
    GROUP BY GROUPING SETS ((utc_day, client, device), (utc_day, local_hour, local_dow))""",
    "INSERT INTO shared.analytics_daily_clients (day, client, device, plays, duration_ms) "
    "SELECT utc_day, client, device, plays, duration_ms FROM rebuild_daily WHERE by_hour = 0",
    "INSERT INTO shared.analytics_daily_hours (day, local_hour, local_dow, plays) "
    "SELECT utc_day, local_hour, local_dow, plays FROM rebuild_daily WHERE by_hour = 1",
    "DROP TABLE rebuild_daily",
]

# --- per user and local day, week, month, year -------------------------------------------

DAY_SUMS = """
    count(*) FILTER (WHERE media_type = 'movie') AS movies,
    count(*) FILTER (WHERE media_type = 'episode') AS episodes,
    count(*) FILTER (WHERE media_type = 'track') AS tracks, sum(played_ms) AS ms,
    coalesce(sum(played_ms) FILTER (WHERE media_type = 'movie'), 0) AS movie_ms,
    coalesce(sum(played_ms) FILTER (WHERE media_type = 'episode'), 0) AS episode_ms,
    coalesce(sum(played_ms) FILTER (WHERE media_type = 'track'), 0) AS track_ms"""
USER_PERIODS_SQL = [
    f"""CREATE TEMP TABLE rebuild_user_days ON COMMIT DROP AS
    SELECT user_id, local_day, {DAY_SUMS}
    FROM shared.analytics_play_facts WHERE counted AND local_day >= :first_start
    GROUP BY user_id, local_day""",
    f"""INSERT INTO shared.user_statistics ({USER_STATISTICS_COLUMNS})
    SELECT user_id, 'day', local_day, movies, episodes, tracks, ms, movie_ms, episode_ms, track_ms
    FROM rebuild_user_days WHERE local_day >= :day_start""",
    # One plain grouping per period (faster here than GROUPING SETS over the same rows);
    # each period's start is itself a period boundary, so whole periods are counted.
    *(
        f"""INSERT INTO shared.user_statistics ({USER_STATISTICS_COLUMNS})
    SELECT user_id, '{period}', date_trunc('{period}', local_day)::date, sum(movies),
        sum(episodes), sum(tracks), sum(ms), sum(movie_ms), sum(episode_ms), sum(track_ms)
    FROM rebuild_user_days WHERE local_day >= :{period}_start GROUP BY 1, 3"""
        for period in ("week", "month", "year")
    ),
    "DROP TABLE rebuild_user_days",
]


DEFAULT_MEMORY = "1GB"
MEMORY = re.compile(r"^[1-9][0-9]*(kB|MB|GB)$")


async def set_rebuild_memory(session: AsyncSession | AsyncConnection, memory: str) -> None:
    """Big sorts and hash aggregates stay in memory; index builds get room (for this
    transaction only; ``memory`` is a PostgreSQL size such as ``1GB``)."""
    if not MEMORY.match(memory):
        raise ValueError(f"not a memory size: {memory!r}")
    await session.execute(text(f"SET LOCAL work_mem = '{memory}'"))
    await session.execute(text(f"SET LOCAL maintenance_work_mem = '{memory}'"))


class IndexDefinition(NamedTuple):
    table: str  # in schema ``shared``
    kind: str  # "constraint" (the primary key) or "index"
    name: str
    definition: str  # the key's definition, or the whole CREATE INDEX statement


async def index_definitions(
    session: AsyncSession, tables: tuple[str, ...]
) -> list[IndexDefinition]:
    """The tables' primary keys and other indexes, as the catalogue defines them."""
    rows = await session.execute(
        text(
            "SELECT c.conrelid::regclass::text, 'constraint', c.conname::text, "
            "pg_get_constraintdef(c.oid) FROM pg_constraint c "
            "WHERE c.contype = 'p' AND c.conrelid = ANY(CAST(:tables AS regclass[])) "
            "UNION ALL "
            "SELECT i.indrelid::regclass::text, 'index', "
            "(SELECT relname FROM pg_class WHERE oid = i.indexrelid)::text, "
            "pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "WHERE i.indrelid = ANY(CAST(:tables AS regclass[])) AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)"
        ),
        {"tables": [f"shared.{t}" for t in tables]},
    )
    return [
        IndexDefinition(table.removeprefix("shared."), kind, name, definition)
        for table, kind, name, definition in rows
    ]


async def _drop_indexes(session: AsyncSession, tables: tuple[str, ...]) -> list[str]:
    """Drop the tables' primary keys and indexes; returns the statements that recreate them
    exactly as they were."""
    recreate = []
    for index in await index_definitions(session, tables):
        if index.kind == "constraint":
            drop = f"ALTER TABLE shared.{index.table} DROP CONSTRAINT {index.name}"
            recreate.append(
                f"ALTER TABLE shared.{index.table} ADD CONSTRAINT {index.name} {index.definition}"
            )
        else:
            drop = f"DROP INDEX shared.{index.name}"
            recreate.append(index.definition)
        await session.execute(text(drop))
    return recreate


async def _run(session: AsyncSession, statements: list[str], params: dict) -> None:
    for sql in statements:
        await session.execute(text(sql), params)


async def rebuild(
    session: AsyncSession,
    since: date | None,
    progress: Callable[[str], None] = lambda step: None,
    rankings_day: date | None = None,
    memory: str = DEFAULT_MEMORY,
) -> None:
    """Rebuild the statistics from the raw sessions (those started on/after ``since``; all when
    None). Rollups by day are re-derived from ``since`` on; all-time tables are recomputed from
    the facts, which are cheap compared with the raw events. With ``rankings_day``, leaves the
    unique users of the ranking windows ending that day for ``rankings.refresh_rankings``."""
    await session.execute(select(func.pg_advisory_xact_lock(REBUILD_LOCK)))
    first = since or ALL_TIME_START
    # A local day can start up to 14 h before its UTC day: re-derive facts from one day earlier.
    since_ts = datetime(first.year, first.month, first.day, tzinfo=UTC) - timedelta(days=1)
    starts = {f"{p}_start": period_start(p, first) for p in PERIODS}
    params = {
        "since": first,
        "since_ts": since_ts,
        "since_day": since_ts.date(),
        "year_since": period_start("year", first),
        "first_start": min(starts.values()),
        **starts,
    }
    # Big sorts and hash aggregates stay in memory; index builds get room.
    await set_rebuild_memory(session, memory)
    for scratch in ("rebuild_media_users", "rebuild_daily", "rebuild_user_days"):
        await session.execute(text(f"DROP TABLE IF EXISTS {scratch}"))
    clock = time.perf_counter()

    def done(step: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        progress(f"{step} ({now - clock:.1f} s)")
        clock = now

    columns = ", ".join(FACT_COLUMNS)
    indexes: list[str] = []
    if since is None:
        # From scratch: empty every table and load it without indexes.
        indexes = await _drop_indexes(session, (FACTS, *ROLLUP_TABLES))
        await session.execute(
            text(f"TRUNCATE {', '.join(f'shared.{t}' for t in (FACTS, *ROLLUP_TABLES, REPORTS))}")
        )
        await session.execute(
            text(f"INSERT INTO shared.analytics_play_facts ({columns}) {FACT_SELECT}")
        )
        # The planner sizes the aggregations below from these statistics.
        await session.execute(text(f"ANALYZE shared.{FACTS}"))
    else:
        await session.execute(
            text(
                "DELETE FROM shared.analytics_play_facts f WHERE f.utc_day >= :since_day "
                "AND f.started_at >= :since_ts AND "
                "NOT EXISTS (SELECT 1 FROM shared.play_sessions s WHERE s.id = f.session_id "
                "AND s.ended_at IS NOT NULL)"
            ),
            params,
        )
        assignments = ", ".join(f"{c} = excluded.{c}" for c in FACT_COLUMNS if c != "session_id")
        await session.execute(
            text(
                f"INSERT INTO shared.analytics_play_facts ({columns}) "
                f"{FACT_SELECT} AND s.started_at >= :since_ts "
                f"ON CONFLICT (session_id) DO UPDATE SET {assignments}"
            ),
            params,
        )
        for table in ALL_TIME_TABLES:
            await session.execute(text(f"DELETE FROM shared.{table}"))
        for table in (*DAILY_TABLES, "analytics_daily_hours"):
            await session.execute(text(f"DELETE FROM shared.{table} WHERE day >= :since"), params)
        await session.execute(
            text("DELETE FROM shared.analytics_media_periods WHERE period_start >= :year_since"),
            params,
        )
        for period in PERIODS:
            await session.execute(
                text(
                    "DELETE FROM shared.user_statistics WHERE period = :period "
                    "AND period_start >= :start"
                ),
                {"period": period, "start": params[f"{period}_start"]},
            )
        await session.execute(text("DELETE FROM shared.user_statistics WHERE period = 'all'"))
        await session.execute(text(f"DELETE FROM shared.{REPORTS}"))
    done("facts")
    today = rankings_day or ALL_TIME_START
    await session.execute(text(MEDIA_USERS_SQL), {"today": today})
    await _run(session, ALL_TIME_SQL, params)
    await _run(session, USER_TOPS_SQL, params)
    await session.execute(text("DROP TABLE IF EXISTS analytics_window_users"))
    if rankings_day is not None:
        # What the rankings need of it, so they need no pass over the facts of their own.
        await session.execute(
            text(window_users_sql("SELECT * FROM rebuild_media_users", WINDOWS)),
            window_starts(rankings_day, WINDOWS),
        )
    await session.execute(text("DROP TABLE rebuild_media_users"))
    done("who played what")
    await _run(session, MEDIA_DAILY_SQL, params)
    done("daily per item")
    await _run(session, CLIENTS_AND_HOURS_SQL, params)
    done("daily per client and hour")
    await _run(session, USER_PERIODS_SQL, params)
    done("per user")
    if indexes:
        for create in indexes:
            await session.execute(text(create))
        # The rankings read the daily rows in this transaction; autovacuum analyzes the rest.
        await session.execute(text("ANALYZE shared.analytics_media_daily"))
    done("indexes")
