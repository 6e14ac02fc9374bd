"""Webhook payloads: the Standard Webhooks envelope, or the owner's template rendered in the
bounded sandbox by renderer processes (never on the event loop, never past the time limit)."""

from __future__ import annotations

import json
import uuid
from typing import Any, NoReturn

from jinja2 import TemplateError

from revenge.core.errors import ServiceUnavailable, Unprocessable
from revenge.core.http import PermanentError, RetryableError
from revenge.notifications.channels.base import DeliveryItem
from revenge.notifications.channels.renderer import RendererUnavailable, shared_renderer
from revenge.notifications.channels.sandbox import (
    TemplateLimits,
    TemplateRejected,
    TemplateTooCostly,
)

MAX_PAYLOAD_BYTES = 64 * 1024
# Saving a template tries it with a shorter limit than sending (its sample event is tiny); the
# two pools keep saves from queueing behind sends.
SEND_LIMITS = TemplateLimits(max_output_bytes=MAX_PAYLOAD_BYTES, time_limit=2.0)
VALIDATE_LIMITS = TemplateLimits(max_output_bytes=MAX_PAYLOAD_BYTES, time_limit=1.0)
_send_renderer = shared_renderer(processes=2)
# Saves wait for a free validation process at most this long (then 503).
_validate_renderer = shared_renderer(processes=1, wait_limit=5.0)


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


async def payload_to_send(template: str | None, item: DeliveryItem) -> tuple[bytes, str]:
    """(body, content type) to send, or the error that says why there is none."""
    try:
        body, content_type = await render_payload_async(template, item)
    except TemplateTooCostly as exc:
        raise PermanentError(f"payload template too costly: {exc.reason}") from exc
    except TemplateRejected as exc:
        raise PermanentError(f"payload template error: {exc.reason}") from exc
    except RendererUnavailable as exc:  # busy or not starting: not this template's fault
        raise RetryableError(f"payload template not rendered: {exc}") from exc
    if len(body) > MAX_PAYLOAD_BYTES:
        raise PermanentError(f"payload larger than {MAX_PAYLOAD_BYTES} bytes")
    return body, content_type
