"""Per-request context (a request id in every log line, the negotiated locale, metrics, one
access-log line without secrets) and the request body limit."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping

import structlog
from fastapi import HTTPException
from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from revenge.core.i18n import negotiate, normalize_locale
from revenge.core.logging import redact_path

access_log = structlog.get_logger("revenge.access")

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
            # Instead of uvicorn's access log, which prints share tokens and ?access= as sent.
            access_log.info(
                "http.request",
                method=scope["method"],
                target=redact_path(scope["path"], scope.get("query_string", b"").decode("latin-1")),
                status=status_holder["status"],
                ms=round(elapsed * 1000, 1),
                client=(scope.get("client") or ("-",))[0],
            )
            structlog.contextvars.unbind_contextvars("request_id")


Limit = int | Callable[[], int]


def path_limits(
    default: Limit, *, paths: Mapping[str, Limit], prefixes: Mapping[str, Limit]
) -> Callable[[Scope], int]:
    """A ``limit_for`` for ``BodyLimitMiddleware``: a path's own limit, else the limit of the
    longest prefix it starts with, else ``default``. A limit may be a function, read per
    request (a setting)."""
    ordered = sorted(prefixes.items(), key=lambda item: len(item[0]), reverse=True)

    def value(limit: Limit) -> int:
        return limit() if callable(limit) else limit

    def limit_for(scope: Scope) -> int:
        path = scope["path"]
        if path in paths:
            return value(paths[path])
        for prefix, limit in ordered:
            if path.startswith(prefix):
                return value(limit)
        return value(default)

    return limit_for


class BodyLimitMiddleware:
    """Refuse request bodies over a limit before they are read (413 problem+json).

    A declared Content-Length over the limit is refused at once; a chunked body is counted as
    it arrives and refused when it passes the limit, so no more than the limit is ever held.
    ``limit_for(scope)`` may give some routes (uploads) their own limit.
    """

    def __init__(self, app: ASGIApp, limit_for: Callable[[Scope], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            scope.setdefault("state", {})["body_limit"] = limit
            await self.app(scope, _refusing_receive(limit), send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _too_large(limit)
            return message

        await self.app(scope, counting_receive, send)


def _too_large(limit: int) -> HTTPException:
    # An HTTPException passes FastAPI's body parsing unchanged and becomes the 413 problem
    # (core.errors); any other exception there would turn into a 400.
    return HTTPException(status_code=413, headers={"X-Body-Limit": str(limit)})


def _refusing_receive(limit: int) -> Receive:
    async def receive() -> Message:
        raise _too_large(limit)

    return receive


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            digits = value.strip()
            # ASCII digits only, and few of them: anything else is no length we trust.
            if digits.isdigit() and digits.isascii() and len(digits) <= 18:
                return int(digits)
            return None
    return None
