# ruff: noqa: S608  -- SQL text is assembled from module constants only; values are bound.
"""A full rebuild on two connections at once, swapped in at the end.

The sequential rebuild (``rebuild.py``) writes every table in the caller's transaction: one
core, and the statistics stay locked for its whole run. Here two helper connections build
shadow tables (``<table>__rebuild``) side by side, each from the same snapshot of the raw
sessions as the caller's transaction:

- helper 1: the facts, then who played what (all-time tables, top lists, window users);
- helper 2: the daily rollups and the users' periods, straight from the raw sessions.

Tables created in the helper's own transaction are written without WAL on the embedded server
(``wal_level = minimal``) and get their indexes once, at the end. The caller's transaction
holds the rebuild lock from the start (finished plays wait to be applied, and are applied
against the new facts afterwards), then drops the old tables and renames the new ones in;
readers wait only for that swap and the rankings. A failed run leaves old tables untouched;
its leftovers are dropped by the next run.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.analytics.rankings import WINDOWS, window_starts, window_users_sql
from revenge.analytics.rebuild import (
    ALL_TIME_SQL,
    CLIENTS_AND_HOURS_SQL,
    DEFAULT_MEMORY,
    FACTS,
    MEDIA_DAILY_SQL,
    MEDIA_USERS_SQL,
    REPORTS,
    ROLLUP_TABLES,
    USER_PERIODS_SQL,
    USER_STATISTICS_COLUMNS,
    USER_TOPS_SQL,
    IndexDefinition,
    index_definitions,
    set_rebuild_memory,
)
from revenge.analytics.rollups import (
    ALL_TIME_START,
    FACT_COLUMNS,
    FACT_SELECT,
    PERIODS,
    REBUILD_LOCK,
    period_start,
)
from revenge.core.db import Database

SHADOW = "__rebuild"
TABLES = (FACTS, *ROLLUP_TABLES)
WINDOW_USERS = "analytics_window_users"
HELPER_1_TABLES = (
    FACTS,
    "analytics_media_users",
    "play_statistics",
    "analytics_user_totals",
    "analytics_user_tops",
)
HELPER_2_TABLES = tuple(t for t in ROLLUP_TABLES if t not in HELPER_1_TABLES)
SNAPSHOT_ID = re.compile(r"^[0-9A-F]+-[0-9A-F]+(-[0-9A-F]+)?$")


def _shadowed(sql: str, tables: tuple[str, ...]) -> str:
    """``sql`` writing to and reading from the shadow tables of ``tables``."""
    pattern = r"\bshared\.(" + "|".join(tables) + r")\b"
    return re.sub(pattern, lambda m: f"shared.{m.group(1)}{SHADOW}", sql)


def _from_raw_sessions(sql: str) -> str:
    """``sql`` reading the facts as the raw sessions give them (helper 2 does not wait for
    helper 1's facts table)."""
    return sql.replace(f"shared.{FACTS}", f"({FACT_SELECT}) f")


def _create_indexes(table: str, indexes: list[IndexDefinition]) -> list[str]:
    statements = []
    for _, kind, name, definition in indexes:
        if kind == "constraint":
            statements.append(
                f"ALTER TABLE shared.{table}{SHADOW} ADD CONSTRAINT {name}{SHADOW} {definition}"
            )
        else:
            # The table is schema-qualified unless ``shared`` is on the search path.
            statement, found = re.subn(
                rf" INDEX {name} ON (shared\.)?{table} ",
                f" INDEX {name}{SHADOW} ON shared.{table}{SHADOW} ",
                definition,
                count=1,
            )
            if not found:
                raise RuntimeError(f"unexpected index definition: {definition}")
            statements.append(statement)
    return statements


def _rename_indexes(table: str, indexes: list[IndexDefinition]) -> list[str]:
    return [
        f"ALTER TABLE shared.{table} RENAME CONSTRAINT {name}{SHADOW} TO {name}"
        if kind == "constraint"
        else f"ALTER INDEX shared.{name}{SHADOW} RENAME TO {name}"
        for _, kind, name, _ in indexes
    ]


async def _helper(
    database: Database,
    snapshot: str,
    steps: list[tuple[str, list[str]]],
    params: dict[str, Any],
    progress: Callable[[str], None],
    memory: str,
) -> None:
    """Run ``steps`` in one transaction on its own connection that sees ``snapshot``."""
    async with database.engine.connect() as connection:
        conn = await connection.execution_options(isolation_level="AUTOCOMMIT")
        try:
            await conn.execute(text("BEGIN ISOLATION LEVEL REPEATABLE READ"))
            await conn.execute(text(f"SET TRANSACTION SNAPSHOT '{snapshot}'"))
            await set_rebuild_memory(conn, memory)
            clock = time.perf_counter()
            for name, statements in steps:
                for sql in statements:
                    await conn.execute(text(sql), params)
                now = time.perf_counter()
                progress(f"{name} ({now - clock:.1f} s)")
                clock = now
            await conn.execute(text("COMMIT"))
        except BaseException:
            # A manual transaction may still be open on it: never hand it back to the pool.
            await conn.invalidate()
            raise


async def _run_helpers(
    database: Database,
    snapshot: str,
    helper_1: list[tuple[str, list[str]]],
    helper_2: list[tuple[str, list[str]]],
    params: dict[str, Any],
    progress: Callable[[str], None],
    memory: str,
) -> None:
    async with asyncio.TaskGroup() as helpers:
        for steps in (helper_1, helper_2):
            helpers.create_task(_helper(database, snapshot, steps, params, progress, memory))


async def _drop_shadows(session: AsyncSession) -> None:
    for table in (*TABLES, WINDOW_USERS):
        await session.execute(text(f"DROP TABLE IF EXISTS shared.{table}{SHADOW}"))


async def rebuild_full(
    session: AsyncSession,
    database: Database,
    progress: Callable[[str], None],
    rankings_day: date,
    memory: str = DEFAULT_MEMORY,
) -> None:
    """Everything from the raw sessions, as ``rebuild.rebuild(session, None, …)`` does, and
    leaves ``analytics_window_users`` (temporary) for the rankings of ``rankings_day``."""
    await session.execute(select(func.pg_advisory_xact_lock(REBUILD_LOCK)))
    await _drop_shadows(session)
    indexes: dict[str, list[IndexDefinition]] = {table: [] for table in TABLES}
    for index in await index_definitions(session, TABLES):
        indexes[index.table].append(index)
    # The helpers' snapshot: taken after the lock, so every play finished after it is
    # applied to the new tables once this transaction commits.
    snapshot = (await session.execute(text("SELECT pg_export_snapshot()"))).scalar_one()
    if not SNAPSHOT_ID.match(snapshot):
        raise ValueError(f"unexpected snapshot id {snapshot!r}")
    starts = {f"{p}_start": period_start(p, ALL_TIME_START) for p in PERIODS}
    params = {
        "since": ALL_TIME_START,
        "year_since": ALL_TIME_START,
        "first_start": ALL_TIME_START,
        "today": rankings_day,
        **starts,
        **window_starts(rankings_day, WINDOWS),
    }

    def create(tables: tuple[str, ...]) -> list[str]:
        return [
            f"CREATE TABLE shared.{t}{SHADOW} (LIKE shared.{t} INCLUDING DEFAULTS)" for t in tables
        ]

    def build_indexes(tables: tuple[str, ...]) -> list[str]:
        return [s for t in tables for s in _create_indexes(t, indexes[t])]

    columns = ", ".join(FACT_COLUMNS)
    all_time = [sql for sql in ALL_TIME_SQL if "shared.user_statistics" not in sql]
    window_users = window_users_sql("SELECT * FROM rebuild_media_users", WINDOWS).replace(
        f"CREATE TEMP TABLE {WINDOW_USERS} ON COMMIT DROP AS",
        f"CREATE UNLOGGED TABLE shared.{WINDOW_USERS}{SHADOW} AS",
    )

    def helper_1_sql(statements: list[str]) -> list[str]:
        return [_shadowed(sql, HELPER_1_TABLES) for sql in statements]

    def helper_2_sql(statements: list[str]) -> list[str]:
        return [_shadowed(_from_raw_sessions(sql), HELPER_2_TABLES) for sql in statements]

    helper_1 = [
        (
            "facts",
            create(HELPER_1_TABLES)
            + helper_1_sql([f"INSERT INTO shared.{FACTS} ({columns}) {FACT_SELECT}"]),
        ),
        (
            "who played what",
            helper_1_sql(
                [
                    MEDIA_USERS_SQL,
                    *all_time,
                    *USER_TOPS_SQL,
                    window_users,
                    "DROP TABLE rebuild_media_users",
                ]
            )
            + build_indexes(HELPER_1_TABLES),
        ),
    ]
    # Helper 2 counts the users' all-time rows from their days (helper 1 has who played what).
    all_time_from_days = (
        f"INSERT INTO shared.user_statistics ({USER_STATISTICS_COLUMNS}) "
        "SELECT user_id, 'all', DATE '1970-01-01', sum(movies), sum(episodes), sum(tracks), "
        "sum(ms), sum(movie_ms), sum(episode_ms), sum(track_ms) FROM rebuild_user_days "
        "GROUP BY 1"
    )
    user_periods = [*USER_PERIODS_SQL]
    user_periods.insert(len(user_periods) - 1, all_time_from_days)  # before the DROP
    helper_2 = [
        ("daily per item", create(HELPER_2_TABLES) + helper_2_sql(MEDIA_DAILY_SQL)),
        ("daily per client and hour", helper_2_sql(CLIENTS_AND_HOURS_SQL)),
        ("per user", helper_2_sql(user_periods) + build_indexes(HELPER_2_TABLES)),
    ]
    clock = time.perf_counter()
    # A failing helper cancels the other; nothing of theirs is visible until the swap.
    try:
        await _run_helpers(database, snapshot, helper_1, helper_2, params, progress, memory)
    except BaseExceptionGroup as failed:
        raise failed.exceptions[0] from None
    helpers_done = time.perf_counter()
    # The swap: old tables out, new ones in under the canonical names.
    await session.execute(text(f"TRUNCATE shared.{REPORTS}"))
    for table in TABLES:
        await session.execute(text(f"DROP TABLE shared.{table}"))
        await session.execute(text(f"ALTER TABLE shared.{table}{SHADOW} RENAME TO {table}"))
        for sql in _rename_indexes(table, indexes[table]):
            await session.execute(text(sql))
    await session.execute(text(f"DROP TABLE IF EXISTS {WINDOW_USERS}"))
    await session.execute(
        text(
            f"CREATE TEMP TABLE {WINDOW_USERS} ON COMMIT DROP AS "
            f"SELECT * FROM shared.{WINDOW_USERS}{SHADOW}"
        )
    )
    await session.execute(text(f"DROP TABLE shared.{WINDOW_USERS}{SHADOW}"))
    # The rankings read the daily rows in this transaction; autovacuum analyzes the rest.
    await session.execute(text("ANALYZE shared.analytics_media_daily"))
    progress(
        f"swap ({time.perf_counter() - helpers_done:.1f} s; helpers {helpers_done - clock:.1f} s)"
    )
