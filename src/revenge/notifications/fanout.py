"""Who gets what: one event becomes, per recipient, an inbox row (when in-app is wanted) and
one delivery row per enabled target, all in the caller's transaction, in a constant number of
statements whatever the fan-out; the drain jobs are scheduled in the same transaction."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core.config import Settings
from revenge.core.i18n import normalize_locale
from revenge.notifications import repository, tasks
from revenge.notifications.channels.base import Recipient
from revenge.notifications.channels.registry import build_channel
from revenge.notifications.models import NotificationPreference
from revenge.notifications.rendering import render
from revenge.notifications.types import (
    NOTIFICATION_TYPES,
    ChannelKind,
    NotificationType,
    TypeDefaults,
)
from revenge.users import lookup as user_lookup

# LISTEN/NOTIFY channel of the live inboxes (stream.py).
PG_CHANNEL = "revenge_notifications"

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


def effective_preference(
    defaults: TypeDefaults, row: NotificationPreference | None
) -> EffectivePreference:
    """The user's saved choice for a type, or the type's defaults (always, when the type is
    not configurable)."""
    if row is None or not defaults.configurable:
        return EffectivePreference(defaults.in_app, defaults.email, defaults.push, defaults.webhook)
    return EffectivePreference(row.in_app, row.email, row.push, row.webhook)


async def load_recipients(
    session: AsyncSession, user_ids: Sequence[uuid.UUID], settings: Settings
) -> list[Recipient]:
    """The active users among ``user_ids``, with the locale and timezone they read in."""
    found = await user_lookup.users_by_id(session, user_ids, active_only=True)
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
        for r in found.values()
    ]


@dataclass
class _Plan:
    """The rows one fan-out writes: texts per locale, inbox rows, delivery rows per channel."""

    rendered: dict[str, tuple[str, str]] = field(default_factory=dict)
    notifications: list[dict[str, Any]] = field(default_factory=list)
    deliveries: dict[ChannelKind, list[dict[str, Any]]] = field(default_factory=dict)
    users_per_channel: dict[ChannelKind, set[uuid.UUID]] = field(default_factory=dict)


async def _targets(
    session: AsyncSession,
    recipients: Sequence[Recipient],
    effective: dict[uuid.UUID, EffectivePreference],
    settings: Settings,
) -> dict[ChannelKind, dict[uuid.UUID, list[str]]]:
    """Per channel, the target keys of each recipient who wants it."""
    targets: dict[ChannelKind, dict[uuid.UUID, list[str]]] = {}
    for channel_kind in ChannelKind:
        wanting = [r for r in recipients if effective[r.id].allows(channel_kind)]
        if wanting:
            channel = build_channel(channel_kind, settings)
            try:
                targets[channel_kind] = await channel.targets(session, wanting)
            finally:
                await channel.aclose()
    return targets


def _plan(
    kind: NotificationType,
    data: dict[str, Any],
    recipients: Sequence[Recipient],
    effective: dict[uuid.UUID, EffectivePreference],
    targets: dict[ChannelKind, dict[uuid.UUID, list[str]]],
) -> _Plan:
    plan = _Plan()
    for recipient in recipients:
        in_app = effective[recipient.id].in_app
        wanted = {
            kind_: keys for kind_, by_user in targets.items() if (keys := by_user.get(recipient.id))
        }
        if not in_app and not wanted:
            continue
        if recipient.locale not in plan.rendered:
            plan.rendered[recipient.locale] = render(kind.value, recipient.locale, data)
        notification_id = uuid.uuid4()
        plan.notifications.append(
            {
                "id": notification_id,
                "user_id": recipient.id,
                "locale": recipient.locale,
                "in_app": in_app,
            }
        )
        for channel_kind, keys in wanted.items():
            plan.users_per_channel.setdefault(channel_kind, set()).add(recipient.id)
            plan.deliveries.setdefault(channel_kind, []).extend(
                {
                    "id": uuid.uuid4(),
                    "notification_id": notification_id,
                    "user_id": recipient.id,
                    "target_key": key,
                }
                for key in keys
            )
    return plan


async def _store(
    session: AsyncSession,
    kind: NotificationType,
    data: dict[str, Any],
    group_key: str | None,
    plan: _Plan,
) -> None:
    """One statement per table whatever the fan-out (unnest of arrays; the data is shared)."""
    locales = list(plan.rendered)
    await session.execute(
        _INSERT_NOTIFICATIONS,
        {
            "ids": _csv(n["id"] for n in plan.notifications),
            "users": _csv(n["user_id"] for n in plan.notifications),
            "idx": _csv(locales.index(n["locale"]) + 1 for n in plan.notifications),
            "in_app": _csv("t" if n["in_app"] else "f" for n in plan.notifications),
            "locales": locales,
            "titles": [plan.rendered[loc][0] for loc in locales],
            "messages": [plan.rendered[loc][1] for loc in locales],
            "type": kind.value,
            "data": json.dumps(data),
            "group_key": group_key,
        },
    )
    for channel_kind in ChannelKind:
        rows = plan.deliveries.get(channel_kind)
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
    shown = [n for n in plan.notifications if n["in_app"]]
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


async def notify(
    session: AsyncSession,
    user_id: uuid.UUID,
    notification_type: NotificationType | str,
    data: dict[str, Any],
    *,
    settings: Settings,
    group_key: str | None = None,
) -> uuid.UUID | None:
    """Tell one user something, in their language, on the channels they want.

    Stores the inbox row (when in-app is wanted) and one delivery row per enabled target,
    and defers the delivery jobs — all in the caller's transaction. Returns the
    notification id, or None when the user wants nothing of this type.
    """
    created = await notify_many(
        session, [user_id], notification_type, data, group_key=group_key, settings=settings
    )
    return created[0] if created else None


async def notify_many(
    session: AsyncSession,
    user_ids: Sequence[uuid.UUID],
    notification_type: NotificationType | str,
    data: dict[str, Any],
    *,
    group_key: str | None = None,
    settings: Settings,
) -> list[uuid.UUID]:
    """``notify`` for many users at once, in a constant number of statements."""
    kind = NotificationType(notification_type)
    defaults = NOTIFICATION_TYPES[kind]
    data = json.loads(json.dumps(data, default=str))  # JSON only: stored and sent as is
    recipients = await load_recipients(session, user_ids, settings)
    if not recipients:
        return []
    prefs = {
        p.user_id: p
        for p in await repository.preferences(session, [r.id for r in recipients], kind.value)
    }
    effective = {r.id: effective_preference(defaults, prefs.get(r.id)) for r in recipients}
    targets = await _targets(session, recipients, effective, settings)
    plan = _plan(kind, data, recipients, effective, targets)
    if not plan.notifications:
        return []
    await _store(session, kind, data, group_key, plan)
    for channel_kind, users in plan.users_per_channel.items():
        await tasks.schedule_delivery(session, channel_kind, users)
    return [n["id"] for n in plan.notifications]
