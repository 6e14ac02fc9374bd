"""Notifications' jobs as the rest of the feature sees them: declarations and ``schedule_…``.

A declaration is a procrastinate ``Task`` bound to the job app and carrying the name, retry
policy and default queueing lock, but not the body: services defer through it (in their own
transaction, via ``core.jobs.defer``) without importing ``jobs.py``, which only the worker
imports, and without looking a task up by its name. ``jobs.py`` registers each body under its
declaration with ``@implements(...)``, so a name and its policy are written once, here.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core.jobs import Declared, declare_task, defer
from revenge.notifications.types import ChannelKind

# Above this many recipients one drain job per channel serves everybody (a fan-out of
# 10,000 users must not insert 10,000 jobs).
PER_USER_JOBS_UP_TO = 20
# Library additions within this window are announced together (a season copied in one go).
NEW_CONTENT_GROUP_SECONDS = 120


# Per-channel drains of due deliveries (of one user, or everybody's).
EMAIL_SEND = declare_task("notifications.email_send")
PUSH_SEND = declare_task("notifications.push_send")
WEBHOOK_SEND = declare_task("notifications.webhook_send")
SEND: dict[ChannelKind, Declared] = {
    ChannelKind.email: EMAIL_SEND,
    ChannelKind.push: PUSH_SEND,
    ChannelKind.webhook: WEBHOOK_SEND,
}
# Every minute: deliveries whose retry time has come (or left behind by a lost job).
RETRY_DUE = declare_task("notifications.retry_due", queueing_lock="notifications.retry_due")
# library.item_added → remembered; the flush announces what was added, grouped.
NEW_CONTENT = declare_task("notifications.new_content")
NEW_CONTENT_FLUSH = declare_task(
    "notifications.new_content_flush", queueing_lock="notifications.new_content_flush"
)

DECLARED = (EMAIL_SEND, PUSH_SEND, WEBHOOK_SEND, RETRY_DUE, NEW_CONTENT, NEW_CONTENT_FLUSH)


async def schedule_delivery(
    session: AsyncSession, channel: ChannelKind, user_ids: Collection[uuid.UUID]
) -> None:
    """Drain ``channel`` for these users: a job per user for a few, one for everyone for many.

    Coalesced: a drain already waiting for the same user (or everyone) absorbs this one."""
    if len(user_ids) > PER_USER_JOBS_UP_TO:
        await schedule_drain_all(session, channel)
        return
    task = SEND[channel]
    for user_id in user_ids:
        await defer(session, task, queueing_lock=f"{task.name}:{user_id}", user_id=str(user_id))


async def schedule_drain_all(session: AsyncSession, channel: ChannelKind) -> None:
    """Drain everybody's due deliveries on ``channel`` (one waiting job at most)."""
    task = SEND[channel]
    await defer(session, task, queueing_lock=f"{task.name}:all", user_id=None)


async def schedule_new_content_flush(session: AsyncSession) -> None:
    """Announce the additions a little later, so the ones arriving meanwhile join them (one
    waiting flush at most: the declaration's queueing lock)."""
    await defer(session, NEW_CONTENT_FLUSH, schedule_in={"seconds": NEW_CONTENT_GROUP_SECONDS})
