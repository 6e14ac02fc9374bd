# ruff: noqa: S608  -- SQL text is assembled from module constants only; values are bound.
"""Writing the statistics: a finished session's delta (incremental), and the definitions the
set-based rebuild shares with it (the fact of a session, periods, the rebuild lock). The
rankings are refreshed in ``rankings``.

The per-session fact row remembers what the session contributed last time, so applying a
session twice changes nothing and a session that finishes again (resumed within the window)
adds only the difference.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, delete, func, literal, select, text, union_all
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.analytics.models import (
    DailyClients,
    DailyHours,
    DailyTotals,
    MediaDaily,
    MediaPeriods,
    MediaUser,
    PlayFact,
    PlayStatistics,
    UserStatistics,
    UserTops,
    UserTotals,
)

# A counted play that reached this share of the item is "completed" (completion rate).
COMPLETION_FRACTION = 0.9
ALL_TIME_START = date(1970, 1, 1)
PERIODS = ("day", "week", "month", "year")
# Rebuilds take this lock exclusively, incremental updates share it: a rebuild never
# interleaves with a delta (which would be counted twice or lost).
REBUILD_LOCK = 7263104


def _t(model: type) -> Table:
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


_facts = _t(PlayFact)

# The fact of every finished session, derived from the raw session and the user's timezone.
FACT_SELECT = f"""
SELECT s.id AS session_id, s.user_id, s.media_type, s.media_id, s.started_at,
       l.ts::date AS local_day,
       extract(hour FROM l.ts)::smallint AS local_hour,
       extract(isodow FROM l.ts)::smallint AS local_dow,
       (s.started_at AT TIME ZONE 'UTC')::date AS utc_day,
       s.played_ms, s.counted,
       (s.counted AND coalesce(s.item_duration_ms, 0) > 0
        AND s.played_ms >= s.item_duration_ms * {COMPLETION_FRACTION}) AS completed,
       coalesce(s.client, '') AS client, coalesce(s.device, '') AS device
