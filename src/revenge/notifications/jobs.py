"""Notification jobs: per-channel delivery drains (EmailSendJob, PushSendJob,
WebhookSendJob), the retry sweeper, and NewContentNotificationJob with its grouped flush.
Names, retry policies and queueing locks are declared in tasks.py."""

from __future__ import annotations

import uuid

from revenge.core import events
from revenge.core.config import get_settings
from revenge.core.db import session_scope
from revenge.core.jobs import implements, job_app
from revenge.notifications import delivery, new_content, tasks
from revenge.notifications.types import ChannelKind


async def _drain(kind: ChannelKind, user_id: str | None) -> int:
    stats = await delivery.deliver_pending(
        kind, get_settings(), user_id=uuid.UUID(user_id) if user_id else None
    )
    return stats.sent


@implements(tasks.EMAIL_SEND)
async def email_send(user_id: str | None = None) -> int:
    """EmailSendJob: send the due emails (of one user, or everybody's)."""
    return await _drain(ChannelKind.email, user_id)


@implements(tasks.PUSH_SEND)
async def push_send(user_id: str | None = None) -> int:
    """PushSendJob: FCM and Web Push deliveries that are due."""
    return await _drain(ChannelKind.push, user_id)


@implements(tasks.WEBHOOK_SEND)
async def webhook_send(user_id: str | None = None) -> int:
    """WebhookSendJob: signed webhook deliveries that are due."""
    return await _drain(ChannelKind.webhook, user_id)


@job_app.periodic(cron="* * * * *")
@implements(tasks.RETRY_DUE)
async def retry_due(timestamp: int) -> int:
    """Deliveries waiting for their retry time (or left behind by a lost job) are drained."""
    async with session_scope() as session:
        return await delivery.schedule_due_drains(session)


@events.subscribe(events.LibraryItemAdded)
@implements(tasks.NEW_CONTENT)
async def new_content_notification(
    media_type: str, media_id: str, library_id: str | None = None
) -> None:
    """NewContentNotificationJob: remember the addition; announce the group a little later."""
    async with session_scope() as session:
        await new_content.record_addition(session, media_type, media_id, library_id)


@implements(tasks.NEW_CONTENT_FLUSH)
async def flush_new_content() -> int:
    async with session_scope() as session:
        return await new_content.flush(session, get_settings())
