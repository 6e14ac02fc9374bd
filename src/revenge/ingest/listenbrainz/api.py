"""The ListenBrainz-compatible API at ``/1/`` (README "Connect your media server").

A foreign protocol, so a sub-application of its own: its errors are the real server's
``{"code": status, "error": message}``, not this server's problem+json, every response carries
the rate-limit headers ListenBrainz clients read, and it stays out of the OpenAPI document.

The token is a Revenge API key (``users/me/api-keys``), sent as ``Authorization: Token <key>``
(the real server splits the header at the first space, so any scheme word works) or, for
``validate-token`` only, as ``?token=``. ListenBrainz listens are public; here they are a
household's private data, so reading a user's listens takes that user's token or an admin's.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from contextlib import contextmanager

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from revenge.core import clock
from revenge.core.deps import AppSettings, DbSession, Principal
from revenge.core.errors import BUSY_RETRY_AFTER_SECONDS
from revenge.core.security import token_digest
from revenge.ingest.listenbrainz import listens
from revenge.ingest.listenbrainz.validation import (
    MAX_LISTEN_PAYLOAD_SIZE,
    ListenBrainzError,
    parse_submission,
)
from revenge.users import lookup as users
from revenge.users import service as users_service

log = structlog.get_logger(__name__)

PREFIX = "/1"
# This server enforces no request budget of its own on /1/ (its work per request is bounded
# by the payload limits): the headers tell clients that read them (liblistenbrainz waits
# when Remaining is 0) that they never need to wait.
RATE_LIMIT = 1000
RATE_WINDOW_SECONDS = 10
MAX_ITEMS_PER_GET = 1000
DEFAULT_ITEMS_PER_GET = 25
_FIRST_DAY, _LAST_DAY = -62_135_596_800, 253_402_300_799  # 0001-01-01, 9999-12-31 UTC


def _token_of(header: str) -> str:
    """The token of an ``Authorization`` header, split as the real server splits it."""
    parts = header.split(" ")
    if len(parts) < 2:
        raise ListenBrainzError(401, "Provided Authorization header is invalid.")
    return parts[1]


async def _authenticate(session: AsyncSession, token: str) -> Principal | None:
    if not token:
        return None
    principal: Principal | None = await users_service.authenticate(session, None, token)
    return principal


async def _submitter(request: Request, session: AsyncSession) -> tuple[Principal, str]:
    header = request.headers.get("authorization")
    if not header:
        raise ListenBrainzError(401, "You need to provide an Authorization header.")
    token = _token_of(header)
    principal = await _authenticate(session, token)
    if principal is None:
        raise ListenBrainzError(401, "Invalid authorization token.")
    return principal, token


def _int_arg(request: Request, name: str, default: int | None = None) -> int | None:
    value = request.query_params.get(name)
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ListenBrainzError(400, f"Invalid {name} argument: {value}") from None


def _timestamp_arg(request: Request, name: str) -> int | None:
    value = request.query_params.get(name)
    if value is None:
        return None
    try:
        stamp = int(value)
    except ValueError:
        stamp = None
    # The real server makes a date of it: years 1 to 9999 only.
    if stamp is None or not _FIRST_DAY <= stamp <= _LAST_DAY:
        raise ListenBrainzError(400, f"Incorrect {name} timestamp argument: {value}")
    return stamp


async def _readable_user(
    request: Request, session: AsyncSession, user_name: str
) -> users.UserFacts:
    """The user named in the path, if the caller may read their plays: their own token, or
    an admin's. Anyone else is refused alike, whether or not the name exists."""
    principal, _ = await _submitter(request, session)
    user = await users.user_by_name(session, user_name)
    if user is not None and user.id == principal.id:
        return user
    if not principal.is_admin:
        raise ListenBrainzError(403, "You are not allowed to read this user's listens.")
    if user is None:
        raise ListenBrainzError(404, f"Cannot find user: {user_name}")
    return user


