"""Reading the statistics: every query touches rollups or precomputed rows only, never the raw
sessions, so answers stay fast however long the history grows."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.analytics import rankings as ranking_refresh
from revenge.analytics.models import (
    AnalyticsState,
    DailyClients,
    DailyHours,
    DailyTotals,
    MediaDaily,
    MediaPeriods,
    PlayStatistics,
    Ranking,
    ReportCache,
    UserStatistics,
    UserTotals,
)
from revenge.users.models import User

TOP_LIST_SIZE = 10


USER_ROW = (
    UserStatistics.period,
    UserStatistics.period_start,
    UserStatistics.movies_watched,
    UserStatistics.episodes_watched,
    UserStatistics.music_tracks_played,
    UserStatistics.total_watch_time_ms,
    UserStatistics.movie_time_ms,
    UserStatistics.episode_time_ms,
    UserStatistics.music_time_ms,
)


# Everything /users/me/stats shows, in one round trip: the period rows (five heap rows), the
# current streak (an index-only walk over the day rows: consecutive days ending on the anchor
# match ``anchor - (n - 1)`` until the first gap) and three top-ten lists (covering index).
USER_SUMMARY_SQL = f"""
WITH days AS (
    SELECT period_start, row_number() OVER (ORDER BY period_start DESC) AS n
    FROM shared.user_statistics
    WHERE user_id = :user AND period = 'day' AND period_start <= :today
), anchor AS (
    SELECT CASE WHEN EXISTS (SELECT 1 FROM days WHERE period_start = :today)
                THEN CAST(:today AS date) ELSE CAST(:today AS date) - 1 END AS day
)
SELECT
    (SELECT coalesce(json_agg(json_build_object(
         'period', period, 'movies_watched', movies_watched,
         'episodes_watched', episodes_watched, 'music_tracks_played', music_tracks_played,
         'total_watch_time_ms', total_watch_time_ms)), '[]')
     FROM shared.user_statistics
     WHERE user_id = :user AND (period, period_start) IN (VALUES {{periods}}))::text,
    (SELECT count(*) FROM days, anchor WHERE days.period_start = anchor.day - (days.n - 1)::int),
    (SELECT coalesce(json_agg(json_build_array(k.kind, t.key, t.name, t.plays)), '[]')
     FROM (VALUES ('genre'), ('artist'), ('series')) k(kind) CROSS JOIN LATERAL
          (SELECT key, name, plays FROM shared.analytics_user_tops
           WHERE user_id = :user AND kind = k.kind AND plays > 0
           ORDER BY plays DESC, name LIMIT {TOP_LIST_SIZE}) t)::text
