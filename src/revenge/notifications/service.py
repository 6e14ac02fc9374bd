"""Notification use cases. ``notify`` is the one entry point every feature calls.

Jobs are looked up by name on the job app: ``jobs.py`` imports this module, so importing it
back would invert the layers (api → jobs → service).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import structlog
from jinja2 import TemplateError
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core.clock import utcnow
from revenge.core.config import Settings, get_settings
from revenge.core.deps import Principal
from revenge.core.errors import NotFound, Unprocessable
from revenge.core.i18n import normalize_locale, translate
from revenge.core.jobs import defer, job_app
from revenge.notifications import repository
from revenge.notifications.channels.base import Recipient
from revenge.notifications.channels.push import vapid_public_key
from revenge.notifications.channels.registry import build_channel
from revenge.notifications.channels.ssrf import UnsafeTarget, check_url
from revenge.notifications.channels.webhook import (
    new_secret,
    seal_secret,
    validate_template_async,
)
from revenge.notifications.models import (
    Notification,
    NotificationChannel,
    NotificationDelivery,
    NotificationPreference,
    PushDevice,
    any_of,
)
from revenge.notifications.schemas import (
    ChannelCreate,
    ChannelRead,
    ChannelTestResult,
    ChannelUpdate,
    PreferenceRead,
    PreferencesUpdate,
    PushTokenCreate,
    WebPushKeyRead,
)
from revenge.notifications.types import (
    NOTIFICATION_TYPES,
    ChannelKind,
    NotificationType,
    TypeDefaults,
)
from revenge.users.models import User

log = structlog.get_logger(__name__)

PG_CHANNEL = "revenge_notifications"
SEND_TASKS = {
    ChannelKind.email: "notifications.email_send",
    ChannelKind.push: "notifications.push_send",
    ChannelKind.webhook: "notifications.webhook_send",
}
# Above this many recipients one drain job per channel serves everybody (a fan-out of
# 10,000 users must not insert 10,000 jobs).
PER_USER_JOBS_UP_TO = 20

# The rendered texts exist once per locale; rows point at them by index (fewer, cheaper
# parameters than one title and message per recipient).
_INSERT_NOTIFICATIONS = text(
    "INSERT INTO shared.notifications "
    "(id, user_id, type, title, message, data, locale, group_key, in_app) "
    "SELECT v.id, v.user_id, :type, r.title, r.message, CAST(:data AS jsonb), r.locale, "
    ":group_key, v.in_app FROM unnest(CAST(string_to_array(:ids, ',') AS uuid[]), "
    "CAST(string_to_array(:users, ',') AS uuid[]), CAST(string_to_array(:idx, ',') AS int[]), "
    "CAST(string_to_array(:in_app, ',') AS boolean[])) AS v(id, user_id, idx, in_app) "
    "JOIN unnest(CAST(:locales AS text[]), CAST(:titles AS text[]), CAST(:messages AS text[])) "
    "WITH ORDINALITY AS r(locale, title, message, n) ON r.n = v.idx"
)
_INSERT_DELIVERIES = text(
    "INSERT INTO shared.notification_deliveries (id, notification_id, user_id, channel, target_key) "
    "SELECT v.id, v.nid, v.uid, :channel, v.key FROM unnest("
    "CAST(string_to_array(:ids, ',') AS uuid[]), CAST(string_to_array(:nids, ',') AS uuid[]), "
    "CAST(string_to_array(:users, ',') AS uuid[]), string_to_array(:keys, ',')) "
    "AS v(id, nid, uid, key)"
)
_NOTIFY_INBOXES = text(
    "SELECT pg_notify(:channel, v.id::text || ':' || v.user_id::text) "
    "FROM unnest(CAST(string_to_array(:ids, ',') AS uuid[]), "
    "CAST(string_to_array(:users, ',') AS uuid[])) AS v(id, user_id)"
)


def _csv(values: Iterable[Any]) -> str:
    """Ids, numbers and flags as one comma-joined parameter: psycopg quotes every element of
    a text-dumped array in Python, which dominated a 10,000-user fan-out. Only for values
    that cannot contain commas (UUIDs, target keys, integers, t/f)."""
    return ",".join(str(v) for v in values)


@dataclass(frozen=True)
class EffectivePreference:
    in_app: bool
    email: bool
    push: bool
    webhook: bool

    def allows(self, channel: ChannelKind) -> bool:
        return bool(getattr(self, channel.value))


def _effective(defaults: TypeDefaults, row: NotificationPreference | None) -> EffectivePreference:
    if row is None or not defaults.configurable:
        return EffectivePreference(defaults.in_app, defaults.email, defaults.push, defaults.webhook)
    return EffectivePreference(row.in_app, row.email, row.push, row.webhook)


def render(notification_type: str, locale: str, data: dict[str, Any]) -> tuple[str, str]:
    """Title and message in ``locale`` from ``notifications.<type>.title|message``."""
    return (
        translate(f"notifications.{notification_type}.title", locale, **data),
        translate(f"notifications.{notification_type}.message", locale, **data),
    )


async def _recipients(
    session: AsyncSession, user_ids: Sequence[uuid.UUID], settings: Settings
) -> list[Recipient]:
    rows = await session.execute(
        select(
            User.id, User.username, User.display_name, User.email, User.locale, User.timezone
        ).where(any_of(User.id, user_ids), User.is_active.is_(True))
    )
    default_locale = normalize_locale(settings.default_locale) or "en"
    return [
        Recipient(
            id=r.id,
            username=r.username,
            display_name=r.display_name,
            email=r.email,
            locale=normalize_locale(r.locale) or default_locale,
            timezone=r.timezone or "UTC",
        )
        for r in rows
    ]


async def notify(
    session: AsyncSession,
    user_id: uuid.UUID,
    notification_type: NotificationType | str,
    data: dict[str, Any],
    *,
    group_key: str | None = None,
) -> uuid.UUID | None:
    """Tell one user something, in their language, on the channels they want.

    Stores the inbox row (when in-app is wanted) and one delivery row per enabled target,
    and defers the delivery jobs — all in the caller's transaction. Returns the
    notification id, or None when the user wants nothing of this type.
    """
    created = await notify_many(session, [user_id], notification_type, data, group_key=group_key)
    return created[0] if created else None


async def notify_many(
    session: AsyncSession,
    user_ids: Sequence[uuid.UUID],
    notification_type: NotificationType | str,
    data: dict[str, Any],
    *,
    group_key: str | None = None,
    settings: Settings | None = None,
) -> list[uuid.UUID]:
    """``notify`` for many users at once, in a constant number of statements."""
    settings = settings or get_settings()
    kind = NotificationType(notification_type)
    defaults = NOTIFICATION_TYPES[kind]
    data = json.loads(json.dumps(data, default=str))  # JSON only: stored and sent as is
    recipients = await _recipients(session, user_ids, settings)
    if not recipients:
        return []
    prefs = {
        p.user_id: p
        for p in await repository.preferences(session, [r.id for r in recipients], kind.value)
    }
    effective = {r.id: _effective(defaults, prefs.get(r.id)) for r in recipients}
    targets: dict[ChannelKind, dict[uuid.UUID, list[str]]] = {}
    for channel_kind in ChannelKind:
        wanting = [r for r in recipients if effective[r.id].allows(channel_kind)]
        if wanting:
            channel = build_channel(channel_kind, settings)
            try:
                targets[channel_kind] = await channel.targets(session, wanting)
            finally:
                await channel.aclose()
    rendered: dict[str, tuple[str, str]] = {}
    notifications: list[dict[str, Any]] = []
    deliveries: list[dict[str, Any]] = []
    per_channel_users: dict[ChannelKind, set[uuid.UUID]] = {}
    for recipient in recipients:
        in_app = effective[recipient.id].in_app
        wanted = {
            kind_: keys for kind_, by_user in targets.items() if (keys := by_user.get(recipient.id))
        }
        if not in_app and not wanted:
            continue
        if recipient.locale not in rendered:
            rendered[recipient.locale] = render(kind.value, recipient.locale, data)
        title, message = rendered[recipient.locale]
        notification_id = uuid.uuid4()
        notifications.append(
            {
                "id": notification_id,
                "user_id": recipient.id,
                "type": kind.value,
                "title": title,
                "message": message,
                "data": data,
                "locale": recipient.locale,
                "group_key": group_key,
                "in_app": in_app,
            }
        )
        for channel_kind, keys in wanted.items():
            per_channel_users.setdefault(channel_kind, set()).add(recipient.id)
            for key in keys:
                deliveries.append(
                    {
                        "id": uuid.uuid4(),
                        "notification_id": notification_id,
                        "user_id": recipient.id,
                        "channel": channel_kind.value,
                        "target_key": key,
                    }
                )
    if not notifications:
        return []
    # One statement per table whatever the fan-out (unnest of arrays; the data is shared).
    locales = list(rendered)
    await session.execute(
        _INSERT_NOTIFICATIONS,
        {
            "ids": _csv(n["id"] for n in notifications),
            "users": _csv(n["user_id"] for n in notifications),
            "idx": _csv(locales.index(n["locale"]) + 1 for n in notifications),
            "in_app": _csv("t" if n["in_app"] else "f" for n in notifications),
            "locales": locales,
            "titles": [rendered[loc][0] for loc in locales],
            "messages": [rendered[loc][1] for loc in locales],
            "type": kind.value,
            "data": json.dumps(data),
            "group_key": group_key,
        },
    )
    for channel_kind in ChannelKind:
        rows = [d for d in deliveries if d["channel"] == channel_kind.value]
        if rows:
            await session.execute(
                _INSERT_DELIVERIES,
                {
                    "channel": channel_kind.value,
                    "ids": _csv(d["id"] for d in rows),
                    "nids": _csv(d["notification_id"] for d in rows),
                    "users": _csv(d["user_id"] for d in rows),
                    "keys": _csv(d["target_key"] for d in rows),
                },
            )
    shown = [n for n in notifications if n["in_app"]]
    if shown:
        # Live inboxes (SSE) in any process hear about it when this transaction commits.
        await session.execute(
            _NOTIFY_INBOXES,
            {
                "channel": PG_CHANNEL,
                "ids": _csv(n["id"] for n in shown),
                "users": _csv(n["user_id"] for n in shown),
            },
        )
    for channel_kind, users in per_channel_users.items():
        await schedule_delivery(session, channel_kind, users)
    return [n["id"] for n in notifications]


async def schedule_delivery(
    session: AsyncSession, channel: ChannelKind, user_ids: Sequence[uuid.UUID] | set[uuid.UUID]
) -> None:
    """Defer the drain job(s) for ``channel``: per user for a few, one for everyone for many."""
    task = job_app.tasks[SEND_TASKS[channel]]
    if len(user_ids) > PER_USER_JOBS_UP_TO:
        await defer(session, task, queueing_lock=f"{task.name}:all", user_id=None)
        return
    for user_id in user_ids:
        await defer(session, task, queueing_lock=f"{task.name}:{user_id}", user_id=str(user_id))


# --- inbox -------------------------------------------------------------------------------------


async def list_notifications(
    session: AsyncSession, principal: Principal, limit: int, offset: int, unread_only: bool
) -> tuple[list[Notification], int, int]:
    return await repository.list_inbox(session, principal.id, limit, offset, unread_only)


async def _owned(
    session: AsyncSession, principal: Principal, notification_id: uuid.UUID
) -> Notification:
    notification = await repository.get_owned(session, principal.id, notification_id)
    if notification is None:
        raise NotFound("notifications.not_found")
    return notification


async def get_notification(
    session: AsyncSession, principal: Principal, notification_id: uuid.UUID
) -> Notification:
    return await _owned(session, principal, notification_id)


async def mark_read(
    session: AsyncSession, principal: Principal, notification_id: uuid.UUID
) -> Notification:
    notification = await _owned(session, principal, notification_id)
    if notification.read_at is None:
        notification.read_at = utcnow()
        await session.flush()
    return notification


async def mark_all_read(session: AsyncSession, principal: Principal) -> int:
    return await repository.mark_all_read(session, principal.id)


async def delete_notification(
    session: AsyncSession, principal: Principal, notification_id: uuid.UUID
) -> None:
    """Clear it from the inbox. Deliveries still pending on other channels go out."""
    notification = await _owned(session, principal, notification_id)
    pending = await session.scalar(
        select(func.count())
        .select_from(NotificationDelivery)
        .where(
            NotificationDelivery.notification_id == notification.id,
            NotificationDelivery.status == "pending",
        )
    )
    if pending:
        notification.in_app = False
    else:
        await session.delete(notification)
    await session.flush()


# --- preferences -------------------------------------------------------------------------------


async def get_preferences(session: AsyncSession, principal: Principal) -> list[PreferenceRead]:
    rows = {p.notification_type: p for p in await repository.preferences(session, [principal.id])}
    result = []
    for kind, defaults in NOTIFICATION_TYPES.items():
        if not defaults.configurable:
            continue
        pref = _effective(defaults, rows.get(kind.value))
        result.append(
            PreferenceRead(
                notification_type=kind,
                in_app=pref.in_app,
                email=pref.email,
                push=pref.push,
                webhook=pref.webhook,
            )
        )
    return result


async def update_preferences(
    session: AsyncSession, principal: Principal, changes: PreferencesUpdate
) -> list[PreferenceRead]:
    rows = {p.notification_type: p for p in await repository.preferences(session, [principal.id])}
    for change in changes.preferences:
        defaults = NOTIFICATION_TYPES[change.notification_type]
        if not defaults.configurable:
            raise Unprocessable(
                "notifications.type_not_configurable", type=change.notification_type.value
            )
        row = rows.get(change.notification_type.value)
        if row is None:
            row = NotificationPreference(
                user_id=principal.id,
                notification_type=change.notification_type.value,
                in_app=defaults.in_app,
                email=defaults.email,
                push=defaults.push,
                webhook=defaults.webhook,
            )
            session.add(row)
            rows[row.notification_type] = row
        for field in ("in_app", "email", "push", "webhook"):
            value = getattr(change, field)
            if value is not None:
                setattr(row, field, value)
    await session.flush()
    return await get_preferences(session, principal)


# --- push devices ------------------------------------------------------------------------------


def webpush_public_key(settings: Settings) -> WebPushKeyRead:
    """The key a browser subscribes with (``PushManager.subscribe``'s applicationServerKey)."""
    key_file = settings.vapid_key_file
    if key_file is None:
        raise NotFound("notifications.webpush_unavailable")
    try:
        return WebPushKeyRead(public_key=vapid_public_key(key_file))
    except (OSError, ValueError) as exc:
        # A configured key file that is missing or not a P-256 PEM: the operator's to fix.
        log.error("webpush.key_unreadable", path=str(key_file), error=str(exc))
        raise NotFound("notifications.webpush_unavailable") from exc


async def register_push_token(
    session: AsyncSession, principal: Principal, body: PushTokenCreate, settings: Settings
) -> PushDevice:
    """Idempotent: the same token registered again is refreshed (and moves to this user,
    because a device belongs to whoever signed in on it last)."""
    if body.kind == "webpush":
        if not body.token.startswith("https://") and not body.token.startswith("http://"):
            raise Unprocessable("notifications.invalid_subscription")
        if not body.keys or not {"p256dh", "auth"} <= body.keys.keys():
            raise Unprocessable("notifications.invalid_subscription")
        # The endpoint is a URL the server will POST to: the same SSRF guard as webhooks.
        try:
            await check_url(body.token, settings.webhook.allow_list)
        except UnsafeTarget as exc:
            raise Unprocessable("notifications.push_endpoint_refused", reason=str(exc)) from exc
    device = await repository.device_by_token(session, body.token)
    now = utcnow()
    if device is None:
        device = PushDevice(
            user_id=principal.id,
            kind=body.kind,
            platform=body.platform,
            token=body.token,
            keys=body.keys,
            last_seen_at=now,
        )
        session.add(device)
    else:
        device.user_id = principal.id
        device.kind = body.kind
        device.platform = body.platform
        device.keys = body.keys
        device.last_seen_at = now
        device.disabled_at = None
        device.disabled_reason = None
    await session.flush()
    return device


async def unregister_push_token(session: AsyncSession, principal: Principal, token: str) -> None:
    if not await repository.delete_device(session, principal.id, token):
        raise NotFound("notifications.device_not_found")


# --- channels ----------------------------------------------------------------------------------


def channel_read(channel: NotificationChannel, secret: str | None = None) -> ChannelRead:
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


async def list_channels(session: AsyncSession, principal: Principal) -> list[ChannelRead]:
    return [channel_read(c) for c in await repository.list_channels(session, principal.id)]


async def get_channel(
    session: AsyncSession, principal: Principal, channel_id: uuid.UUID
) -> NotificationChannel:
    channel = await repository.get_channel(session, principal.id, channel_id)
    if channel is None:
        raise NotFound("notifications.channel_not_found")
    return channel


async def create_channel(
    session: AsyncSession, principal: Principal, body: ChannelCreate, settings: Settings
) -> ChannelRead:
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
    channel = await get_channel(session, principal, channel_id)
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
    channel = await get_channel(session, principal, channel_id)
    await session.delete(channel)
    await session.flush()


async def test_channel(
    session: AsyncSession, principal: Principal, channel_id: uuid.UUID, settings: Settings
) -> ChannelTestResult:
    """Queue a test notification to exactly this channel (even if disabled by preferences)."""
    channel = await get_channel(session, principal, channel_id)
    if not channel.enabled:
        raise Unprocessable("notifications.channel_disabled")
    recipients = await _recipients(session, [principal.id], settings)
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
    await schedule_delivery(session, ChannelKind(channel.channel_type), [principal.id])
    return ChannelTestResult(
        notification_id=notification.id, delivery_id=delivery.id, status="pending"
    )