FROM shared.play_sessions s JOIN shared.users u ON u.id = s.user_id
CROSS JOIN LATERAL (SELECT s.started_at AT TIME ZONE u.timezone AS ts) l
WHERE s.ended_at IS NOT NULL
"""
FACT_COLUMNS = [c.name for c in _facts.columns]


def period_start(period: str, day: date) -> date:
    if period == "day":
        return day
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    if period == "year":
        return day.replace(month=1, day=1)
    return ALL_TIME_START


def next_period_start(interval: str, start: date) -> date:
    """The start of the day/week/month/year after the one starting on ``start``."""
    if interval == "day":
        return start + timedelta(days=1)
    if interval == "week":
        return start + timedelta(days=7)
    if interval == "month":
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return start.replace(year=start.year + 1)


# --- incremental -------------------------------------------------------------------------


Key = tuple[Table, tuple[tuple[str, Any], ...]]


@dataclass
class _Delta:
    values: dict[Key, dict[str, int]]

    def add(self, table: Table, keys: dict[str, Any], values: dict[str, int], sign: int) -> None:
        target = self.values.setdefault((table, tuple(sorted(keys.items()))), defaultdict(int))
        for column, value in values.items():
            target[column] += sign * value


def _contributions(fact: dict[str, Any], delta: _Delta, sign: int) -> None:
    """What a counted play adds to each rollup (a play that does not count adds nothing)."""
    if not fact["counted"]:
        return
    kind, ms = fact["media_type"], int(fact["played_ms"])
    media = {"media_type": kind, "media_id": fact["media_id"]}
    play = {"plays": 1, "duration_ms": ms}
    delta.add(
        _t(PlayStatistics),
        media,
        {"total_plays": 1, "total_duration_ms": ms, "completed_plays": int(fact["completed"])},
        sign,
    )
    delta.add(_t(UserTotals), {"user_id": fact["user_id"]}, play, sign)
    delta.add(_t(MediaDaily), {**media, "day": fact["utc_day"]}, play, sign)
    for period in ("month", "year"):
        keys = {"period": period, "period_start": period_start(period, fact["utc_day"]), **media}
        delta.add(_t(MediaPeriods), keys, play, sign)
    # ``changes`` counts up whichever way the play moves (sign × sign): cached reports of
    # this day's periods are stale from now on.
    delta.add(
        _t(DailyTotals),
        {"day": fact["utc_day"], "media_type": kind},
        {**play, "changes": sign},
        sign,
    )
    delta.add(
        _t(DailyClients),
        {"day": fact["utc_day"], "client": fact["client"], "device": fact["device"]},
        play,
        sign,
    )
    delta.add(
        _t(DailyHours),
        {"day": fact["utc_day"], "local_hour": fact["local_hour"], "local_dow": fact["local_dow"]},
        {"plays": 1},
        sign,
    )
    per_type = {
        "movies_watched": int(kind == "movie"),
        "episodes_watched": int(kind == "episode"),
        "music_tracks_played": int(kind == "track"),
        "total_watch_time_ms": ms,
        "movie_time_ms": ms if kind == "movie" else 0,
        "episode_time_ms": ms if kind == "episode" else 0,
        "music_time_ms": ms if kind == "track" else 0,
    }
    for period in (*PERIODS, "all"):
        keys = {
            "user_id": fact["user_id"],
            "period": period,
            "period_start": period_start(period, fact["local_day"]),
        }
        delta.add(_t(UserStatistics), keys, per_type, sign)


def _upsert_add(
    table: Table,
    keys: dict[str, Any],
    values: dict[str, int],
    played_at: datetime | None = None,
) -> Any:
    """INSERT … ON CONFLICT adding ``values``; ``played_at`` widens first/last played."""
    row: dict[str, Any] = {**keys, **values}
    if played_at is not None:
        row |= {"first_played": played_at, "last_played": played_at}
    statement = insert(table).values(**row)
    assignments: dict[str, Any] = {
        column: table.c[column] + statement.excluded[column] for column in values
    }
    if played_at is not None:
        assignments["first_played"] = func.least(table.c.first_played, played_at)
        assignments["last_played"] = func.greatest(table.c.last_played, played_at)
    return statement.on_conflict_do_update(index_elements=list(keys), set_=assignments)


async def _apply_media_user(
    session: AsyncSession, old: dict[str, Any] | None, new: dict[str, Any] | None
) -> tuple[dict[tuple[str, uuid.UUID], int], dict[tuple[str, uuid.UUID], int]]:
    """Update who-played-what; returns the change of unique users and of plays per item."""
    changes: dict[tuple[str, uuid.UUID, uuid.UUID], list[int]] = defaultdict(lambda: [0, 0])
    for fact, sign in ((old, -1), (new, 1)):
        if fact is not None and fact["counted"]:
            entry = changes[(fact["media_type"], fact["media_id"], fact["user_id"])]
            entry[0] += sign
            entry[1] += sign * int(fact["played_ms"])
    unique: dict[tuple[str, uuid.UUID], int] = defaultdict(int)
    plays_by_item: dict[tuple[str, uuid.UUID], int] = {}
    table = _t(MediaUser)
    for (kind, media_id, user_id), (plays, ms) in changes.items():
        if plays == 0 and ms == 0:
            continue
        keys = {"media_type": kind, "media_id": media_id, "user_id": user_id}
        statement = _upsert_add(table, keys, {"plays": plays, "duration_ms": ms})
        after = (await session.execute(statement.returning(table.c.plays))).scalar_one()
        before = after - plays
        if after <= 0:
            await session.execute(delete(table).where(*(table.c[k] == v for k, v in keys.items())))
        unique[(kind, media_id)] += int(after > 0) - int(before > 0)
        plays_by_item[(kind, media_id)] = plays
    return unique, plays_by_item


# What each item adds to a user's top lists: its genres (movie, series or album), its series,
# its artist. One definition for both paths: the rebuild joins it with who-played-what, a
# finished play reads one item's rows (the item's key pushes down into every branch). Looked up
# when the play is applied; a later genre change shows after a rebuild.
ITEM_TOPS_SQL = """
SELECT 'movie'::text AS media_type, m.id AS media_id, 'genre'::text AS kind, g AS key, g AS name
  FROM public.movies m, unnest(m.genres) g
UNION ALL
SELECT 'episode', e.id, 'genre', g, g
  FROM public.episodes e JOIN public.series s ON s.id = e.series_id, unnest(s.genres) g
UNION ALL
SELECT 'episode', e.id, 'series', s.id::text, s.title
  FROM public.episodes e JOIN public.series s ON s.id = e.series_id
UNION ALL
SELECT 'track', t.id, 'genre', g, g
  FROM public.tracks t JOIN public.albums a ON a.id = t.album_id, unnest(a.genres) g
UNION ALL
SELECT 'track', t.id, 'artist', ar.id::text, ar.name
  FROM public.tracks t JOIN public.artists ar ON ar.id = t.artist_id