"""  # noqa: S608 -- constants only; values are bound


async def user_summary(
    session: AsyncSession, user_id: uuid.UUID, starts: dict[str, date], today: date
) -> tuple[dict[str, dict[str, int]], int, dict[str, list[tuple[str | None, str, int]]]]:
    """The user's rows of the given periods (by period), their current streak ending on the
    local day ``today`` (or the day before: today is not over), and their top genres,
    artists and series (the first rows of each kind: a listener's run into thousands)."""
    values = ", ".join(f"(:p{i}, CAST(:s{i} AS date))" for i in range(len(starts)))
    params: dict[str, Any] = {"user": user_id, "today": today}
    for i, (period, start) in enumerate(starts.items()):
        params |= {f"p{i}": period, f"s{i}": start}
    periods_json, streak, tops_json = (
        await session.execute(text(USER_SUMMARY_SQL.replace("{periods}", values)), params)
    ).one()
    periods = {row.pop("period"): row for row in json.loads(periods_json)}
    tops: dict[str, list[tuple[str | None, str, int]]] = {"genre": [], "artist": [], "series": []}
    for kind, key, name, plays in json.loads(tops_json):
        tops[kind].append((None if kind == "genre" else key, name, int(plays)))
    return periods, int(streak), tops


async def user_series(
    session: AsyncSession, user_id: uuid.UUID, period: str, start: date, end: date
) -> list[Any]:
    rows = await session.execute(
        select(*USER_ROW)
        .where(
            UserStatistics.user_id == user_id,
            UserStatistics.period == period,
            UserStatistics.period_start.between(start, end),
        )
        .order_by(UserStatistics.period_start)
    )
    return list(rows)


async def totals_by_type(
    session: AsyncSession, start: date, end: date
) -> list[tuple[str, int, int]]:
    rows = await session.execute(
        select(
            DailyTotals.media_type, func.sum(DailyTotals.plays), func.sum(DailyTotals.duration_ms)
        )
        .where(DailyTotals.day.between(start, end))
        .group_by(DailyTotals.media_type)
        .order_by(DailyTotals.media_type)
    )
    return [(r[0], int(r[1]), int(r[2])) for r in rows]


async def plays_by_day(
    session: AsyncSession, start: date, end: date
) -> list[tuple[date, str, int]]:
    """Counted plays per UTC day and media type (days without plays are absent)."""
    rows = await session.execute(
        select(DailyTotals.day, DailyTotals.media_type, DailyTotals.plays)
        .where(DailyTotals.day.between(start, end), DailyTotals.plays > 0)
        .order_by(DailyTotals.day, DailyTotals.media_type)
    )
    return [(r[0], r[1], int(r[2])) for r in rows]


async def active_users(session: AsyncSession, since: datetime) -> int:
    return int(
        (
            await session.execute(
                select(func.count()).select_from(UserTotals).where(UserTotals.last_played >= since)
            )
        ).scalar_one()
    )


async def user_count(session: AsyncSession) -> int:
    return int((await session.execute(select(func.count()).select_from(User))).scalar_one())


async def library_size(session: AsyncSession) -> dict[str, int]:
    """As counted at the last rankings refresh; counted now when never refreshed."""
    cached = (
        await session.execute(select(AnalyticsState.data).where(AnalyticsState.name == "library"))
    ).scalar_one_or_none()
    if cached is not None:
        return {k: int(v) for k, v in cached.items()}
    return await ranking_refresh.library_size(session)


async def plays_by_hour(session: AsyncSession, start: date, end: date) -> tuple[dict, dict]:
    rows = (
        await session.execute(
            select(DailyHours.local_hour, DailyHours.local_dow, func.sum(DailyHours.plays))
            .where(DailyHours.day.between(start, end))
            .group_by(DailyHours.local_hour, DailyHours.local_dow)
        )
    ).all()
    hours: dict[int, int] = {}
    days: dict[int, int] = {}
    for hour, dow, plays in rows:
        hours[hour] = hours.get(hour, 0) + int(plays)
        days[dow] = days.get(dow, 0) + int(plays)
    return hours, days


async def clients(session: AsyncSession, start: date, end: date, limit: int = 20) -> list[Any]:
    plays = func.sum(DailyClients.plays).label("plays")
    rows = await session.execute(
        select(DailyClients.client, DailyClients.device, plays, func.sum(DailyClients.duration_ms))
        .where(DailyClients.day.between(start, end))
        .group_by(DailyClients.client, DailyClients.device)
        .order_by(plays.desc(), DailyClients.client, DailyClients.device)
        .limit(limit)
    )
    return list(rows)


async def rankings(
    session: AsyncSession, days: int, scope: str, metric: str, limit: int
) -> list[Ranking]:
    """The ranking by ``metric`` and the trending one, in one query."""
    rows = await session.execute(
        select(Ranking)
        .where(
            Ranking.window_days == days,
            Ranking.scope == scope,
            Ranking.metric.in_([metric, "trending"]),
            Ranking.rank <= limit,
        )
        .order_by(Ranking.metric, Ranking.rank)
    )
    return list(rows.scalars())


async def state(session: AsyncSession, name: str) -> datetime | None:
    return (
        await session.execute(select(AnalyticsState.updated_at).where(AnalyticsState.name == name))
    ).scalar_one_or_none()


async def users_usage(
    session: AsyncSession, order: str, limit: int, offset: int
) -> tuple[list[Any], int]:
    totals = UserStatistics.__table__.alias("all_time")
    plays = func.coalesce(UserTotals.plays, 0).label("plays")
    watch = func.coalesce(UserTotals.duration_ms, 0).label("watch_time_ms")
    orders: dict[str, list[Any]] = {
        "plays": [plays.desc(), User.username],
        "watch_time": [watch.desc(), User.username],
        "last_seen": [UserTotals.last_played.desc().nulls_last(), User.username],
        "username": [User.username],
    }
    # The page of users first (10k rows sort in a few ms), then their all-time row by key:
    # joining user_statistics before paging would scan every period row of every user.
    page = (
        select(
            User.id,
            User.username,
            User.display_name,
            plays,
            watch,
            UserTotals.first_played,
            UserTotals.last_played,
            func.row_number().over(order_by=orders[order]).label("position"),
        )
        .select_from(User)
        .outerjoin(UserTotals, UserTotals.user_id == User.id)
        .order_by(*orders[order])
        .limit(limit)
        .offset(offset)
        .subquery()
    )
    query = (
        select(
            page.c.id,
            page.c.username,
            page.c.display_name,
            page.c.plays,
            page.c.watch_time_ms,
            func.coalesce(totals.c.movies_watched, 0),
            func.coalesce(totals.c.episodes_watched, 0),
            func.coalesce(totals.c.music_tracks_played, 0),
            page.c.first_played,
            page.c.last_played,
        )
        .outerjoin(
            totals,
            and_(
                totals.c.user_id == page.c.id,
                totals.c.period == "all",
                totals.c.period_start == date(1970, 1, 1),
            ),
        )
        .order_by(page.c.position)
    )
    rows = list(await session.execute(query))
    return rows, await user_count(session)


async def media_statistics(
    session: AsyncSession, media_type: str, media_id: uuid.UUID
) -> PlayStatistics | None:
    return await session.get(PlayStatistics, (media_type, media_id))


async def media_days(
    session: AsyncSession, media_type: str, media_id: uuid.UUID, start: date, end: date
) -> list[Any]:
    rows = await session.execute(
        select(MediaDaily.day, MediaDaily.plays, MediaDaily.duration_ms).where(
            MediaDaily.media_type == media_type,
            MediaDaily.media_id == media_id,
            MediaDaily.day.between(start, end),
        )
    )
    return list(rows)


async def report_users(session: AsyncSession, period: str, start: date) -> tuple[str, dict]:
    """Every user's row of one period as a JSON array (built by PostgreSQL, validated in one
    call: ten thousand rows), and how many of them played each media type."""
    row = (
        await session.execute(
            text(
                "SELECT coalesce(json_agg(json_build_object('user_id', u.id, "
                "'username', u.username, 'plays', s.movies_watched + s.episodes_watched "
                "+ s.music_tracks_played, 'watch_time_ms', s.total_watch_time_ms, "
                "'movies_watched', s.movies_watched, 'episodes_watched', s.episodes_watched, "
                "'music_tracks_played', s.music_tracks_played) "
                "ORDER BY s.total_watch_time_ms DESC, u.username), '[]')::text, "
                "count(*) FILTER (WHERE s.movies_watched > 0), "
                "count(*) FILTER (WHERE s.episodes_watched > 0), "
                "count(*) FILTER (WHERE s.music_tracks_played > 0) "
                "FROM shared.user_statistics s JOIN shared.users u ON u.id = s.user_id "
                "WHERE s.period = :period AND s.period_start = :start"
            ),
            {"period": period, "start": start},
        )
    ).one()
    return row[0], {"movie": int(row[1]), "episode": int(row[2]), "track": int(row[3])}


async def cached_report(
    session: AsyncSession, period: str, start: date, end: date
) -> tuple[str, tuple[str, str] | None]:
    """The current stamp of the report of ``start``..``end``, and the cached report (users and
    head JSON) if the cache holds one with that stamp (one round trip).

    The stamp is what the report depends on: the change counters of its UTC days, one day
    wider on each side (a local day starts up to 14 h before or after its UTC day), and a
    64-bit hash sum over every user's id and name (renamed, added and deleted users; order
    free, so no sort: ~3 ms for ten thousand users)."""
    row = (
        await session.execute(
            text(
                "WITH stamp AS (SELECT (SELECT coalesce(sum(changes), 0) "
                "FROM shared.analytics_daily_totals WHERE day BETWEEN :lo AND :hi) || '/' || "
                "(SELECT count(*) || '/' || coalesce(sum(hashtextextended(id::text || '/' || "
                "username, 0)), 0) FROM shared.users) AS value) "
                "SELECT stamp.value, c.users_json, c.head_json FROM stamp "
                "LEFT JOIN shared.analytics_report_cache c ON c.period = :period "
                "AND c.period_start = :start AND c.stamp = stamp.value"
            ),
            {
                "lo": start - timedelta(days=1),
                "hi": end + timedelta(days=1),
                "period": period,
                "start": start,
            },
        )
    ).one()
    stamp, users_json, head_json = row
    return stamp, None if users_json is None else (users_json, head_json)


async def store_report(
    session: AsyncSession, period: str, start: date, stamp: str, users_json: str, head_json: str
) -> None:
    values = {"stamp": stamp, "users_json": users_json, "head_json": head_json}
    statement = insert(ReportCache).values(period=period, period_start=start, **values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["period", "period_start"], set_={**values, "built_at": func.now()}
        )
    )


