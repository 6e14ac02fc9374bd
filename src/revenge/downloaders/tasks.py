"""The downloaders' jobs as the rest of the feature sees them: declarations and ``schedule_…``
(``jobs.py``, imported only by the worker, gives each its body)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core.jobs import BackoffRetry, declare_task, defer

# Content requests' events: an approved request gets a hand-off, a settled one is let go.
ON_REQUEST_APPROVED = declare_task("downloaders.on_request_approved")
ON_REQUEST_CLOSED = declare_task("downloaders.on_request_closed")
# One attempt at one hand-off; its retries live in the row (next_attempt_at), not here.
SEND = declare_task("downloaders.send", retry=BackoffRetry(max_attempts=3))
SWEEP = declare_task("downloaders.sweep", queueing_lock="downloaders.sweep")
POLL_QUEUES = declare_task("downloaders.poll_queues", queueing_lock="downloaders.poll_queues")

DECLARED = (ON_REQUEST_APPROVED, ON_REQUEST_CLOSED, SEND, SWEEP, POLL_QUEUES)


async def schedule_send(
    session: AsyncSession, handoff_id: uuid.UUID, *, in_seconds: float | None = None
) -> None:
    """Now (coalesced per hand-off: a waiting attempt absorbs another) or later, for a retry.

    A retry's job takes no queueing lock, so an admin's "send again" is never held behind it;
    an attempt that finds the hand-off sent or not yet due does nothing."""
    if in_seconds:
        await defer(
            session, SEND, schedule_in={"seconds": int(in_seconds) + 1}, handoff_id=str(handoff_id)
        )
        return
    await defer(
        session, SEND, queueing_lock=f"downloaders.send:{handoff_id}", handoff_id=str(handoff_id)
    )
