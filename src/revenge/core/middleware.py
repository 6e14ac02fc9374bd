"""Per-request context: a request id in every log line, the negotiated locale, metrics."""

from __future__ import annotations

import time
import uuid

import structlog
from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from revenge.core.i18n import negotiate, normalize_locale

REQUESTS = Counter("revenge_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram("revenge_http_request_seconds", "HTTP request latency", ["method", "route"])


class RequestContextMiddleware:
    """Pure ASGI (no BaseHTTPMiddleware) so streaming responses are not buffered."""

    def __init__(self, app: ASGIApp, default_locale: str) -> None:
        self.app = app
        self.default_locale = normalize_locale(default_locale) or "en"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode().lower(): v.decode("latin-1") for k, v in scope["headers"]}
        request_id = headers.get("x-request-id") or uuid.uuid4().hex
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        state["locale"] = negotiate(headers.get("accept-language")) or self.default_locale
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status_holder = {"status": 500}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            route = scope.get("route")
            path = getattr(route, "path", "unmatched")
            elapsed = time.perf_counter() - started
            REQUESTS.labels(scope["method"], path, str(status_holder["status"])).inc()
            LATENCY.labels(scope["method"], path).observe(elapsed)
            structlog.contextvars.unbind_contextvars("request_id")