"""


async def _apply_user_tops(
    session: AsyncSession, user_id: uuid.UUID, plays_by_item: dict[tuple[str, uuid.UUID], int]
) -> list[Any]:
    statements = []
    table = _t(UserTops)
    for (kind, media_id), plays in plays_by_item.items():
        if not plays:
            continue
        rows = await session.execute(
            text(
                f"SELECT kind, key, name FROM ({ITEM_TOPS_SQL}) x "
                "WHERE x.media_type = :media_type AND x.media_id = :media_id"
            ),
            {"media_type": kind, "media_id": media_id},
        )
        for top_kind, key, name in rows:
            statement = insert(table).values(
                user_id=user_id, kind=top_kind, key=key, name=name, plays=plays
            )
            statements.append(
                statement.on_conflict_do_update(
                    index_elements=["user_id", "kind", "key"],
                    set_={"plays": table.c.plays + statement.excluded.plays},
                )
            )
    return statements


async def _session_exists(session: AsyncSession, session_id: uuid.UUID) -> bool:
    found = await session.execute(
        text("SELECT 1 FROM shared.play_sessions WHERE id = :sid"), {"sid": session_id}
    )
    return found.first() is not None


async def apply_session(session: AsyncSession, session_id: uuid.UUID) -> bool:
    """Bring the statistics in line with one session; True when anything changed.

    Round trips are few on purpose (one statement carries every rollup's upsert): this runs
    once per finished play."""
    await session.execute(
        select(
            func.pg_advisory_xact_lock_shared(REBUILD_LOCK),
            func.pg_advisory_xact_lock(func.hashtextextended(str(session_id), 0)),
        )
    )
    row = (
        await session.execute(text(FACT_SELECT + " AND s.id = :sid"), {"sid": session_id})
    ).first()
    if row is None and await _session_exists(session, session_id):
        # Open again (resumed): what it contributed stays until it finishes again.
        return False
    # None: the session is gone (merged into another by a late event), so is its share.
    new = dict(row._mapping) if row is not None else None
    old_row = (
        await session.execute(select(_facts).where(_facts.c.session_id == session_id))
    ).first()
    old = dict(old_row._mapping) if old_row is not None else None
    if old == new:
        return False
    fact = new or old
    assert fact is not None  # both None is equal, handled above
    delta = _Delta({})
    if old is not None:
        _contributions(old, delta, -1)
    if new is not None:
        _contributions(new, delta, 1)
    unique, plays_by_item = await _apply_media_user(session, old, new)
    for (kind, media_id), change in unique.items():
        delta.add(
            _t(PlayStatistics),
            {"media_type": kind, "media_id": media_id},
            {"unique_users": change},
            1,
        )
    touched = {
        (_t(PlayStatistics), (("media_id", fact["media_id"]), ("media_type", fact["media_type"]))),
        (_t(UserTotals), (("user_id", fact["user_id"]),)),
    }
    statements: list[Any]
    if new is not None:
        fact_insert = insert(_facts).values(**new)
        statements = [
            fact_insert.on_conflict_do_update(
                index_elements=["session_id"],
                set_={c: fact_insert.excluded[c] for c in FACT_COLUMNS if c != "session_id"},
            )
        ]
    else:
        statements = [delete(_facts).where(_facts.c.session_id == session_id)]
    statements += await _apply_user_tops(session, fact["user_id"], plays_by_item)
    for (table, keys), values in delta.values.items():
        nonzero = {c: v for c, v in values.items() if v}
        played_at = (
            new["started_at"]
            if new is not None and new["counted"] and (table, keys) in touched
            else None
        )
        if nonzero or played_at is not None:
            statements.append(_upsert_add(table, dict(keys), nonzero, played_at))
    # Data-modifying CTEs: every upsert in one statement (each touches a different row).
    ctes = [statement.returning(literal(1)).cte(f"u{i}") for i, statement in enumerate(statements)]
    await session.execute(
        select(func.count()).select_from(union_all(*(select(c) for c in ctes)).subquery())
    )
    if any(plays < 0 for plays in plays_by_item.values()):
        await session.execute(
            delete(_t(UserTops)).where(UserTops.user_id == fact["user_id"], UserTops.plays <= 0)
        )
    return True


async def stale_sessions(session: AsyncSession, since: datetime) -> list[uuid.UUID]:
    """Finished sessions since ``since`` whose fact is missing or differs from the raw row."""
    rows = await session.execute(
        text(
            f"SELECT d.session_id FROM ({FACT_SELECT} AND s.last_event_at >= :since) d "
            "LEFT JOIN shared.analytics_play_facts f ON f.session_id = d.session_id "
            "WHERE f.session_id IS NULL OR (f.played_ms, f.counted, f.local_day, f.utc_day, "
            "f.local_hour, f.client, f.device, f.completed) IS DISTINCT FROM (d.played_ms, "
            "d.counted, d.local_day, d.utc_day, d.local_hour, d.client, d.device, d.completed)"
        ),
        {"since": since},
    )
    return [r[0] for r in rows]
