"""Ingest's jobs as the rest of the feature sees them: declarations and ``schedule_…``
(bodies in ``jobs.py``, which only the worker imports)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core.jobs import declare_task, defer

# Drains one source's inbox; coalesced, one waiting job per source absorbs the webhooks that
# arrive meanwhile.
DRAIN = declare_task("ingest.drain")
# Pending events tried again after items were added (subscribed to library.item_added);
# coalesced: one waiting job covers a whole scan.
REMATCH = declare_task("ingest.rematch", queueing_lock="ingest.rematch")
# An external user's pending events, after an admin linked them.
APPLY_USER = declare_task("ingest.apply_user")
# Periodic: drains for rows a drain should have taken (a job lost, a row that failed).
SWEEP = declare_task("ingest.sweep", queueing_lock="ingest.sweep")

DECLARED = (DRAIN, REMATCH, APPLY_USER, SWEEP)


def drain_lock(source_id: uuid.UUID) -> str:
    return f"ingest-drain:{source_id}"


async def schedule_drain(session: AsyncSession, source_id: uuid.UUID) -> None:
    await defer(session, DRAIN, queueing_lock=drain_lock(source_id), source_id=str(source_id))


async def schedule_rematch(session: AsyncSession) -> None:
    await defer(session, REMATCH)


async def schedule_user_apply(session: AsyncSession, external_user_id: uuid.UUID) -> None:
    await defer(
        session,
        APPLY_USER,
        queueing_lock=f"ingest-user:{external_user_id}",
        external_user_id=str(external_user_id),
    )