# Requests inside ``_cyclic_gc_paused`` now (imports may overlap on the event loop), and
# whether the collector was on when the first of them came in.
_gc_pauses = 0
_gc_was_enabled = False


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while an import is parsed and applied.

    A 1,000-listen import holds tens of thousands of small objects (parsed JSON, listens,
    matches, rows, job arguments) until it is done. Collections that run meanwhile find
    them all alive and move them into the oldest generation, and every few imports that
    triggers a full collection of the whole process (0.1-0.3 s on a 2-core machine, as long
    as an import itself). Paused, they die by reference counting when the import ends and
    are never promoted; the collector resumes at once after, with everything it missed."""
    global _gc_pauses, _gc_was_enabled
    if _gc_pauses == 0:
        _gc_was_enabled = gc.isenabled()
        gc.disable()
    _gc_pauses += 1
    try:
        yield
    finally:
        _gc_pauses -= 1
        if _gc_pauses == 0 and _gc_was_enabled:
            gc.enable()


async def submit_listens(
    request: Request, session: DbSession, settings: AppSettings
) -> JSONResponse:
    principal, token = await _submitter(request, session)
    try:
        raw = await request.body()
    except StarletteHTTPException as exc:
        if exc.status_code != 413:
            raise
        # Refused by the body limit before it was read, as the real server refuses it.
        raise ListenBrainzError(
            400,
            f"Payload too large. Payload cannot exceed {MAX_LISTEN_PAYLOAD_SIZE} bytes",
        ) from None
    submitter = listens.Submitter(
        user_id=principal.id, username=principal.username, token_digest=token_digest(token)
    )
    with _cyclic_gc_paused():
        submission = parse_submission(raw, int(clock.utcnow().timestamp()))
        outcome = await listens.submit_listens(session, submitter, submission, settings)
    log.info(
        "listenbrainz.submitted",
        listen_type=submission.listen_type.value,
        listens=len(submission.listens),
        recorded=outcome.recorded,
        duplicates=outcome.duplicates,
        kept=outcome.kept,
    )
    return JSONResponse({"status": "ok"})


async def validate_token(request: Request, session: DbSession) -> JSONResponse:
    header = request.headers.get("authorization")
    if header and header.lower().startswith("token "):
        token = header.split(" ")[1]
    else:
        # Older clients (liblistenbrainz among them) send it as a query parameter.
        token = request.query_params.get("token", "")
    if not token:
        raise ListenBrainzError(400, "You need to provide an Authorization token.")
    principal = await _authenticate(session, token)
    if principal is None:
        return JSONResponse({"code": 200, "message": "Token invalid.", "valid": False})
    return JSONResponse(
        {"code": 200, "message": "Token valid.", "valid": True, "user_name": principal.username}
    )


async def get_listens(request: Request, session: DbSession, user_name: str) -> JSONResponse:
    user = await _readable_user(request, session, user_name)
    max_ts = _timestamp_arg(request, "max_ts")
    min_ts = _timestamp_arg(request, "min_ts")
    if max_ts is not None and min_ts is not None and max_ts <= min_ts:
        raise ListenBrainzError(400, "max_ts should be greater than min_ts")
    count = min(_int_arg(request, "count", DEFAULT_ITEMS_PER_GET) or 0, MAX_ITEMS_PER_GET)
    if count < 0:
        raise ListenBrainzError(400, "Number of items requested should be positive")
    payload = await listens.read_listens(
        session, user.id, user.username, min_ts=min_ts, max_ts=max_ts, count=count
    )
    return JSONResponse({"payload": payload})


async def get_listen_count(request: Request, session: DbSession, user_name: str) -> JSONResponse:
    user = await _readable_user(request, session, user_name)
    return JSONResponse({"payload": await listens.read_listen_count(session, user.id)})


async def get_playing_now(
    request: Request, session: DbSession, settings: AppSettings, user_name: str
) -> JSONResponse:
    user = await _readable_user(request, session, user_name)
    payload = await listens.read_playing_now(session, user.id, user.username, settings)
    return JSONResponse({"payload": payload})


# --- the sub-application -----------------------------------------------------------------------


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"code": status, "error": message}, status_code=status, headers=headers)


class RateLimitHeaders:
    """``X-RateLimit-*`` on every response, as the real server sends them (pure ASGI)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                reset = int(time.time()) + RATE_WINDOW_SECONDS
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-ratelimit-limit", str(RATE_LIMIT).encode()),
                    (b"x-ratelimit-remaining", str(RATE_LIMIT).encode()),
                    (b"x-ratelimit-reset-in", str(RATE_WINDOW_SECONDS).encode()),
                    (b"x-ratelimit-reset", str(reset).encode()),
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def listenbrainz_app() -> FastAPI:
    """The ``/1/`` application, to be mounted at ``PREFIX`` by ``main``."""
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.add_api_route("/submit-listens", submit_listens, methods=["POST"])
    app.add_api_route("/validate-token", validate_token, methods=["GET"])
    app.add_api_route("/user/{user_name}/listens", get_listens, methods=["GET"])
    app.add_api_route("/user/{user_name}/listen-count", get_listen_count, methods=["GET"])
    app.add_api_route("/user/{user_name}/playing-now", get_playing_now, methods=["GET"])

    @app.exception_handler(ListenBrainzError)
    async def _listenbrainz_error(request: Request, exc: ListenBrainzError) -> JSONResponse:
        return _error(exc.status, exc.message, exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = {k: v for k, v in (exc.headers or {}).items() if not k.startswith("X-Body")}
        return _error(exc.status_code, str(exc.detail), headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _error(400, "Invalid request.")

    @app.exception_handler(sa_exc.TimeoutError)
    async def _busy(request: Request, exc: sa_exc.TimeoutError) -> JSONResponse:
        log.warning("request.database_busy")
        return _error(
            503,
            "Cannot submit listens right now, please try again later.",
            {"Retry-After": str(BUSY_RETRY_AFTER_SECONDS)},
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("request.unhandled_error")
        return _error(500, "Something went wrong. Please try again.")

    app.add_middleware(RateLimitHeaders)
    return app
