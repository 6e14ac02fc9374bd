"""Webhooks: Standard Webhooks signing, sending, auto-disable (payloads: webhook_payload.py,
SSRF guard: ssrf.py)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import httpx2 as httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core.clock import utcnow
from revenge.core.config import Settings
from revenge.core.crypto import decrypt, encrypt
from revenge.core.http import (
    PermanentError,
    RetryableError,
    parse_retry_after,
    shared_ssl_context,
)
from revenge.notifications.channels.base import (
    DeliveryItem,
    FollowUp,
    NotSent,
    Outcome,
    Recipient,
    RecordOutcomes,
    SendResult,
    TargetGone,
    send_all,
)
from revenge.notifications.channels.ssrf import UnsafeTarget, check_url
from revenge.notifications.channels.webhook_payload import payload_to_send
from revenge.notifications.models import NotificationChannel, NotificationDelivery, any_of
from revenge.notifications.types import ChannelKind, NotificationType

SECRET_PURPOSE = "notifications.webhook_secret"
SECRET_PREFIX = "whsec_"


# --- secrets and signatures -----------------------------------------------------------------


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def seal_secret(settings: Settings, secret: str) -> str:
    return encrypt(settings.secret, secret, purpose=SECRET_PURPOSE)


def open_secret(settings: Settings, sealed: str) -> str:
    return _open_secret(settings.secret, sealed)


@lru_cache(maxsize=4096)
def _open_secret(server_secret: str, sealed: str) -> str:
    # Cached: key derivation per delivery would cost more than the HTTP call on a fan-out.
    return decrypt(server_secret, sealed, purpose=SECRET_PURPOSE)


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<base64 HMAC-SHA256("{id}.{timestamp}.{body}")>`` keyed with the decoded secret."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


@dataclass(frozen=True)
class _Endpoint:
    """An enabled webhook as one batch uses it: the row (its failure count is updated after
    the batch) and its opened secret."""

    channel: NotificationChannel
    url: str
    secret: str
    template: str | None


class WebhookChannel:
    kind = ChannelKind.webhook
    # With backoff_seconds(base 30 s, cap 6 h): retries spread over roughly a day.
    max_attempts = 12

    def __init__(self, settings: Settings, http: httpx.AsyncClient | None = None) -> None:
        self.settings = settings
        self._http = http

    @property
    def http(self) -> httpx.AsyncClient:
        # Created on first send: building the TLS context costs ~0.3 s, wasted when the
        # channel is only asked for targets.
        if self._http is None:
            self._http = self._new_client()
        return self._http

    def _new_client(self) -> httpx.AsyncClient:
        settings = self.settings
        return httpx.AsyncClient(
            timeout=httpx.Timeout(settings.webhook.timeout_seconds, connect=5.0),
            follow_redirects=False,
            # httpcore scans its whole pool per request: a modest pool is faster than a big one.
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=32),
            headers={"User-Agent": "Revenge-Webhooks/0.8"},
            verify=shared_ssl_context(),
        )

    async def targets(
        self, session: AsyncSession, recipients: Sequence[Recipient]
    ) -> dict[uuid.UUID, list[str]]:
        rows = await session.execute(
            select(NotificationChannel.user_id, NotificationChannel.id).where(
                any_of(NotificationChannel.user_id, [r.id for r in recipients]),
                NotificationChannel.channel_type == ChannelKind.webhook.value,
                NotificationChannel.enabled.is_(True),
            )
        )
        result: dict[uuid.UUID, list[str]] = {}
        for user_id, channel_id in rows:
            result.setdefault(user_id, []).append(str(channel_id))
        return result

    async def deliver(
        self,
        session: AsyncSession,
        items: Sequence[DeliveryItem],
        *,
        concurrency: int,
        record: RecordOutcomes,
    ) -> list[FollowUp]:
        endpoints = await self._endpoints(session, items)
        outcomes = await send_all(
            items,
            lambda item: self._send(item, endpoints.get(item.target_key)),
            max_attempts=self.max_attempts,
            concurrency=concurrency,
        )
        await record(outcomes)
        return await self._settle(session, endpoints, outcomes)

    async def _endpoints(
        self, session: AsyncSession, items: Sequence[DeliveryItem]
    ) -> dict[str, _Endpoint]:
        """The enabled endpoints the batch goes to, each read (and its secret opened) once."""
        ids = {uuid.UUID(i.target_key) for i in items}
        rows = await session.scalars(
            select(NotificationChannel).where(
                any_of(NotificationChannel.id, ids), NotificationChannel.enabled.is_(True)
            )
        )
        return {
            str(channel.id): _Endpoint(
                channel=channel,
                url=channel.config["url"],
                secret=open_secret(self.settings, channel.config["secret_encrypted"]),
                template=channel.config.get("payload_template"),
            )
            for channel in rows
        }

    async def _send(self, item: DeliveryItem, endpoint: _Endpoint | None) -> SendResult:
        if endpoint is None:
            raise NotSent("webhook disabled or deleted")
        try:
            await check_url(endpoint.url, self.settings.webhook.allow_list)
        except UnsafeTarget as exc:
            raise PermanentError(f"refused: {exc}") from exc
        body, content_type = await payload_to_send(endpoint.template, item)
        # The id is stable across retries: receivers deduplicate on it.
        msg_id = f"msg_{item.delivery_id.hex}"
        timestamp = int(time.time())
        headers = {
            "content-type": content_type,
            "webhook-id": msg_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(endpoint.secret, msg_id, timestamp, body),
        }
        try:
            response = await self.http.post(endpoint.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise RetryableError(f"unreachable: {type(exc).__name__}") from exc
        if 200 <= response.status_code < 300:
            return SendResult(response.status_code)
        if response.status_code == 410:
            raise TargetGone("endpoint answered 410 Gone", status_code=410)
        # Any other answer is a failed attempt that is retried on the schedule (the
        # receiver may be mid-deploy); the endpoint is disabled after too many in a row.
        raise RetryableError(
            f"HTTP {response.status_code}",
            retry_after=parse_retry_after(response.headers.get("retry-after")),
            status_code=response.status_code,
        )

    async def _settle(
        self, session: AsyncSession, endpoints: dict[str, _Endpoint], outcomes: Sequence[Outcome]
    ) -> list[FollowUp]:
        """Track consecutive failures per endpoint, on the rows read for this batch; disable
        an endpoint (and tell its owner) when the limit is reached or it answered 410."""
        by_channel: dict[str, list[Outcome]] = {}
        for outcome in outcomes:
            if outcome.item.target_key in endpoints and outcome.status != "skipped":
                by_channel.setdefault(outcome.item.target_key, []).append(outcome)
        now = utcnow()
        healthy = {
            key for key, results in by_channel.items() if all(o.status == "sent" for o in results)
        }
        if healthy:  # the common case, one statement for the whole batch
            await session.execute(
                update(NotificationChannel)
                .where(any_of(NotificationChannel.id, [uuid.UUID(key) for key in healthy]))
                .values(consecutive_failures=0, last_success_at=now),
                # The batch's rows of these endpoints are not used again.
                execution_options={"synchronize_session": False},
            )
        follow_ups: list[FollowUp] = []
        for key, results in by_channel.items():
            if key not in healthy:
                follow_up = await self._count_failures(session, endpoints[key], results, now)
                if follow_up is not None:
                    follow_ups.append(follow_up)
        return follow_ups

    async def _count_failures(
        self, session: AsyncSession, endpoint: _Endpoint, results: list[Outcome], now: datetime
    ) -> FollowUp | None:
        channel = endpoint.channel
        if not channel.enabled:
            return None
        failures = [o for o in results if o.status != "sent"]
        if len(failures) < len(results):
            channel.last_success_at = now
            channel.consecutive_failures = 0
        channel.consecutive_failures += len(failures)
        channel.last_failure_at = now
        gone = any(o.target_gone for o in results)
        limit = self.settings.webhook.max_failures_before_disable
        if not gone and channel.consecutive_failures < limit:
            return None
        reason = failures[-1].error or "failed"
        channel.enabled = False
        channel.disabled_reason = reason
        # The endpoint's other waiting deliveries will not be tried any more.
        await session.execute(
            update(NotificationDelivery)
            .where(
                NotificationDelivery.channel == ChannelKind.webhook.value,
                NotificationDelivery.target_key == str(channel.id),
                NotificationDelivery.status == "pending",
            )
            .values(status="failed", last_error="webhook disabled: " + reason)
        )
        return (
            channel.user_id,
            NotificationType.webhook_disabled,
            {
                "name": channel.name,
                "failures": channel.consecutive_failures,
                "reason": reason,
                "channel_id": str(channel.id),
            },
        )

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
