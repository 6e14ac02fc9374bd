"""What a user manages for themself: the inbox (list, read, read-all, delete), per-type
preferences, and the push devices notifications reach them on."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import anyio
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core import artwork_urls
from revenge.core.clock import utcnow
from revenge.core.config import Settings, get_settings
from revenge.core.deps import Principal
from revenge.core.errors import NotFound, Unprocessable
from revenge.library import lookup
from revenge.notifications import repository
from revenge.notifications.channels.push import vapid_public_key
from revenge.notifications.channels.ssrf import UnsafeTarget, check_url
from revenge.notifications.fanout import effective_preference
from revenge.notifications.models import Notification, NotificationPreference, PushDevice
from revenge.notifications.rendering import THUMBNAIL_ROUTE, item_ref, render_row
from revenge.notifications.schemas import (
    NotificationRead,
    PreferenceRead,
    PreferencesUpdate,
    PushTokenCreate,
    WebPushKeyRead,
)
from revenge.notifications.types import NOTIFICATION_TYPES

log = structlog.get_logger(__name__)


# --- inbox -------------------------------------------------------------------------------------


async def present(
    session: AsyncSession, notifications: Sequence[Notification], locale: str
) -> list[dict[str, Any]]:
    """Inbox rows as the API returns them, rendered in ``locale``: one lookup for the whole
    page tells which items have artwork (their thumbnail)."""
    refs = {n.id: ref for n in notifications if (ref := item_ref(n.data or {})) is not None}
    items = await lookup.resolve(session, set(refs.values())) if refs else {}
    result = []
    for n in notifications:
        data = n.data or {}
        rendered = render_row(n.type, locale, data, n.title, n.message)
        item = items.get(refs[n.id]) if n.id in refs else None
        has_art = item is not None and item.artwork_path is not None
        result.append(
            {
                "id": n.id,
                "type": n.type,
                "title": rendered.title,
                "message": rendered.message,
                "data": data,
                "link": rendered.link,
                "thumbnail": THUMBNAIL_ROUTE.format(notification_id=n.id) if has_art else None,
                # Signed URLs an <img> can load without the bearer token (the thumbnail
                # route above needs it).
                "artwork": (
                    artwork_urls.urls_for(get_settings().secret, item.ref.media_type, item.ref.id)
                    if item is not None and has_art
                    else None
                ),
                "read_at": n.read_at,
                "created_at": n.created_at,
            }
        )
    return result


async def list_notifications(
    session: AsyncSession,
    principal: Principal,
    limit: int,
    offset: int,
    unread_only: bool,
    locale: str,
) -> tuple[list[NotificationRead], int, int]:
    """A page of the caller's inbox, newest first, in the caller's current language, with the
    total and the unread count."""
    rows, total, unread = await repository.list_inbox(
        session, principal.id, limit, offset, unread_only
    )
    return await _read(session, rows, locale), total, unread


async def _read(
    session: AsyncSession, rows: list[Notification], locale: str
) -> list[NotificationRead]:
    return [NotificationRead.model_validate(n) for n in await present(session, rows, locale)]


async def _owned(
    session: AsyncSession, principal: Principal, notification_id: uuid.UUID
) -> Notification:
    notification = await repository.get_owned(session, principal.id, notification_id)
    if notification is None:
        raise NotFound("notifications.not_found")
    return notification


async def mark_read(
    session: AsyncSession, principal: Principal, notification_id: uuid.UUID, locale: str
) -> NotificationRead:
    notification = await _owned(session, principal, notification_id)
    if notification.read_at is None:
        notification.read_at = utcnow()
        await session.flush()
    return (await _read(session, [notification], locale))[0]


async def thumbnail_path(
    session: AsyncSession, principal: Principal, notification_id: uuid.UUID
) -> str:
    """The poster or cover file of the item one of the caller's notices is about."""
    notification = await _owned(session, principal, notification_id)
    ref = item_ref(notification.data or {})
    item = await lookup.resolve_one(session, ref) if ref is not None else None
    path = item.artwork_path if item is not None else None
    if path is None or not await anyio.Path(path).is_file():
        raise NotFound("notifications.no_thumbnail")
    return path


async def mark_all_read(session: AsyncSession, principal: Principal) -> int:
    """Marks every unread notification of the caller read; returns how many."""
    return await repository.mark_all_read(session, principal.id)


async def delete_notification(
    session: AsyncSession, principal: Principal, notification_id: uuid.UUID
) -> None:
    """Clear it from the inbox. Deliveries still pending on other channels go out."""
    notification = await _owned(session, principal, notification_id)
    if await repository.pending_deliveries(session, notification.id):
        notification.in_app = False
    else:
        await session.delete(notification)
    await session.flush()


# --- preferences -------------------------------------------------------------------------------


async def get_preferences(session: AsyncSession, principal: Principal) -> list[PreferenceRead]:
    """The caller's effective choice for every type they can configure."""
    rows = {p.notification_type: p for p in await repository.preferences(session, [principal.id])}
    result = []
    for kind, defaults in NOTIFICATION_TYPES.items():
        if not defaults.configurable or (defaults.admin_only and not principal.is_admin):
            continue
        pref = effective_preference(defaults, rows.get(kind.value))
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
    """Applies the given switches (a type's other switches keep their value)."""
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


async def _check_webpush_subscription(body: PushTokenCreate, settings: Settings) -> None:
    if not body.token.startswith("https://") and not body.token.startswith("http://"):
        raise Unprocessable("notifications.invalid_subscription")
    if not body.keys or not {"p256dh", "auth"} <= body.keys.keys():
        raise Unprocessable("notifications.invalid_subscription")
    # The endpoint is a URL the server will POST to: the same SSRF guard as webhooks.
    try:
        await check_url(body.token, settings.webhook.allow_list)
    except UnsafeTarget as exc:
        raise Unprocessable("notifications.push_endpoint_refused", reason=str(exc)) from exc


async def register_push_token(
    session: AsyncSession, principal: Principal, body: PushTokenCreate, settings: Settings
) -> PushDevice:
    """Idempotent: the same token registered again is refreshed (and moves to this user,
    because a device belongs to whoever signed in on it last)."""
    if body.kind == "webpush":
        await _check_webpush_subscription(body, settings)
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
