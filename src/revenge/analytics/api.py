from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response
from psycopg.errors import LockNotAvailable
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.analytics import service
from revenge.analytics.schemas import (
    Interval,
    MediaStatsRead,
    MyHistoryRead,
    MyStatsRead,
    OverviewRead,
    PlayableType,
    PopularRead,
    RankingsRefreshRead,
    RankMetric,
    ReportPeriod,
    ReportRead,
    UserUsage,
    Window,
)
from revenge.core.deps import AdminUser, CurrentUser, DbSession
from revenge.core.errors import ServiceUnavailable, problem_responses
from revenge.core.pagination import Page, PageParams, page_params
from revenge.core.types import SaneDate

router = APIRouter(tags=["analytics"])
USER_ERRORS = problem_responses(401, 422, 503)
ADMIN_ERRORS = problem_responses(401, 403, 422, 503)
# A full `revenge analytics rebuild` locks the statistics tables until it commits (minutes at
# millions of plays): a read waits this long, then gets a clear 503 instead of hanging.
READ_LOCK_TIMEOUT_MS = 3000
REBUILD_RETRY_AFTER_SECONDS = 60


async def _statistics_session(session: DbSession) -> AsyncIterator[AsyncSession]:
    await session.execute(text(f"SET LOCAL lock_timeout = {int(READ_LOCK_TIMEOUT_MS)}"))
    try:
        yield session
    except DBAPIError as exc:
        if isinstance(exc.orig, LockNotAvailable):
            raise ServiceUnavailable(
                "analytics.rebuilding",
                headers={"Retry-After": str(REBUILD_RETRY_AFTER_SECONDS)},
            ) from exc
        raise


# Every statistics endpoint reads through this session instead of the plain request one.
StatsSession = Annotated[AsyncSession, Depends(_statistics_session, scope="function")]


@router.get("/users/me/stats", response_model=MyStatsRead, responses=USER_ERRORS)
async def my_stats(user: CurrentUser, session: StatsSession) -> MyStatsRead:
    return await service.my_stats(session, user)


@router.get("/users/me/stats/history", response_model=MyHistoryRead, responses=USER_ERRORS)
async def my_history(
    user: CurrentUser,
    session: StatsSession,
    interval: Interval = Interval.day,
    from_: Annotated[SaneDate | None, Query(alias="from")] = None,
    to: SaneDate | None = None,
    media_type: PlayableType | None = None,
) -> MyHistoryRead:
    return await service.my_history(session, user, interval, from_, to, media_type)


@router.get("/admin/analytics/overview", response_model=OverviewRead, responses=ADMIN_ERRORS)
async def overview(
    admin: AdminUser, session: StatsSession, window: Window = Window.d30
) -> OverviewRead:
    return await service.overview(session, window)


@router.get("/admin/analytics/popular", response_model=PopularRead, responses=ADMIN_ERRORS)
async def popular(
    admin: AdminUser,
    session: StatsSession,
    window: Window = Window.d30,
    media_type: PlayableType | None = None,
    metric: RankMetric = RankMetric.users,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> PopularRead:
    return await service.popular(session, window, media_type, metric, limit)


@router.post(
    "/admin/analytics/rankings/refresh",
    response_model=RankingsRefreshRead,
    status_code=202,
    responses=problem_responses(401, 403),
)
async def refresh_rankings(admin: AdminUser, session: DbSession) -> RankingsRefreshRead:
    """Rank the plays that arrived since the last refresh now, not when the waiting refresh
    is due (the rankings are refreshed in one batch a while after plays)."""
    return await service.refresh_rankings_now(session)


@router.get("/admin/analytics/users", response_model=Page[UserUsage], responses=ADMIN_ERRORS)
async def users(
    admin: AdminUser,
    session: StatsSession,
    sort: Literal["plays", "watch_time", "last_seen", "username"] = "plays",
    page: PageParams = Depends(page_params),
) -> Page[UserUsage]:
    items, total = await service.users_usage(session, sort, page.limit, page.offset)
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get(
    "/admin/analytics/media/{media_type}/{media_id}",
    response_model=MediaStatsRead,
    responses=problem_responses(401, 403, 404, 422),
)
async def media(
    media_type: PlayableType,
    media_id: uuid.UUID,
    admin: AdminUser,
    session: StatsSession,
    window: Window = Window.d30,
) -> MediaStatsRead:
    return await service.media_stats(session, media_type, media_id, window)


@router.get(
    "/admin/analytics/reports",
    response_model=ReportRead,
    responses={**ADMIN_ERRORS, 200: {"content": {"text/csv": {}}}},
)
async def reports(
    admin: AdminUser,
    session: StatsSession,
    period: ReportPeriod = ReportPeriod.month,
    date_: Annotated[SaneDate | None, Query(alias="date")] = None,
    format: Literal["json", "csv"] = "json",
) -> Response:
    document = await service.report(session, period, date_)
    filename = f"revenge-analytics-{period.value}-{document.head.start.isoformat()}.{format}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if format == "csv":
        return Response(
            service.report_csv(document.to_model()),
            media_type="text/csv; charset=utf-8",
            headers=headers,
        )
    return Response(document.to_json(), media_type="application/json", headers=headers)
