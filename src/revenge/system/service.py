"""Health, readiness and the admin view of the job queue."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Integer,
    Text,
    and_,
    case,
    cast,
    column,
    extract,
    func,
    not_,
    select,
    table,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core.db import get_database
from revenge.core.migrate import pending_revisions
from revenge.system.schemas import JobFacets, JobRead

# procrastinate owns these tables; lightweight Core views of the columns we read.
_jobs = table(
    "procrastinate_jobs",
    column("id"),
    column("task_name"),
    column("queue_name"),
    column("status"),
    column("attempts"),
    column("args", JSONB),
    column("scheduled_at"),
    column("queueing_lock"),
)
_events = table("procrastinate_events", column("job_id"), column("type"), column("at"))
# One row per periodic task (procrastinate keeps the latest defer of each): which task names
# the schedule defers.
_periodic_defers = table("procrastinate_periodic_defers", column("task_name"))

FINAL_EVENTS = ("succeeded", "failed", "cancelled", "aborted")
FINAL_STATUSES = ("succeeded", "failed", "cancelled", "aborted")

_status = cast(_jobs.c.status, Text)
# A job the schedule deferred: procrastinate passes every periodic run its ``timestamp``, and
# its task is one the schedule defers (the same task deferred by an event has other args).
_periodic = and_(
    _jobs.c.args.has_key("timestamp"),
    _jobs.c.task_name.in_(select(_periodic_defers.c.task_name).distinct()),
)
# The every-minute sweeps that went well: a dozen an hour per task, nothing to look at.
_routine = and_(_status == "succeeded", _periodic)


async def readiness() -> dict[str, str]:
    checks: dict[str, str] = {}
    engine = get_database().engine
    try:
        async with engine.connect() as connection:
            await connection.exec_driver_sql("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # any failure means "not ready"; say which
        checks["database"] = f"error: {type(exc).__name__}"
        return checks
    pending = await pending_revisions(engine)
    checks["migrations"] = "ok" if not pending else "pending: " + ", ".join(sorted(pending))
    return checks


def _times() -> Any:
    """The job's last start and its end, from procrastinate's event log."""
    event = cast(_events.c.type, Text)
    return (
        select(
            func.max(_events.c.at).filter(event == "started").label("started_at"),
            func.max(_events.c.at).filter(event.in_(FINAL_EVENTS)).label("finished_at"),
        )
        .where(_events.c.job_id == _jobs.c.id)
        .lateral("times")
    )


def _millis(interval: Any) -> Any:
    return cast(func.round(extract("epoch", interval) * 1000), Integer)


async def list_jobs(
    session: AsyncSession,
    *,
    status: str | None,
    task: str | None,
    queue: str | None,
    routine: bool,
    limit: int,
    offset: int,
) -> tuple[list[JobRead], int, int]:
    """A page of jobs, newest first, with the total and how many routine ones were left out."""
    conditions: list[Any] = []
    if status is not None:
        conditions.append(_status == status)
    if task is not None:
        conditions.append(_jobs.c.task_name == task)
    if queue is not None:
        conditions.append(_jobs.c.queue_name == queue)
    shown = [*conditions] if routine else [*conditions, not_(_routine)]
    counts = (
        await session.execute(
            select(
                func.count().filter(and_(true(), *shown)),
                func.count().filter(_routine),
            )
            .select_from(_jobs)
            .where(*conditions)
        )
    ).one()
    total, routine_count = int(counts[0]), int(counts[1])
    times = _times()
    final = _status.in_(FINAL_STATUSES)
    finished_at = case((final, times.c.finished_at), else_=None)
    duration = case(
        (
            and_(final, times.c.started_at.is_not(None), times.c.finished_at.is_not(None)),
            _millis(times.c.finished_at - times.c.started_at),
        ),
        (
            and_(_status == "doing", times.c.started_at.is_not(None)),
            _millis(func.now() - times.c.started_at),
        ),
        else_=None,
    )
    rows = await session.execute(
        select(
            _jobs.c.id,
            _jobs.c.task_name,
            _jobs.c.queue_name,
            _status.label("status"),
            _jobs.c.attempts,
            _jobs.c.args,
            _jobs.c.scheduled_at,
            _jobs.c.queueing_lock,
            _periodic.label("periodic"),
            times.c.started_at,
            finished_at.label("finished_at"),
            duration.label("duration_ms"),
        )
        .select_from(_jobs.join(times, true()))
        .where(*shown)
        .order_by(_jobs.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    items = [JobRead.model_validate(dict(row._mapping)) for row in rows]
    return items, total, 0 if routine else routine_count


async def job_facets(session: AsyncSession) -> JobFacets:
    tasks = await session.execute(select(_jobs.c.task_name).distinct().order_by(_jobs.c.task_name))
    queues = await session.execute(
        select(_jobs.c.queue_name).distinct().order_by(_jobs.c.queue_name)
    )
    return JobFacets(tasks=list(tasks.scalars()), queues=list(queues.scalars()))
