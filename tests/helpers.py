"""Helpers shared by tests: running deferred jobs inside the test transaction, fake servers."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import uvicorn
from sqlalchemy import text

from revenge import worker  # noqa: F401  (registers every task)
from revenge.core.jobs import job_app
from revenge.core.security import hash_password

TEST_PASSWORD = "correct horse battery"
TEST_PASSWORD_HASH = hash_password(TEST_PASSWORD)


class JobRunner:
    """Runs the jobs deferred in the test transaction with their real task code.

    The procrastinate worker would use its own connections and could not see the test's
    uncommitted rows; this runs the same task functions on the test connection instead.
    Tests of the worker itself use ``committed_db``.
    """

    def __init__(self, database: Any) -> None:
        self.database = database

    async def pending(self, task_name: str | None = None) -> list[dict[str, Any]]:
        async with self.database.transaction() as session:
            rows = await session.execute(
                text(
                    "SELECT id, task_name, args FROM procrastinate_jobs WHERE status = 'todo' "
                    "AND (CAST(:name AS text) IS NULL OR task_name = :name) ORDER BY id"
                ),
                {"name": task_name},
            )
            return [dict(r._mapping) for r in rows]

    async def run(
        self, task_name: str | None = None, *, max_rounds: int = 20, raise_errors: bool = True
    ) -> list[str]:
        """Run pending jobs (and jobs they defer) until none is left; returns the names run."""
        ran: list[str] = []
        for _ in range(max_rounds):
            todo = await self.pending(task_name)
            if not todo:
                return ran
            for job in todo:
                task = job_app.tasks[job["task_name"]]
                status = "succeeded"
                # Like the worker: a running job is no longer "todo", so it may re-defer itself
                # under the same queueing lock.
                async with self.database.transaction() as session:
                    await session.execute(
                        text("UPDATE procrastinate_jobs SET status = 'doing' WHERE id = :id"),
                        {"id": job["id"]},
                    )
                try:
                    await task.func(**job["args"])
                except Exception:
                    status = "failed"
                    if raise_errors:
                        raise
                finally:
                    async with self.database.transaction() as session:
                        await session.execute(
                            text(
                                "UPDATE procrastinate_jobs SET status = CAST(:s AS procrastinate_job_status) WHERE id = :id"
                            ),
                            {"s": status, "id": job["id"]},
                        )
                ran.append(job["task_name"])
        raise AssertionError("jobs keep deferring jobs; more rounds than expected")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve_asgi_in_thread(app: Any) -> Iterator[str]:
    """Serve ``app`` over real HTTP on 127.0.0.1 from a thread with its own event loop, for
    tests whose requests run outside the test's loop (schemathesis); yields the base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("fake server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@asynccontextmanager
async def serve_asgi(app: Any, port: int | None = None) -> AsyncIterator[str]:
    """Serve ``app`` over real HTTP on 127.0.0.1 (in this event loop); yields the base URL."""
    port = port or free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
