"""Analytics use cases: a user's own statistics, the admin's server view, reports, and keeping
the rollups current. Reads use rollups only (see repository.py); services never commit."""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import TypeAdapter
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.analytics import parallel_rebuild, repository, rollups
from revenge.analytics import rebuild as rebuilding
from revenge.analytics.schemas import (
    Bucket,
    ClientUsage,
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
    RankMetric,
    ReportContentRow,
    ReportMediaTypeRow,
    ReportPeriod,
    ReportRead,
    ReportUserRow,
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
REPORT_TOP_CONTENT = 50
PLAYABLE = ("movie", "episode", "track")
TYPE_COLUMNS = {
    "movie": ("movies_watched", "movie_time_ms"),
    "episode": ("episodes_watched", "episode_time_ms"),
    "track": ("music_tracks_played", "music_time_ms"),
}


def local_today(timezone: str, now: datetime | None = None) -> date:
    return (now or clock.utcnow()).astimezone(ZoneInfo(timezone)).date()


def _next_start(interval: str, start: date) -> date:
    if interval == "day":
        return start + timedelta(days=1)
    if interval == "week":
        return start + timedelta(days=7)
    if interval == "month":
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return start.replace(year=start.year + 1)


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
        cursor = _next_start(interval.value, cursor)
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
    return rollups.window_days((now or clock.utcnow()).astimezone(UTC).date(), window.days)


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
        clients=[
            ClientUsage(client=c or None, device=d or None, plays=int(p), watch_time_ms=int(ms))
            for c, d, p, ms in await repository.clients(session, start, end)
        ],
    )


