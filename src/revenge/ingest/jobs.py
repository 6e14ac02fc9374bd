"""Ingest's job bodies: inbox drains, pending events tried again after a scan or a link, and
the sweeper. Imported only by the worker; names and scheduling are in ``tasks.py``."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import timedelta
from typing import Any

from revenge.core import clock, events
from revenge.core.config import get_settings
from revenge.core.db import session_scope
from revenge.core.jobs import implements, job_app
from revenge.ingest import drain, pending, tasks
from revenge.ingest import repository as repo

# Rows older than this that no drain took get one from the sweeper.
LEFTOVER_AFTER = timedelta(seconds=30)


def _figures(report: pending.ReapplyReport) -> dict[str, int]:
    return {
        "applied": report.applied,
        "duplicates": report.duplicates,
        "refused": report.refused,
        "waiting": report.waiting,
    }


@implements(tasks.DRAIN)
async def drain_inbox(source_id: str) -> dict[str, Any]:
    report = await drain.drain_source(uuid.UUID(source_id), get_settings())
    return asdict(report)


@events.subscribe(events.LibraryItemAdded)
@implements(tasks.REMATCH)
async def rematch_pending(
    media_type: str | None = None, media_id: str | None = None, library_id: str | None = None
) -> dict[str, int]:
    """Coalesced: one run after a scan tries every event that waits for an item."""
    return _figures(await pending.rematch_pending(get_settings()))


@implements(tasks.APPLY_USER)
async def apply_user_pending(external_user_id: str) -> dict[str, int]:
    report = await pending.apply_external_user_pending(uuid.UUID(external_user_id), get_settings())
    return _figures(report)


@job_app.periodic(cron="* * * * *")
@implements(tasks.SWEEP)
async def sweep_inbox(timestamp: int) -> int:
    """A drain for every source with rows left behind; returns how many were deferred."""
    async with session_scope() as session:
        sources = await repo.sources_with_leftovers(
            session, older_than=clock.utcnow() - LEFTOVER_AFTER, max_attempts=drain.MAX_ATTEMPTS
        )
        for source_id in sources:
            await tasks.schedule_drain(session, source_id)
    return len(sources)
