"""The notification types other features send, with their default channels.

Adding a type = one entry here + catalogue keys ``notifications.<type>.title`` / ``.message``
+ optionally an email template ``templates/email/<type>.{html,txt}`` (else the generic one).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ChannelKind(StrEnum):
    """Where a notification can go besides the in-app inbox."""

    email = "email"
    push = "push"
    webhook = "webhook"


class NotificationType(StrEnum):
    new_content = "new_content"
    request_approved = "request_approved"
    request_denied = "request_denied"
    request_available = "request_available"
    # To admins: a request waits for review; a request could not be handed to its downloader.
    request_pending = "request_pending"
    request_handoff_failed = "request_handoff_failed"
    system = "system"
    webhook_disabled = "webhook_disabled"
    scrobble_reconnect = "scrobble_reconnect"
    test = "test"


@dataclass(frozen=True)
class TypeDefaults:
    # The seed's coarse category (new_content | request_update | system), sent in webhooks.
    category: str
    in_app: bool
    email: bool
    push: bool
    webhook: bool
    # False for types the user cannot switch off (they exist to tell the user about a problem).
    configurable: bool = True
    # Only administrators receive it (and only they see it among their preferences).
    admin_only: bool = False

    def allows(self, channel: ChannelKind) -> bool:
        return bool(getattr(self, channel.value))


NOTIFICATION_TYPES: dict[NotificationType, TypeDefaults] = {
    NotificationType.new_content: TypeDefaults("new_content", True, False, False, True),
    NotificationType.request_approved: TypeDefaults("request_update", True, True, False, True),
    NotificationType.request_denied: TypeDefaults("request_update", True, True, False, True),
    NotificationType.request_available: TypeDefaults("request_update", True, True, False, True),
    NotificationType.request_pending: TypeDefaults(
        "request_update", True, True, False, True, admin_only=True
    ),
    NotificationType.request_handoff_failed: TypeDefaults(
        "request_update", True, True, False, True, admin_only=True
    ),
    NotificationType.system: TypeDefaults("system", True, True, False, False),
    NotificationType.webhook_disabled: TypeDefaults(
        "system", True, False, False, False, configurable=False
    ),
    # A scrobbling service stopped accepting our session: plays wait until the user reconnects.
    NotificationType.scrobble_reconnect: TypeDefaults(
        "system", True, True, False, False, configurable=False
    ),
    # Sent by "test this channel": preferences do not apply, the chosen channel is used.
    NotificationType.test: TypeDefaults("system", False, False, False, False, configurable=False),
}
