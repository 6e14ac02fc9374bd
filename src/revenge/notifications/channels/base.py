"""The protocol every delivery channel implements, the data a send needs, and how one batch's
sends run (concurrently, each failure classified into an ``Outcome``)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core.http import PermanentError, RetryableError
from revenge.notifications.types import ChannelKind, NotificationType

log = structlog.get_logger(__name__)


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
    """One due delivery, loaded with everything a channel needs to send it except its target
    (the channel loads the targets of a whole batch at once)."""

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


# (user id, notification type, data) to pass to ``fanout.notify``.
FollowUp = tuple[uuid.UUID, NotificationType, dict[str, Any]]


# Stores a batch's outcomes on its delivery rows (and logs the attempts): the delivery job's.
RecordOutcomes = Callable[[Sequence[Outcome]], Awaitable[None]]


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

    The fan-out asks ``targets``; the delivery job hands each claimed batch to ``deliver``
    once, which reads the batch's targets, sends, has the outcomes recorded and settles the
    targets' own state, all on the caller's session. A send raises ``RetryableError``,
    ``PermanentError``, ``TargetGone`` or ``NotSent`` when it did not deliver; ``send_all``
    turns those into outcomes.
    """

    kind: ChannelKind
    max_attempts: int

    async def targets(
        self, session: AsyncSession, recipients: Sequence[Recipient]
    ) -> dict[uuid.UUID, list[str]]:
        """The target keys each recipient currently has for this channel."""
        ...

    async def deliver(
        self,
        session: AsyncSession,
        items: Sequence[DeliveryItem],
        *,
        concurrency: int,
        record: RecordOutcomes,
    ) -> list[FollowUp]:
        """Deliver one claimed batch: load the items' targets (one read), send (I/O only, at
        most ``concurrency`` at once), ``record`` the outcomes, then settle the targets from
        them (disable a dead device, count a webhook's failures; settling comes last because
        disabling a webhook fails its deliveries still pending, this batch's retries among
        them). Returns the notifications to send because of it ("your webhook was
        disabled")."""
        ...

    async def aclose(self) -> None: ...


async def attempt(
    send: Callable[[], Awaitable[SendResult]], item: DeliveryItem, max_attempts: int
) -> Outcome:
    """Run one send and classify what happened; never raises."""
    try:
        result = await send()
    except NotSent as exc:
        return Outcome(item, "skipped", error=str(exc))
    except TargetGone as exc:
        return Outcome(
            item, "failed", response_code=exc.status_code, error=exc.reason, target_gone=True
        )
    except PermanentError as exc:
        return Outcome(item, "failed", response_code=exc.status_code, error=exc.reason)
    except RetryableError as exc:
        status = "retry" if item.attempt < max_attempts else "failed"
        return Outcome(
            item,
            status,
            response_code=exc.status_code,
            error=exc.reason,
            retry_after=exc.retry_after,
        )
    except Exception as exc:  # a bug or an unexpected library error: keep the work, retry
        log.exception("notifications.delivery_error", delivery_id=str(item.delivery_id))
        status = "retry" if item.attempt < max_attempts else "failed"
        return Outcome(item, status, error=f"{type(exc).__name__}: {exc}")
    return Outcome(item, "sent", response_code=result.response_code)


async def send_all(
    items: Sequence[DeliveryItem],
    send: Callable[[DeliveryItem], Awaitable[SendResult]],
    *,
    max_attempts: int,
    concurrency: int,
) -> list[Outcome]:
    """Every item's outcome, in order; at most ``concurrency`` sends at once."""
    semaphore = asyncio.Semaphore(concurrency)

    async def limited(item: DeliveryItem) -> Outcome:
        async with semaphore:
            return await attempt(lambda: send(item), item, max_attempts)

    return list(await asyncio.gather(*(limited(item) for item in items)))
