"""What a notice says: its title and message in a locale, rendered from its type and data
when it is read (inbox, single notice, live stream) or sent (channels that send once), its
link in the web app, and the library item it is about (its thumbnail).

An inbox row keeps its type and data; its title and message are rendered in the reader's
language of the moment, and in the recipient's language at send time for channels that send
once. The stored title/message are only the fallback for old rows whose data lacks what the
catalogue message needs."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from revenge.core.i18n import FALLBACK_LOCALE, load_catalogue, placeholders, translate
from revenge.library import lookup
from revenge.notifications.types import NotificationType

# Where a notice's thumbnail is served (the poster or cover of the item it is about).
THUMBNAIL_ROUTE = "/api/v1/users/me/notifications/{notification_id}/thumbnail"
# The web app's page of a library item: /library/<plural kind>/<id>.
_ITEM_PAGE = "/library/{kind}/{item_id}"
_PLURAL_KINDS = {
    "movie": "movies",
    "series": "series",
    "season": "series",
    "episode": "episodes",
    "artist": "artists",
    "album": "albums",
    "track": "tracks",
}
# The order in which a summary names its counts.
SUMMARY_KINDS = ("movie", "series", "episode", "album", "track", "artist")
# How many titles a summary's message names before "and N more".
SUMMARY_TITLES_SHOWN = 3

_LINKS: dict[str, str] = {
    NotificationType.request_approved: "/requests",
    NotificationType.request_denied: "/requests",
    NotificationType.request_available: "/requests",
    NotificationType.request_pending: "/admin/requests",
    NotificationType.request_handoff_failed: "/admin/requests",
    NotificationType.scrobble_reconnect: "/scrobbling",
    NotificationType.webhook_disabled: "/notifications",
}


@dataclass(frozen=True)
class Rendered:
    title: str
    message: str
    link: str | None


def _is_summary(notification_type: str, data: Mapping[str, Any]) -> bool:
    return (
        notification_type == NotificationType.new_content
        and isinstance(data.get("counts"), dict)
        and data.get("group_count", 0) != 1
    )


def _summary(locale: str, data: Mapping[str, Any]) -> tuple[str, str]:
    """ "6 new movies, 4 new albums" and the first few titles of what came."""
    counts: dict[str, int] = data["counts"]
    kinds = [k for k in SUMMARY_KINDS if counts.get(k)] + sorted(
        k for k in counts if k not in SUMMARY_KINDS and counts[k]
    )
    title = ", ".join(
        translate("notifications.new_content.count", locale, kind=kind, count=counts[kind])
        for kind in kinds
    )
    names = [str(t) for t in data.get("items") or []]
    shown = names[:SUMMARY_TITLES_SHOWN]
    total = int(data.get("group_count") or len(names))
    message = translate(
        "notifications.new_content.summary_message",
        locale,
        titles=", ".join(shown),
        more=max(total - len(shown), 0),
    )
    return title, message


def render(notification_type: str, locale: str, data: Mapping[str, Any]) -> tuple[str, str]:
    """Title and message in ``locale`` from ``notifications.<type>.title|message`` (a library
    announcement of several things: the counts per kind and a few titles)."""
    if _is_summary(notification_type, data):
        return _summary(locale, data)
    return (
        translate(f"notifications.{notification_type}.title", locale, **data),
        translate(f"notifications.{notification_type}.message", locale, **data),
    )


def _renderable(notification_type: str, data: Mapping[str, Any]) -> bool:
    """Whether ``data`` holds every argument the type's messages read (old rows may not)."""
    if _is_summary(notification_type, data):
        return True
    messages = load_catalogue(FALLBACK_LOCALE).messages
    needed: set[str] = set()
    for part in ("title", "message"):
        template = messages.get(f"notifications.{notification_type}.{part}")
        if template is None:
            return False
        needed |= placeholders(template)
    return needed <= data.keys()


def item_ref(data: Mapping[str, Any]) -> lookup.MediaRef | None:
    """The library item a notice is about, when its data names one."""
    media_type, media_id = data.get("media_type"), data.get("media_id")
    if not media_type or not media_id:
        return None
    try:
        return lookup.MediaRef.of(str(media_type), uuid.UUID(str(media_id)))
    except ValueError:
        return None


def link(notification_type: str, data: Mapping[str, Any]) -> str | None:
    """The web app's page for the notice: the item it announces, the request, the settings."""
    if notification_type == NotificationType.new_content:
        if _is_summary(notification_type, data):
            return "/library"
        kind = _PLURAL_KINDS.get(str(data.get("media_type")))
        if kind and data.get("media_id"):
            return _ITEM_PAGE.format(kind=kind, item_id=data["media_id"])
        return None
    return _LINKS.get(notification_type)


def render_row(
    notification_type: str,
    locale: str,
    data: Mapping[str, Any],
    stored_title: str,
    stored_message: str,
) -> Rendered:
    """A stored notification as ``locale`` reads it; an old row whose data cannot be rendered
    keeps the texts it was stored with."""
    try:
        known = NotificationType(notification_type)
    except ValueError:
        known = None
    if known is not None and _renderable(notification_type, data):
        title, message = render(notification_type, locale, data)
    else:
        title, message = stored_title, stored_message
    return Rendered(title, message, link(notification_type, data) if known else None)
