"""Downloader job bodies: approved requests → hand-offs, one attempt per job, the sweep that
resends what is due, and the look at the queues. Imported only by the worker; names, retries
and scheduling are in ``tasks.py``."""

from __future__ import annotations

import uuid
from typing import Any

from revenge.core import events
from revenge.core.config import get_settings
from revenge.core.db import session_scope
from revenge.core.jobs import implements, job_app
from revenge.downloaders import handoff, progress, tasks


@events.subscribe(events.ContentRequestApproved)
@implements(tasks.ON_REQUEST_APPROVED)
async def on_request_approved(**facts: Any) -> str | None:
    approved = events.ContentRequestApproved.from_payload(facts)
    async with session_scope() as session:
        handoff_id = await handoff.queue_handoff(session, approved)
    return str(handoff_id) if handoff_id else None


@events.subscribe(events.ContentRequestClosed)
@implements(tasks.ON_REQUEST_CLOSED)
async def on_request_closed(**facts: Any) -> bool:
    closed = events.ContentRequestClosed.from_payload(facts)
    async with session_scope() as session:
        return await handoff.close_handoff(session, closed)


@implements(tasks.SEND)
async def send_handoff(handoff_id: str) -> str:
    return await handoff.send_handoff(uuid.UUID(handoff_id), get_settings())


@job_app.periodic(cron="* * * * *")
@implements(tasks.SWEEP)
async def sweep_handoffs(timestamp: int) -> int:
    """Every pending, due hand-off gets an attempt: retries come back, restarts lose nothing."""
    async with session_scope() as session:
        return await handoff.schedule_due(session)


@job_app.periodic(cron="* * * * *")
@implements(tasks.POLL_QUEUES)
async def poll_download_queues(timestamp: int) -> int:
    """Each downloader's queue, for the progress of the requests handed to it."""
    return await progress.poll_queues(get_settings())
