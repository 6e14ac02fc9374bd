# ruff: noqa: S608  -- SQL text is assembled from module constants only; values are bound.
"""The precomputed popular/top/trending rankings of every window, with the titles and the
library's size stored beside them (see ``refresh_rankings``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, func, literal, select, text, union_all
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.analytics.models import AnalyticsState
from revenge.library import service as library
from revenge.library.models import Album, Artist, Episode, Movie, Series, Track

WINDOWS = (7, 30, 90, 365)
RANKED_SCOPES = ("all", "movie", "episode", "track")
RANKED_METRICS = ("plays", "users", "duration", "trending")
RANKING_SIZE = 100

# Trending: plays in the window (r) against plays in the window before it (p):
#   score = (r - p) / sqrt(p + 1)
# growth measured in "standard deviations" of a Poisson count, so 0 → 5 plays outranks
# 100 → 104 but a big hit that keeps growing still rises. Only items with r > p trend.
RANKING_WINDOW_SQL = """
CREATE TEMP TABLE analytics_window ON COMMIT DROP AS
SELECT coalesce(r.media_type, p.media_type) AS media_type, coalesce(r.media_id, p.media_id) AS media_id,
       coalesce(r.plays, 0) AS plays, coalesce(r.duration_ms, 0) AS duration_ms,
       coalesce(u.users, 0) AS unique_users, coalesce(p.plays, 0) AS previous_plays,
       (coalesce(r.plays, 0) - coalesce(p.plays, 0)) / sqrt(coalesce(p.plays, 0) + 1.0) AS score
FROM (SELECT media_type, media_id, sum(plays) AS plays, sum(duration_ms) AS duration_ms
      FROM shared.analytics_media_daily WHERE day BETWEEN :start AND :end GROUP BY 1, 2) r
FULL JOIN (SELECT media_type, media_id, sum(plays) AS plays
      FROM shared.analytics_media_daily WHERE day BETWEEN :prev_start AND :prev_end GROUP BY 1, 2) p
  ON p.media_type = r.media_type AND p.media_id = r.media_id
LEFT JOIN (SELECT media_type, media_id, users_{days} AS users FROM analytics_window_users) u
  ON u.media_type = r.media_type AND u.media_id = r.media_id
"""
# Unique users of every window from one pass over the facts: who played what, and the last
# day they played it within the widest window (ending today). A user played an item within
# a window ending today exactly when their last day is on or after the window's start.
WHO_PLAYED_WHAT_LAST_SQL = """
SELECT media_type, media_id, user_id, max(utc_day) AS last_day
FROM shared.analytics_play_facts WHERE counted AND utc_day BETWEEN :start AND :end
GROUP BY 1, 2, 3
"""


def window_users_sql(source: str, windows: Iterable[int]) -> str:
    """Unique users per item of every window (``users_<days>``) from ``source``'s rows
    (media_type, media_id, user_id, last_day): who played what, last within the widest window
    (ending today). A user played an item within a window ending today exactly when their last
    day is on or after the window's start (bound as ``:start_<days>``)."""
    counts = ", ".join(
        f"count(*) FILTER (WHERE last_day >= :start_{d}) AS users_{d}" for d in windows
    )
    return (
        "CREATE TEMP TABLE analytics_window_users ON COMMIT DROP AS "
        f"SELECT media_type, media_id, {counts} FROM ({source}) x GROUP BY 1, 2"
    )


def window_starts(today: date, windows: Iterable[int]) -> dict[str, date]:
    return {f"start_{d}": window_days(today, d)[0] for d in windows}


METRIC_ORDER = {
    "plays": "plays DESC, unique_users DESC",
    "users": "unique_users DESC, plays DESC",
    "duration": "duration_ms DESC, plays DESC",
    "trending": "score DESC, plays DESC",
}


def window_days(today: date, days: int) -> tuple[date, date]:
    return today - timedelta(days=days - 1), today


