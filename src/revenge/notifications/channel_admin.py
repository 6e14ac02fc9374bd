"""A user's own channels: email address overrides and webhook endpoints (create, read,
update, delete) and "send a test to this channel"."""

from __future__ import annotations

import uuid
from typing import Any

from jinja2 import TemplateError
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core.config import Settings
from revenge.core.deps import Principal
from revenge.core.errors import NotFound, Unprocessable
from revenge.notifications import repository, tasks
from revenge.notifications.channels.ssrf import UnsafeTarget, check_url
from revenge.notifications.channels.webhook import new_secret, seal_secret
from revenge.notifications.channels.webhook_payload import validate_template_async
from revenge.notifications.fanout import load_recipients
from revenge.notifications.models import Notification, NotificationChannel, NotificationDelivery
from revenge.notifications.rendering import render
from revenge.notifications.schemas import (
    ChannelCreate,
    ChannelRead,
    ChannelTestResult,
    ChannelUpdate,
)
from revenge.notifications.types import ChannelKind, NotificationType


def channel_read(channel: NotificationChannel, secret: str | None = None) -> ChannelRead:
    """The channel as its owner sees it; ``secret`` only right after it was made."""
    config = channel.config or {}
    return ChannelRead(
        id=channel.id,
        channel_type=channel.channel_type,
        name=channel.name,
        enabled=channel.enabled,
        address=config.get("address"),
        url=config.get("url"),
        payload_template=config.get("payload_template"),
        consecutive_failures=channel.consecutive_failures,
        disabled_reason=channel.disabled_reason,
        last_success_at=channel.last_success_at,
        last_failure_at=channel.last_failure_at,
        created_at=channel.created_at,
        secret=secret,
    )


async def _check_webhook(settings: Settings, url: str, template: str | None) -> None:
    try:
        await check_url(url, settings.webhook.allow_list)
    except UnsafeTarget as exc:
        raise Unprocessable("notifications.webhook_url_refused", reason=str(exc)) from exc
    if template:
        try:
            await validate_template_async(template)
        except TemplateError as exc:
            raise Unprocessable("notifications.invalid_template", reason=str(exc)) from exc


async def _owned(
    session: AsyncSession, principal: Principal, channel_id: uuid.UUID
) -> NotificationChannel:
    channel = await repository.get_channel(session, principal.id, channel_id)
    if channel is None:
        raise NotFound("notifications.channel_not_found")
    return channel


async def list_channels(session: AsyncSession, principal: Principal) -> list[ChannelRead]:
    return [channel_read(c) for c in await repository.list_channels(session, principal.id)]


async def get_channel(
    session: AsyncSession, principal: Principal, channel_id: uuid.UUID
) -> ChannelRead:
    return channel_read(await _owned(session, principal, channel_id))


async def create_channel(
    session: AsyncSession, principal: Principal, body: ChannelCreate, settings: Settings
) -> ChannelRead:
    """A webhook gets a new signing secret, shown once in the answer."""
    secret: str | None = None
    if body.channel_type == "email":
        if not body.address:
            raise Unprocessable("notifications.address_required")
        config: dict[str, Any] = {"address": str(body.address)}
    else:
        if not body.url:
            raise Unprocessable("notifications.url_required")
        await _check_webhook(settings, body.url, body.payload_template)
        secret = new_secret()
        config = {
            "url": body.url,
            "payload_template": body.payload_template,
            "secret_encrypted": seal_secret(settings, secret),
        }
    channel = NotificationChannel(
        user_id=principal.id,
        channel_type=body.channel_type,
        name=body.name,
        enabled=body.enabled,
        config=config,
    )
    session.add(channel)
    await session.flush()
    await session.refresh(channel)
    return channel_read(channel, secret)


async def update_channel(
    session: AsyncSession,
    principal: Principal,
    channel_id: uuid.UUID,
    body: ChannelUpdate,
    settings: Settings,
) -> ChannelRead:
    """Re-enabling a channel starts its failure count afresh; a rotated secret is shown once."""
    channel = await _owned(session, principal, channel_id)
    config = dict(channel.config or {})
    secret: str | None = None
    if channel.channel_type == "email" and body.address is not None:
        config["address"] = str(body.address)
    if channel.channel_type == "webhook":
        if body.url is not None:
            config["url"] = body.url
        if "payload_template" in body.model_fields_set:
            config["payload_template"] = body.payload_template
        if body.url is not None or body.payload_template:
            await _check_webhook(settings, config["url"], config.get("payload_template"))
        if body.rotate_secret:
            secret = new_secret()
            config["secret_encrypted"] = seal_secret(settings, secret)
    if body.name is not None:
        channel.name = body.name
    if body.enabled is not None:
        channel.enabled = body.enabled
        if body.enabled:  # re-enabled by its owner: start counting afresh
            channel.consecutive_failures = 0
            channel.disabled_reason = None
    channel.config = config
    await session.flush()
    await session.refresh(channel)
    return channel_read(channel, secret)


async def delete_channel(
    session: AsyncSession, principal: Principal, channel_id: uuid.UUID
) -> None:
    channel = await _owned(session, principal, channel_id)
    await session.delete(channel)
    await session.flush()


async def test_channel(
    session: AsyncSession, principal: Principal, channel_id: uuid.UUID, settings: Settings
) -> ChannelTestResult:
    """Queue a test notification to exactly this channel (even if disabled by preferences)."""
    channel = await _owned(session, principal, channel_id)
    if not channel.enabled:
        raise Unprocessable("notifications.channel_disabled")
    recipients = await load_recipients(session, [principal.id], settings)
    locale = recipients[0].locale if recipients else "en"
    data = {"channel": channel.name}
    title, message = render(NotificationType.test.value, locale, data)
    notification = Notification(
        user_id=principal.id,
        type=NotificationType.test.value,
        title=title,
        message=message,
        data=data,
        locale=locale,
        in_app=False,
    )
    session.add(notification)
    await session.flush()
    delivery = NotificationDelivery(
        notification_id=notification.id,
        user_id=principal.id,
        channel=channel.channel_type,
        target_key=str(channel.id),
    )
    session.add(delivery)
    await session.flush()
    await tasks.schedule_delivery(session, ChannelKind(channel.channel_type), [principal.id])
    return ChannelTestResult(
        notification_id=notification.id, delivery_id=delivery.id, status="pending"
    )
