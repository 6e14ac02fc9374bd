"""Analytics use cases: a user's own statistics, the admin's server view, and keeping the
rollups current. Reads use rollups only (see repository.py); services never commit. Reports
live in ``reports`` (``report`` and ``report_csv`` are importable from here too)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from revenge.analytics import parallel_rebuild, rankings, repository, rollups, tasks
from revenge.analytics import rebuild as rebuilding
from revenge.analytics.reports import ReportDocument as ReportDocument
from revenge.analytics.reports import report as report
from revenge.analytics.reports import report_csv as report_csv
from revenge.analytics.schemas import (
    Bucket,
    ClientUsage,
    DailyPlays,
    HistoryPoint,
    Interval,
    MediaStatsRead,
    MediaTypeTotals,
    MyHistoryRead,
    MyStatsRead,
    NamedCount,
    OverviewRead,
    PeriodTotals,
    PlayableType,
    PopularRead,
    RankedItem,
    RankingsRefreshRead,
    RankMetric,
    TrendingItem,
    UserUsage,
    Window,
)
from revenge.core import clock
from revenge.core.db import Database
from revenge.core.deps import Principal
from revenge.core.errors import NotFound, Unprocessable
from revenge.core.media import MediaType
from revenge.library import service as library

MAX_HISTORY_POINTS = 1000
TYPE_COLUMNS = {
    "movie": ("movies_watched", "movie_time_ms"),
    "episode": ("episodes_watched", "episode_time_ms"),
    "track": ("music_tracks_played", "music_time_ms"),
}


def local_today(timezone: str, now: datetime | None = None) -> date:
    return (now or clock.utcnow()).astimezone(ZoneInfo(timezone)).date()


# --- a user's own statistics -------------------------------------------------------------


async def my_stats(session: AsyncSession, principal: Principal) -> MyStatsRead:
    today = local_today(principal.timezone)
    starts = {p: rollups.period_start(p, today) for p in (*rollups.PERIODS, "all")}
    found, streak, tops = await repository.user_summary(session, principal.id, starts, today)
    periods = [
        PeriodTotals(period=period, period_start=start, **found.get(period, {}))
        for period, start in starts.items()
    ]

    def named(rows: list) -> list[NamedCount]:
        return [NamedCount(id=i, name=n, plays=p) for i, n, p in rows]

    return MyStatsRead(
        timezone=principal.timezone,
        periods=periods,
        top_genres=named(tops["genre"]),
        top_artists=named(tops["artist"]),
        top_series=named(tops["series"]),
        current_streak_days=streak,
    )


async def my_history(
    session: AsyncSession,
    principal: Principal,
    interval: Interval,
    start: date | None,
    end: date | None,
    media_type: PlayableType | None,
) -> MyHistoryRead:
    """The caller's plays and time per local day/week/month between ``start`` and ``end``."""
    end = end or local_today(principal.timezone)
    start = start or end - timedelta(days=29)
    if start > end:
        raise Unprocessable("analytics.invalid_range")
    first = rollups.period_start(interval.value, start)
    buckets: list[date] = []
    cursor = first
    while cursor <= end:
        buckets.append(cursor)
        if len(buckets) > MAX_HISTORY_POINTS:
            raise Unprocessable("analytics.range_too_large", limit=MAX_HISTORY_POINTS)
        cursor = rollups.next_period_start(interval.value, cursor)
    rows = {
        r.period_start: r
        for r in await repository.user_series(session, principal.id, interval.value, first, end)
    }
    points = []
    for bucket in buckets:
        row = rows.get(bucket)
        plays = watch = 0
        if row is not None:
            if media_type is None:
                plays = row.movies_watched + row.episodes_watched + row.music_tracks_played
                watch = row.total_watch_time_ms
            else:
                count_column, time_column = TYPE_COLUMNS[media_type]
                plays, watch = getattr(row, count_column), getattr(row, time_column)
        points.append(HistoryPoint(period_start=bucket, plays=plays, watch_time_ms=watch))
    return MyHistoryRead(
        interval=interval, from_=start, to=end, media_type=media_type, points=points
    )


