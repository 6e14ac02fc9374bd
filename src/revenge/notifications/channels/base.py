"""The protocol every delivery channel implements, and the data a send needs."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from revenge.notifications.types import ChannelKind, NotificationType


@dataclass(frozen=True)
class Recipient:
    id: uuid.UUID
    username: str
    display_name: str | None
    email: str | None
    locale: str
    timezone: str


@dataclass
class DeliveryItem:
    """One due delivery, loaded with everything a channel needs to send it."""

    delivery_id: uuid.UUID
    notification_id: uuid.UUID
    target_key: str
    attempt: int  # the number of this attempt (1 = first)
    type: str
    category: str
    title: str
    message: str
    data: dict[str, Any]
    created_at: datetime
    recipient: Recipient
    # Filled by the channel's ``prepare`` (a webhook's config, a push device, an address).
    target: Any = None


@dataclass
class SendResult:
    response_code: int | None = None
    detail: str | None = None


@dataclass
class Outcome:
    item: DeliveryItem
    status: str  # sent | retry | failed | skipped
    response_code: int | None = None
    error: str | None = None
    retry_after: float | None = None
    # The target is gone for good (unregistered device, 410 webhook): stop using it.
    target_gone: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


# (user id, notification type, data) to pass to ``service.notify``.
FollowUp = tuple[uuid.UUID, NotificationType, dict[str, Any]]


class TargetGone(Exception):
    """The receiving end says this target no longer exists (FCM UNREGISTERED, 404/410)."""

    def __init__(self, reason: str, *, status_code: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status_code = status_code


class NotSent(Exception):
    """Nothing to send to (no address, channel not configured): recorded as skipped."""


class DeliveryChannel(Protocol):
    """Sends notifications to one kind of target.

    ``targets`` and ``prepare``/``after`` run on the caller's session; ``send`` does only I/O
    (it runs concurrently) and raises ``RetryableError``, ``PermanentError``, ``TargetGone``
    or ``NotSent`` from ``revenge.core.http`` / this module when it did not deliver.
    """

    kind: ChannelKind
    max_attempts: int

    async def targets(
        self, session: AsyncSession, recipients: Sequence[Recipient]
    ) -> dict[uuid.UUID, list[str]]:
        """The target keys each recipient currently has for this channel."""
        ...

    async def prepare(self, session: AsyncSession, items: Sequence[DeliveryItem]) -> None:
        """Load each item's ``target`` (items whose target vanished keep ``None``)."""
        ...

    async def send(self, item: DeliveryItem) -> SendResult: ...

    async def after(self, session: AsyncSession, outcomes: Sequence[Outcome]) -> list[FollowUp]:
        """Side effects of a batch (disable dead devices, count a webhook's failures); returns
        notifications to send because of them (e.g. "your webhook was disabled")."""
        ...

    async def aclose(self) -> None: ...