async def refresh_rankings(
    session: AsyncSession,
    now: datetime,
    windows: Iterable[int] = WINDOWS,
    *,
    window_users_ready: bool = False,
) -> None:
    """Recompute the ranked lists of every window, ending on ``now``'s UTC day.
    ``window_users_ready``: a rebuild in this transaction left ``analytics_window_users``
    for these windows."""
    today = now.astimezone(UTC).date()
    windows = list(windows)
    if not window_users_ready:
        await session.execute(text("DROP TABLE IF EXISTS analytics_window_users"))
        await session.execute(
            text(window_users_sql(WHO_PLAYED_WHAT_LAST_SQL, windows)),
            {
                "start": window_days(today, max(windows))[0],
                "end": today,
                **window_starts(today, windows),
            },
        )
    for days in windows:
        start, end = window_days(today, days)
        params = {
            "start": start,
            "end": end,
            "prev_start": start - timedelta(days=days),
            "prev_end": start - timedelta(days=1),
        }
        await session.execute(text("DROP TABLE IF EXISTS analytics_window"))
        await session.execute(text(RANKING_WINDOW_SQL.replace("{days}", str(days))), params)
        await session.execute(
            text("DELETE FROM shared.analytics_rankings WHERE window_days = :d"), {"d": days}
        )
        for scope in RANKED_SCOPES:
            for metric, order in METRIC_ORDER.items():
                condition = "plays > previous_plays" if metric == "trending" else "plays > 0"
                if scope != "all":
                    condition += " AND media_type = :scope"
                await session.execute(
                    text(
                        "INSERT INTO shared.analytics_rankings (window_days, scope, metric, rank, "
                        "media_type, media_id, plays, unique_users, duration_ms, previous_plays, "
                        "score, computed_at) SELECT :days, :scope_name, :metric, "
                        f"row_number() OVER (ORDER BY {order}, media_type, media_id), media_type, "
                        "media_id, plays, unique_users, duration_ms, previous_plays, score, :now "
                        f"FROM analytics_window WHERE {condition} "
                        f"ORDER BY {order}, media_type, media_id LIMIT {RANKING_SIZE}"
                    ),
                    {
                        "days": days,
                        "scope_name": scope,
                        "scope": scope,
                        "metric": metric,
                        "now": now,
                    },
                )
        await session.execute(text("DROP TABLE analytics_window"))
    await session.execute(text("DROP TABLE analytics_window_users"))
    await _store_titles(session)
    # The marker row lets readers tell "nothing played" from "never computed".
    await _set_state(session, "rankings", now, None)
    # Counting a large library takes longer than every other overview query together.
    await _set_state(session, "library", now, await library_size(session))


async def _set_state(
    session: AsyncSession, name: str, now: datetime, data: dict[str, Any] | None
) -> None:
    statement = insert(cast(Table, AnalyticsState.__table__)).values(
        name=name, updated_at=now, data=data
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["name"],
            set_={"updated_at": statement.excluded.updated_at, "data": statement.excluded.data},
        )
    )


async def library_size(session: AsyncSession) -> dict[str, int]:
    counts = [
        select(literal(name), func.count()).select_from(model)
        for name, model in (
            ("movies", Movie),
            ("series", Series),
            ("episodes", Episode),
            ("artists", Artist),
            ("albums", Album),
            ("tracks", Track),
        )
    ]
    return {r[0]: int(r[1]) for r in await session.execute(union_all(*counts))}


async def _store_titles(session: AsyncSession) -> None:
    rows = await session.execute(
        text("SELECT DISTINCT media_type, media_id FROM shared.analytics_rankings")
    )
    titles = await library.describe_items(session, [(r[0], r[1]) for r in rows])
    if titles:
        await session.execute(
            text(
                "UPDATE shared.analytics_rankings r SET title = v.title FROM unnest("
                "CAST(:types AS text[]), CAST(:ids AS uuid[]), CAST(:titles AS text[])) "
                "AS v(media_type, media_id, title) "
                "WHERE r.media_type = v.media_type AND r.media_id = v.media_id"
            ),
            {
                "types": [k[0] for k in titles],
                "ids": [k[1] for k in titles],
                "titles": list(titles.values()),
            },
        )