# --- server-wide ---------------------------------------------------------------------------


def _window(window: Window, now: datetime | None = None) -> tuple[date, date]:
    return rankings.window_days((now or clock.utcnow()).astimezone(UTC).date(), window.days)


async def overview(session: AsyncSession, window: Window) -> OverviewRead:
    start, end = _window(window)
    by_type = await repository.totals_by_type(session, start, end)
    hours, weekdays = await repository.plays_by_hour(session, start, end)
    since = datetime(start.year, start.month, start.day, tzinfo=UTC)
    return OverviewRead(
        window=window,
        start=start,
        end=end,
        plays=sum(r[1] for r in by_type),
        watch_time_ms=sum(r[2] for r in by_type),
        by_media_type=[
            MediaTypeTotals(media_type=t, plays=p, watch_time_ms=d) for t, p, d in by_type
        ],
        active_users=await repository.active_users(session, since),
        total_users=await repository.user_count(session),
        library=await repository.library_size(session),
        plays_by_hour=[Bucket(key=h, plays=hours.get(h, 0)) for h in range(24)],
        plays_by_weekday=[Bucket(key=d, plays=weekdays.get(d, 0)) for d in range(1, 8)],
        plays_by_day=await _plays_by_day(session, start, end),
        clients=[
            ClientUsage(client=c or None, device=d or None, plays=int(p), watch_time_ms=int(ms))
            for c, d, p, ms in await repository.clients(session, start, end)
        ],
    )


async def _plays_by_day(session: AsyncSession, start: date, end: date) -> list[DailyPlays]:
    days = {
        start + timedelta(days=n): DailyPlays(day=start + timedelta(days=n))
        for n in range((end - start).days + 1)
    }
    for day, media_type, plays in await repository.plays_by_day(session, start, end):
        if media_type in TYPE_COLUMNS:
            setattr(days[day], media_type, plays)
    return list(days.values())


async def popular(
    session: AsyncSession,
    window: Window,
    media_type: PlayableType | None,
    metric: RankMetric,
    limit: int,
) -> PopularRead:
    """Top (plays), popular (unique users) or longest-watched items, plus trending ones, from
    the rankings the aggregation job keeps (``computed_at`` says how fresh they are,
    ``refresh_due_at`` when the plays since will be ranked)."""
    scope = media_type or "all"
    rows = await repository.rankings(session, window.days, scope, metric.value, limit)
    ranked = [r for r in rows if r.metric == metric.value]
    trending = [r for r in rows if r.metric == "trending"]
    computed_at = rows[0].computed_at if rows else await repository.state(session, "rankings")
    artwork = await library.artwork_for(session, {(r.media_type, r.media_id) for r in rows})

    def common(r: Any) -> dict[str, Any]:
        return {
            "rank": r.rank,
            "media_type": r.media_type,
            "media_id": r.media_id,
            "title": r.title,
            "plays": r.plays,
            "unique_users": r.unique_users,
            "duration_ms": r.duration_ms,
            "artwork": artwork.get((MediaType(r.media_type), r.media_id)),
        }

    return PopularRead(
        window=window,
        media_type=media_type,
        metric=metric,
        computed_at=computed_at,
        refresh_due_at=await repository.job_due_at(session, tasks.REFRESH_RANKINGS_LOCK),
        items=[RankedItem(**common(r)) for r in ranked],
        trending=[
            TrendingItem(**common(r), previous_plays=r.previous_plays, score=r.score)
            for r in trending
        ],
    )


async def users_usage(
    session: AsyncSession, sort: str, limit: int, offset: int
) -> tuple[list[UserUsage], int]:
    rows, total = await repository.users_usage(session, sort, limit, offset)
    items = [
        UserUsage(
            user_id=r[0],
            username=r[1],
            display_name=r[2] or None,
            plays=int(r[3]),
            watch_time_ms=int(r[4]),
            movies_watched=int(r[5]),
            episodes_watched=int(r[6]),
            music_tracks_played=int(r[7]),
            first_played=r[8],
            last_seen=r[9],
        )
        for r in rows
    ]
    return items, total