async def top_content(session: AsyncSession, start: date, end: date, limit: int) -> list[Any]:
    plays = func.sum(MediaDaily.plays).label("plays")
    rows = await session.execute(
        select(MediaDaily.media_type, MediaDaily.media_id, plays, func.sum(MediaDaily.duration_ms))
        .where(MediaDaily.day.between(start, end))
        .group_by(MediaDaily.media_type, MediaDaily.media_id)
        .order_by(plays.desc(), MediaDaily.media_type, MediaDaily.media_id)
        .limit(limit)
    )
    return list(rows)


async def job_waiting(session: AsyncSession, queueing_lock: str) -> bool:
    row = await session.execute(
        text(
            "SELECT 1 FROM procrastinate_jobs WHERE queueing_lock = :lock AND status = 'todo' "
            "LIMIT 1"
        ),
        {"lock": queueing_lock},
    )
    return row.first() is not None


async def job_due_at(session: AsyncSession, queueing_lock: str) -> datetime | None:
    """When the waiting (or running) job of ``queueing_lock`` runs, None when there is none."""
    row = await session.execute(
        text(
            "SELECT coalesce(scheduled_at, now()) FROM procrastinate_jobs "
            "WHERE queueing_lock = :lock AND status IN ('todo', 'doing') "
            "ORDER BY status = 'doing' DESC, scheduled_at NULLS FIRST LIMIT 1"
        ),
        {"lock": queueing_lock},
    )
    return row.scalar_one_or_none()


async def bring_forward(session: AsyncSession, queueing_lock: str) -> datetime | None:
    """Let the waiting job of ``queueing_lock`` run now instead of at its scheduled time;
    returns when it runs now, None when none waits. (procrastinate has no call for it; the
    worker picks up any waiting job whose ``scheduled_at`` has passed.)"""
    row = await session.execute(
        text(
            "UPDATE procrastinate_jobs SET scheduled_at = least(scheduled_at, now()) "
            "WHERE queueing_lock = :lock AND status = 'todo' RETURNING scheduled_at"
        ),
        {"lock": queueing_lock},
    )
    return row.scalar_one_or_none()


async def top_content_of_period(
    session: AsyncSession, period: str, start: date, limit: int
) -> list[Any]:
    """A calendar month's or year's top items, read in index order."""
    rows = await session.execute(
        select(
            MediaPeriods.media_type,
            MediaPeriods.media_id,
            MediaPeriods.plays,
            MediaPeriods.duration_ms,
        )
        .where(MediaPeriods.period == period, MediaPeriods.period_start == start)
        .order_by(MediaPeriods.plays.desc(), MediaPeriods.media_type, MediaPeriods.media_id)
        .limit(limit)
    )
    return list(rows)
