"""Reports: one period's plays per user, per media type and the top content, cached per
period (``repository.cached_report``), as JSON or one CSV sheet."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, timedelta

from pydantic import TypeAdapter
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.analytics import repository, rollups
from revenge.analytics.schemas import (
    ReportContentRow,
    ReportMediaTypeRow,
    ReportPeriod,
    ReportRead,
    ReportUserRow,
)
from revenge.core import clock
from revenge.library import service as library

REPORT_TOP_CONTENT = 50
PLAYABLE = ("movie", "episode", "track")

_REPORT_USERS = TypeAdapter(list[ReportUserRow])


def report_bounds(period: ReportPeriod, day: date) -> tuple[date, date]:
    start = rollups.period_start(period.value, day)
    return start, rollups.next_period_start(period.value, start) - timedelta(days=1)


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