async def media_stats(
    session: AsyncSession, media_type: PlayableType, media_id: uuid.UUID, window: Window
) -> MediaStatsRead:
    item = await library.get_playable(session, MediaType(media_type), media_id)
    if item is None:
        raise NotFound("library.item_not_found")
    stats = await repository.media_statistics(session, media_type, media_id)
    start, end = _window(window)
    days = {
        d: (p, ms)
        for d, p, ms in await repository.media_days(session, media_type, media_id, start, end)
    }
    series = []
    day = start
    while day <= end:
        plays, ms = days.get(day, (0, 0))
        series.append(HistoryPoint(period_start=day, plays=plays, watch_time_ms=ms))
        day += timedelta(days=1)
    total = stats.total_plays if stats else 0
    return MediaStatsRead(
        media_type=media_type,
        media_id=media_id,
        title=item.title,
        total_plays=total,
        unique_users=stats.unique_users if stats else 0,
        total_duration_ms=stats.total_duration_ms if stats else 0,
        completion_rate=(stats.completed_plays / total) if stats and total else None,
        first_played=stats.first_played if stats else None,
        last_played=stats.last_played if stats else None,
        window=window,
        plays_over_time=series,
    )


# --- keeping the rollups current -----------------------------------------------------------


async def record_finished_play(session: AsyncSession, session_id: uuid.UUID) -> bool:
    """Apply a finished session's (changed) contribution; safe to run any number of times."""
    return await rollups.apply_session(session, session_id)


async def aggregate(session: AsyncSession, lookback: timedelta, now: datetime | None = None) -> int:
    """Reconcile sessions active within ``lookback`` with their facts (a missed or repeated
    event changes nothing here), then refresh the rankings. Returns sessions corrected."""
    now = now or clock.utcnow()
    corrected = 0
    for session_id in await rollups.stale_sessions(session, now - lookback):
        corrected += int(await rollups.apply_session(session, session_id))
    await rankings.refresh_rankings(session, now)
    return corrected


async def rankings_refresh_pending(session: AsyncSession) -> bool:
    """Whether a rankings refresh is already waiting. Checked before deferring because a
    queueing-lock conflict inside ``core.jobs.defer`` leaves the transaction aborted."""
    return await repository.job_waiting(session, tasks.REFRESH_RANKINGS_LOCK)


async def refresh_rankings_now(session: AsyncSession) -> RankingsRefreshRead:
    """Rank the plays that arrived since the last refresh now instead of when the waiting
    refresh is due (the admin asked; the plays are in the totals already)."""
    due = await repository.bring_forward(session, tasks.REFRESH_RANKINGS_LOCK)
    if due is None:
        await tasks.schedule_rankings_refresh(session, delay_seconds=0)
        due = clock.utcnow()
    return RankingsRefreshRead(refresh_due_at=due)


async def refresh_rankings(session: AsyncSession, now: datetime | None = None) -> None:
    await rankings.refresh_rankings(session, now or clock.utcnow())


async def rebuild(
    session: AsyncSession,
    since: date | None,
    progress=lambda step: None,
    helpers: Database | None = None,
    memory: str = rebuilding.DEFAULT_MEMORY,
) -> None:
    """Re-derive the statistics from the raw sessions (from ``since`` on; all when None).
    A full rebuild with ``helpers`` (a database to open two more connections on) builds the
    tables side by side and swaps them in; otherwise it runs in ``session`` alone. ``memory``:
    work_mem and maintenance_work_mem of each connection (``REVENGE_ANALYTICS_REBUILD_MEMORY``)."""
    now = clock.utcnow()
    today = now.astimezone(UTC).date()
    if since is None and helpers is not None:
        await parallel_rebuild.rebuild_full(session, helpers, progress, today, memory)
    else:
        await rebuilding.rebuild(session, since, progress, rankings_day=today, memory=memory)
    await rankings.refresh_rankings(session, now, window_users_ready=True)
