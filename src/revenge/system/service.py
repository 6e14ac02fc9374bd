"""Health, readiness and the admin view of the job queue."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Text, cast, column, func, select, table
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core.db import get_database
from revenge.core.migrate import pending_revisions
from revenge.system.schemas import JobRead

# procrastinate owns this table; a lightweight Core view of the columns we show.
_jobs = table(
    "procrastinate_jobs",
    column("id"),
    column("task_name"),
    column("queue_name"),
    column("status"),
    column("attempts"),
    column("args"),
    column("scheduled_at"),
    column("queueing_lock"),
)


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


async def list_jobs(
    session: AsyncSession, status: str | None, task: str | None, limit: int, offset: int
) -> tuple[list[JobRead], int]:
    conditions: list[Any] = []
    if status is not None:
        conditions.append(cast(_jobs.c.status, Text) == status)
    if task is not None:
        conditions.append(_jobs.c.task_name == task)
    total = (
        await session.execute(select(func.count()).select_from(_jobs).where(*conditions))
    ).scalar_one()
    rows = await session.execute(
        select(
            _jobs.c.id,
            _jobs.c.task_name,
            _jobs.c.queue_name,
            cast(_jobs.c.status, Text).label("status"),
            _jobs.c.attempts,
            _jobs.c.args,
            _jobs.c.scheduled_at,
            _jobs.c.queueing_lock,
        )
        .where(*conditions)
        .order_by(_jobs.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [JobRead.model_validate(dict(row._mapping)) for row in rows], total
