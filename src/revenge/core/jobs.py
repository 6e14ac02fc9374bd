"""The procrastinate job app, transactional deferral and the retry policy.

Jobs are deferred on the request's own database connection, so a rolled-back request leaves
no job behind and a committed one always has its job (see ARCHITECTURE.md).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import procrastinate
from procrastinate import RetryDecision
from procrastinate import jobs as procrastinate_jobs
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.jobs import Job
from procrastinate.tasks import Task
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core.db import raw_connection
from revenge.core.http import RetryableError

job_app = procrastinate.App(connector=procrastinate.PsycopgConnector())


class BackoffRetry(procrastinate.BaseRetryStrategy):
    """Exponential backoff with full jitter; honours a provider's ``Retry-After``."""

    def __init__(
        self, *, max_attempts: int = 8, base_seconds: float = 5.0, cap_seconds: float = 3600.0
    ):
        self.max_attempts = max_attempts
        self.base_seconds = base_seconds
        self.cap_seconds = cap_seconds

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        if job.attempts >= self.max_attempts:
            return None
        ceiling = min(self.cap_seconds, self.base_seconds * 2**job.attempts)
        wait = random.uniform(ceiling / 2, ceiling)
        if isinstance(exception, RetryableError) and exception.retry_after is not None:
            wait = max(wait, exception.retry_after)
        return RetryDecision(retry_in={"seconds": int(wait) + 1})


DEFAULT_RETRY = BackoffRetry()


async def defer(
    session: AsyncSession,
    task: procrastinate.tasks.Task[Any, Any, Any],
    *,
    queueing_lock: str | None = None,
    schedule_in: dict[str, int] | None = None,
    priority: int | None = None,
    **kwargs: Any,
) -> int | None:
    """Defer ``task`` inside ``session``'s transaction; returns the job id.

    With a ``queueing_lock`` an identical job already waiting absorbs this one (returns None):
    the waiting job will see this transaction's rows when it runs.
    """
    options: dict[str, Any] = {"connection": await raw_connection(session)}
    if queueing_lock is not None:
        options["queueing_lock"] = queueing_lock
    if schedule_in is not None:
        options["schedule_in"] = schedule_in
    if priority is not None:
        options["priority"] = priority
    # A queueing-lock conflict is a unique violation: keep it from aborting the caller's
    # transaction by running the insert in a savepoint.
    try:
        async with session.begin_nested():
            # The ORM emits SAVEPOINT lazily, on its own first statement; procrastinate writes
            # through the raw connection, so force it here or a conflict aborts the caller.
            await session.connection()
            return await task.configure(**options).defer_async(**kwargs)
    except AlreadyEnqueued:
        return None


# --- declaring a feature's jobs ----------------------------------------------------------------
# A feature's tasks.py declares each job (name, retry policy, default queueing lock) so that its
# services can defer it without importing jobs.py, which only the worker imports; jobs.py attaches
# the body with ``@implements(declaration)``. A name and its policy are written once.

P = ParamSpec("P")
R = TypeVar("R")
Declared = Task[Any, Any, Any]


def _runs_in_the_worker(**_: Any) -> None:
    raise RuntimeError("a declared task runs in the worker, where jobs.py gives it its body")


def declare_task(
    name: str, *, retry: BackoffRetry = DEFAULT_RETRY, queueing_lock: str | None = None
) -> Declared:
    return Task(
        _runs_in_the_worker,
        blueprint=job_app,
        name=name,
        retry=retry,
        queue=procrastinate_jobs.DEFAULT_QUEUE,
        queueing_lock=queueing_lock,
    )


def implements(declared: Declared) -> Callable[[Callable[P, R]], Task[P, R, P]]:
    """Register the decorated function as the body of ``declared`` (same name, retry, lock)."""
    return job_app.task(
        name=declared.name,
        retry=declared.retry_strategy or False,
        queue=declared.queue,
        priority=declared.priority,
        lock=declared.lock,
        queueing_lock=declared.queueing_lock,
    )
