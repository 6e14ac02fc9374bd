"""Notification jobs: per-channel delivery drains (EmailSendJob, PushSendJob,
WebhookSendJob), the retry sweeper, and NewContentNotificationJob with its grouped flush."""

from __future__ import annotations

import uuid

from revenge.core import events
from revenge.core.db import session_scope
from revenge.core.jobs import DEFAULT_RETRY, defer, job_app
from revenge.notifications import delivery, new_content, service
from revenge.notifications.types import ChannelKind

# Additions within this window are announced together (a season copied in one go).
NEW_CONTENT_GROUP_SECONDS = 120


async def _drain(kind: ChannelKind, user_id: str | None) -> int:
    stats = await delivery.deliver_pending(kind, user_id=uuid.UUID(user_id) if user_id else None)
    return stats.sent


@job_app.task(name=service.SEND_TASKS[ChannelKind.email], retry=DEFAULT_RETRY)
async def email_send(user_id: str | None = None) -> int:
    """EmailSendJob: send the due emails (of one user, or everybody's)."""
    return await _drain(ChannelKind.email, user_id)


@job_app.task(name=service.SEND_TASKS[ChannelKind.push], retry=DEFAULT_RETRY)
async def push_send(user_id: str | None = None) -> int:
    """PushSendJob: FCM and Web Push deliveries that are due."""
    return await _drain(ChannelKind.push, user_id)


@job_app.task(name=service.SEND_TASKS[ChannelKind.webhook], retry=DEFAULT_RETRY)
async def webhook_send(user_id: str | None = None) -> int:
    """WebhookSendJob: signed webhook deliveries that are due."""
    return await _drain(ChannelKind.webhook, user_id)


@job_app.periodic(cron="* * * * *")
@job_app.task(
    name="notifications.retry_due",
    queueing_lock="notifications.retry_due",
    retry=DEFAULT_RETRY,
)
async def retry_due(timestamp: int) -> int:
    """Deliveries waiting for their retry time (or left behind by a lost job) are drained."""
    async with session_scope() as session:
        kinds = await delivery.due_channels(session)
        for kind in kinds:
            task = job_app.tasks[service.SEND_TASKS[kind]]
            await defer(session, task, queueing_lock=f"{task.name}:all", user_id=None)
    return len(kinds)


@events.subscribe(events.LIBRARY_ITEM_ADDED)
@job_app.task(name="notifications.new_content", retry=DEFAULT_RETRY)
async def new_content_notification(
    media_type: str, media_id: str, library_id: str | None = None
) -> None:
    """NewContentNotificationJob: remember the addition; announce the group a little later."""
    async with session_scope() as session:
        await new_content.record_addition(session, media_type, media_id, library_id)
        await defer(
            session,
            flush_new_content,
            queueing_lock="notifications.new_content_flush",
            schedule_in={"seconds": NEW_CONTENT_GROUP_SECONDS},
        )


@job_app.task(
    name="notifications.new_content_flush",
    queueing_lock="notifications.new_content_flush",
    retry=DEFAULT_RETRY,
)
async def flush_new_content() -> int:
    async with session_scope() as session:
        return await new_content.flush(session)
