"""Webhooks: Standard Webhooks signing, payload templates, auto-disable (SSRF guard: ssrf.py)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, NoReturn

import httpx2 as httpx
from jinja2 import TemplateError
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core.clock import utcnow
from revenge.core.config import Settings
from revenge.core.crypto import decrypt, encrypt
from revenge.core.errors import ServiceUnavailable, Unprocessable
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
    SendResult,
    TargetGone,
)
from revenge.notifications.channels.ssrf import UnsafeTarget, check_url
from revenge.notifications.channels.templating import (
    RendererUnavailable,
    TemplateLimits,
    TemplateRejected,
    TemplateTooCostly,
    shared_renderer,
)
from revenge.notifications.models import NotificationChannel, NotificationDelivery, any_of
from revenge.notifications.types import ChannelKind, NotificationType

SECRET_PURPOSE = "notifications.webhook_secret"
SECRET_PREFIX = "whsec_"
MAX_PAYLOAD_BYTES = 64 * 1024
# User templates render in a bounded sandbox in child processes (templating.py): never on the
# event loop, never longer than the time limit. Saving a template tries it with a shorter limit
# than sending (its sample event is tiny); the two pools keep saves from queueing behind sends.
SEND_LIMITS = TemplateLimits(max_output_bytes=MAX_PAYLOAD_BYTES, time_limit=2.0)
VALIDATE_LIMITS = TemplateLimits(max_output_bytes=MAX_PAYLOAD_BYTES, time_limit=1.0)
_send_renderer = shared_renderer(processes=2)
# Saves wait for a free validation process at most this long (then 503).
_validate_renderer = shared_renderer(processes=1, wait_limit=5.0)


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


# --- payloads ---------------------------------------------------------------------------------


def template_variables(item: DeliveryItem) -> dict[str, Any]:
    return {
        "id": str(item.notification_id),
        "type": item.type,
        "category": item.category,
        "title": item.title,
        "message": item.message,
        "data": item.data,
        "created_at": item.created_at.isoformat(),
        "user": item.recipient.username,
        "locale": item.recipient.locale,
    }


def _envelope(variables: dict[str, Any]) -> tuple[bytes, str]:
    body = {
        "type": f"notification.{variables['type']}",
        "timestamp": variables["created_at"],
        "data": variables,
    }
    return json.dumps(body, separators=(",", ":"), default=str).encode(), "application/json"


def _typed(rendered: str) -> tuple[bytes, str]:
    body = rendered.encode("utf-8", "replace")
    try:
        json.loads(body)
        return body, "application/json"
    except ValueError:
        return body, "text/plain; charset=utf-8"


def render_payload(template: str | None, item: DeliveryItem) -> tuple[bytes, str]:
    """(body, content type). Without a template: the Standard Webhooks envelope.

    Blocks the calling thread while a template renders (bounded by ``SEND_LIMITS``); raises
    ``TemplateRejected`` or ``RendererUnavailable``. ``render_payload_async`` does not block."""
    variables = template_variables(item)
    if not template:
        return _envelope(variables)
    return _typed(_send_renderer.render(template, variables, SEND_LIMITS))


async def render_payload_async(template: str | None, item: DeliveryItem) -> tuple[bytes, str]:
    variables = template_variables(item)
    if not template:
        return _envelope(variables)
    return _typed(await _send_renderer.render_async(template, variables, SEND_LIMITS))


def _sample_variables() -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "type": "test",
        "category": "system",
        "title": "t",
        "message": "m",
        "data": {},
        "created_at": "2026-01-01T00:00:00+00:00",
        "user": "u",
        "locale": "en",
    }


def _raise_for_save(exc: TemplateRejected | RendererUnavailable) -> NoReturn:
    if isinstance(exc, TemplateTooCostly):
        raise Unprocessable("notifications.template_too_costly", reason=exc.reason) from exc
    if isinstance(exc, TemplateRejected):
        # The caller answers ``notifications.invalid_template`` for a TemplateError.
        raise TemplateError(exc.reason) from exc
    raise ServiceUnavailable() from exc


async def validate_template_async(template: str) -> None:
    """Parse and try the template on a sample event, under ``VALIDATE_LIMITS``, in a renderer
    process (the event loop only waits).

    Raises ``TemplateError`` when it cannot render, ``Unprocessable``
    (``notifications.template_too_costly``) when it breaks a bound."""
    try:
        await _validate_renderer.render_async(template, _sample_variables(), VALIDATE_LIMITS)
    except (TemplateRejected, RendererUnavailable) as exc:
        _raise_for_save(exc)


class WebhookChannel:
    kind = ChannelKind.webhook
    # With backoff_seconds(base 30 s, cap 6 h): retries spread over roughly a day.
    max_attempts = 12
    backoff_base = 30.0

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

    async def prepare(self, session: AsyncSession, items: Sequence[DeliveryItem]) -> None:
        ids = {uuid.UUID(i.target_key) for i in items}
        rows = await session.execute(
            select(NotificationChannel).where(
                any_of(NotificationChannel.id, ids), NotificationChannel.enabled.is_(True)
            )
        )
        channels = {str(c.id): c for c in rows.scalars()}
        secrets_by_id: dict[str, str] = {}
        for item in items:
            channel = channels.get(item.target_key)
            if channel is None:
                continue
            if item.target_key not in secrets_by_id:
                secrets_by_id[item.target_key] = open_secret(
                    self.settings, channel.config["secret_encrypted"]
                )
            item.target = {
                "url": channel.config["url"],
                "secret": secrets_by_id[item.target_key],
                "template": channel.config.get("payload_template"),
                "name": channel.name,
            }

    async def send(self, item: DeliveryItem) -> SendResult:
        if item.target is None:
            raise NotSent("webhook disabled or deleted")
        url = item.target["url"]
        try:
            await check_url(url, self.settings.webhook.allow_list)
        except UnsafeTarget as exc:
            raise PermanentError(f"refused: {exc}") from exc
        try:
            body, content_type = await render_payload_async(item.target["template"], item)
        except TemplateTooCostly as exc:
            raise PermanentError(f"payload template too costly: {exc.reason}") from exc
        except TemplateRejected as exc:
            raise PermanentError(f"payload template error: {exc.reason}") from exc
        except RendererUnavailable as exc:  # busy or not starting: not this template's fault
            raise RetryableError(f"payload template not rendered: {exc}") from exc
        if len(body) > MAX_PAYLOAD_BYTES:
            raise PermanentError(f"payload larger than {MAX_PAYLOAD_BYTES} bytes")
        # The id is stable across retries: receivers deduplicate on it.
        msg_id = f"msg_{item.delivery_id.hex}"
        timestamp = int(time.time())
        headers = {
            "content-type": content_type,
            "webhook-id": msg_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(item.target["secret"], msg_id, timestamp, body),
        }
        try:
            response = await self.http.post(url, content=body, headers=headers)
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

    async def after(self, session: AsyncSession, outcomes: Sequence[Outcome]) -> list[FollowUp]:
        """Track consecutive failures per endpoint; disable it (and tell its owner) when the
        limit is reached or it answered 410."""
        by_channel: dict[str, list[Outcome]] = {}
        for outcome in outcomes:
            if outcome.item.target is not None and outcome.status != "skipped":
                by_channel.setdefault(outcome.item.target_key, []).append(outcome)
        follow_ups: list[FollowUp] = []
        limit = self.settings.webhook.max_failures_before_disable
        now = utcnow()
        healthy = [
            uuid.UUID(key)
            for key, results in by_channel.items()
            if all(o.status == "sent" for o in results)
        ]
        if healthy:  # the common case, one statement for the whole batch
            await session.execute(
                update(NotificationChannel)
                .where(any_of(NotificationChannel.id, healthy))
                .values(consecutive_failures=0, last_success_at=now),
                # No loaded channel needs refreshing: the failing ones below are read afresh.
                execution_options={"synchronize_session": False},
            )
        healthy_keys = {str(channel_id) for channel_id in healthy}
        failing = [key for key in by_channel if key not in healthy_keys]
        for channel_key in failing:
            results = by_channel[channel_key]
            channel = await session.get(NotificationChannel, uuid.UUID(channel_key))
            if channel is None or not channel.enabled:
                continue
            failures = [o for o in results if o.status != "sent"]
            if len(failures) < len(results):
                channel.last_success_at = now
                channel.consecutive_failures = 0
            channel.consecutive_failures += len(failures)
            channel.last_failure_at = now
            gone = any(o.target_gone for o in results)
            if gone or channel.consecutive_failures >= limit:
                reason = failures[-1].error or "failed"
                channel.enabled = False
                channel.disabled_reason = reason
                # The endpoint's other waiting deliveries will not be tried any more.
                await session.execute(
                    update(NotificationDelivery)
                    .where(
                        NotificationDelivery.channel == ChannelKind.webhook.value,
                        NotificationDelivery.target_key == channel_key,
                        NotificationDelivery.status == "pending",
                    )
                    .values(status="failed", last_error="webhook disabled: " + reason)
                )
                follow_ups.append(
                    (
                        channel.user_id,
                        NotificationType.webhook_disabled,
                        {
                            "name": channel.name,
                            "failures": channel.consecutive_failures,
                            "reason": reason,
                            "channel_id": channel_key,
                        },
                    )
                )
        return follow_ups

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