async def popular(
    session: AsyncSession,
    window: Window,
    media_type: PlayableType | None,
    metric: RankMetric,
    limit: int,
) -> PopularRead:
    """Top (plays), popular (unique users) or longest-watched items, plus trending ones, from
    the rankings the aggregation job keeps (``computed_at`` says how fresh they are)."""
    scope = media_type or "all"
    rows = await repository.rankings(session, window.days, scope, metric.value, limit)
    ranked = [r for r in rows if r.metric == metric.value]
    trending = [r for r in rows if r.metric == "trending"]
    computed_at = rows[0].computed_at if rows else await repository.state(session, "rankings")

    def common(r: Any) -> dict[str, Any]:
        return {
            "rank": r.rank,
            "media_type": r.media_type,
            "media_id": r.media_id,
            "title": r.title,
            "plays": r.plays,
            "unique_users": r.unique_users,
            "duration_ms": r.duration_ms,
        }

    return PopularRead(
        window=window,
        media_type=media_type,
        metric=metric,
        computed_at=computed_at,
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
            plays=int(r[2]),
            watch_time_ms=int(r[3]),
            movies_watched=int(r[4]),
            episodes_watched=int(r[5]),
            music_tracks_played=int(r[6]),
            first_played=r[7],
            last_seen=r[8],
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


# --- reports -------------------------------------------------------------------------------


_REPORT_USERS = TypeAdapter(list[ReportUserRow])


def report_bounds(period: ReportPeriod, day: date) -> tuple[date, date]:
    start = rollups.period_start(period.value, day)
    return start, _next_start(period.value, start) - timedelta(days=1)


@dataclass(frozen=True)
class ReportDocument:
    """A report whose user rows stay JSON text as PostgreSQL built them (validated once, when
    built): ten thousand rows are not turned into objects and back on every download."""

    head: ReportRead  # everything but the user rows
    users_json: str

    def to_json(self) -> str:
        head = self.head.model_dump_json()
        # ``period``, ``start`` and ``end`` come before ``users`` and cannot contain the marker.
        marker = '"users":[]'
        if marker not in head:
            raise RuntimeError("the report's JSON no longer has an empty users list to fill")
        return head.replace(marker, f'"users":{self.users_json}', 1)

    def to_model(self) -> ReportRead:
        return self.head.model_copy(update={"users": _REPORT_USERS.validate_json(self.users_json)})


async def report(session: AsyncSession, period: ReportPeriod, day: date | None) -> ReportDocument:
    """The period containing ``day`` (default today, UTC). Per-user rows use each user's own
    local period; per-type and top-content rows use UTC days.

    The report is cached per period and built again when a play of the period or a user
    changed since (``repository.cached_report``); titles are looked up on every read."""
    start, end = report_bounds(period, day or clock.utcnow().astimezone(UTC).date())
    # Read before building: a change committed meanwhile makes the stored stamp look old, so
    # at worst the next read builds again; it can never keep a stale document.
    stamp, cached = await repository.cached_report(session, period.value, start, end)
    if cached is not None:
        users_json, head_json = cached
        head = ReportRead.model_validate_json(head_json)
    else:
        users_json, head = await _build_report(session, period, start, end)
        await repository.store_report(
            session, period.value, start, stamp, users_json, head.model_dump_json()
        )
    items = [(c.media_type, c.media_id) for c in head.top_content]
    titles = await library.describe_items(session, items)
    content = [
        c.model_copy(update={"title": titles.get((c.media_type, c.media_id))})
        for c in head.top_content
    ]
    return ReportDocument(
        head=head.model_copy(update={"top_content": content}), users_json=users_json
    )


async def _build_report(
    session: AsyncSession, period: ReportPeriod, start: date, end: date
) -> tuple[str, ReportRead]:
    """Every user's row as JSON text, and the rest of the report (no titles)."""
    users_json, unique = await repository.report_users(session, period.value, start)
    _REPORT_USERS.validate_json(users_json)  # what PostgreSQL built matches the schema
    by_type = {t: (p, ms) for t, p, ms in await repository.totals_by_type(session, start, end)}
    types = [
        ReportMediaTypeRow(
            media_type=t,
            plays=by_type.get(t, (0, 0))[0],
            watch_time_ms=by_type.get(t, (0, 0))[1],
            unique_users=unique[t],
        )
        for t in PLAYABLE
    ]
    if period in (ReportPeriod.month, ReportPeriod.year):
        top = await repository.top_content_of_period(
            session, period.value, start, REPORT_TOP_CONTENT
        )
    else:
        top = await repository.top_content(session, start, end, REPORT_TOP_CONTENT)
    content = [
        ReportContentRow(media_type=t, media_id=i, title=None, plays=int(p), watch_time_ms=int(ms))
        for t, i, p, ms in top
    ]
    head = ReportRead(
        period=period, start=start, end=end, users=[], media_types=types, top_content=content
    )
    return users_json, head


def report_csv(data: ReportRead) -> str:
    """One sheet, one row per line item; ``section`` tells users, media types and content apart."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "section",
            "id",
            "name",
            "media_type",
            "plays",
            "watch_time_ms",
            "unique_users",
            "movies_watched",
            "episodes_watched",
            "music_tracks_played",
        ]
    )
    for u in data.users:
        writer.writerow(
            [
                "user",
                u.user_id,
                u.username,
                "",
                u.plays,
                u.watch_time_ms,
                "",
                u.movies_watched,
                u.episodes_watched,
                u.music_tracks_played,
            ]
        )
    for t in data.media_types:
        writer.writerow(
            [
                "media_type",
                "",
                "",
                t.media_type,
                t.plays,
                t.watch_time_ms,
                t.unique_users,
                "",
                "",
                "",
            ]
        )
    for c in data.top_content:
        writer.writerow(
            [
                "top_content",
                c.media_id,
                c.title or "",
                c.media_type,
                c.plays,
                c.watch_time_ms,
                "",
                "",
                "",
                "",
            ]
        )
    return out.getvalue()


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
    await rollups.refresh_rankings(session, now)
    return corrected


async def rankings_refresh_pending(session: AsyncSession) -> bool:
    """Whether a rankings refresh is already waiting. Checked before deferring because a
    queueing-lock conflict inside ``core.jobs.defer`` leaves the transaction aborted."""
    return await repository.job_waiting(session, "analytics.refresh_rankings")


async def refresh_rankings(session: AsyncSession, now: datetime | None = None) -> None:
    await rollups.refresh_rankings(session, now or clock.utcnow())


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
    await rollups.refresh_rankings(session, now, window_users_ready=True)
