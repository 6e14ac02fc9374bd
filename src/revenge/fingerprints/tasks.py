"""Fingerprints' jobs as the rest of the feature sees them: declarations and ``schedule_…``.

A declaration is a procrastinate ``Task`` bound to the job app and carrying the name, retry
policy and default queueing lock, but not the body: services defer through it (in their own
transaction, via ``core.jobs.defer``) without importing ``jobs.py``, which only the worker
imports. ``jobs.py`` registers each body under its declaration with ``@implements(...)``, so a
name and its policy are written once, here.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core.jobs import BackoffRetry, declare_task, defer

# Library events: fingerprint an added item, forget a removed one (subscribed in jobs.py).
GENERATE = declare_task("fingerprints.generate")
FORGET_ITEM = declare_task("fingerprints.forget_item")
# Look newly stored fingerprints up in the index and join duplicate groups.
DETECT_DUPLICATES = declare_task("fingerprints.detect_duplicates")
# One chunk of a library-wide run; each chunk defers the next.
RUN_LIBRARY = declare_task("fingerprints.run_library")
# Every ten minutes: runs whose chain of chunk jobs broke. Not retried: the next one is the retry.
RESUME_RUNS = declare_task(
    "fingerprints.resume_runs",
    retry=BackoffRetry(max_attempts=0),
    queueing_lock="fingerprints.resume_runs",
)
# Drains the due AcoustID look-ups; one waiting drain sees every pending row.
ACOUSTID_LOOKUP = declare_task(
    "fingerprints.acoustid_lookup", queueing_lock="fingerprints.acoustid"
)
# Every minute: look-ups whose time came, backfills, look-ups refused for a replaced key.
ACOUSTID_SWEEP = declare_task(
    "fingerprints.acoustid_sweep", queueing_lock="fingerprints.acoustid_sweep"
)

DECLARED = (
    GENERATE,
    FORGET_ITEM,
    DETECT_DUPLICATES,
    RUN_LIBRARY,
    RESUME_RUNS,
    ACOUSTID_LOOKUP,
    ACOUSTID_SWEEP,
)


def subject_key(subject_type: str, subject_id: uuid.UUID) -> str:
    """A subject as the duplicate-detection job takes it (``type:id``)."""
    return f"{subject_type}:{subject_id}"


async def schedule_detection(
    session: AsyncSession, subjects: Iterable[tuple[str, uuid.UUID]]
) -> None:
    """One job looks all of ``subjects`` up (none when there are none)."""
    keys = [subject_key(*subject) for subject in subjects]
    if keys:
        await defer(session, DETECT_DUPLICATES, subjects=keys)


async def schedule_run(session: AsyncSession, run_id: uuid.UUID | str) -> None:
    """Start (or resume) a run's chain of chunk jobs; a chunk already waiting absorbs this."""
    await defer(
        session, RUN_LIBRARY, queueing_lock=f"fingerprints.run:{run_id}", run_id=str(run_id)
    )


async def schedule_next_chunk(session: AsyncSession, run_id: uuid.UUID) -> None:
    # No queueing lock here: chunks lock the run row, so a stray duplicate job only finds the
    # cursor moved on.
    await defer(session, RUN_LIBRARY, run_id=str(run_id))


async def schedule_acoustid(session: AsyncSession, *, in_seconds: int | None = None) -> None:
    """Coalesced: one waiting drain job absorbs the others (it sees every pending row)."""
    await defer(
        session,
        ACOUSTID_LOOKUP,
        schedule_in={"seconds": in_seconds} if in_seconds else None,
    )
