"""One exception tree, mapped once to RFC 9457 problem+json with a stable ``code``.

``title`` and ``detail`` come from the catalogue keys ``errors.<code>.title`` and
``errors.<code>.detail`` in the caller's locale; ``params`` fill the placeholders and are
also returned to the client (so a UI can format them itself).
"""

from __future__ import annotations

from typing import Any, ClassVar

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException

from revenge.core.i18n import has_message, translate

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://revenge.invalid/problems/"


class AppError(Exception):
    status: ClassVar[int] = 400
    default_code: ClassVar[str] = "request.invalid"

    def __init__(
        self,
        code: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
        **params: Any,
    ) -> None:
        self.code = code or self.default_code
        self.params = params
        self.headers = headers or {}
        self.extra = extra or {}
        super().__init__(self.code)


class BadRequest(AppError):
    status = 400


class Unauthorized(AppError):
    status = 401
    default_code = "auth.unauthorized"

    def __init__(self, code: str | None = None, **kwargs: Any) -> None:
        super().__init__(code, **kwargs)
        self.headers.setdefault("WWW-Authenticate", "Bearer")


class Forbidden(AppError):
    status = 403
    default_code = "auth.forbidden"


class NotFound(AppError):
    status = 404
    default_code = "resource.not_found"


class Conflict(AppError):
    status = 409
    default_code = "resource.conflict"


class Gone(AppError):
    status = 410
    default_code = "resource.gone"


class PayloadTooLarge(AppError):
    status = 413
    default_code = "request.too_large"


class RangeNotSatisfiable(AppError):
    status = 416
    default_code = "request.range_not_satisfiable"


class Unprocessable(AppError):
    status = 422
    default_code = "request.validation_failed"


class RateLimited(AppError):
    status = 429
    default_code = "request.rate_limited"

    def __init__(self, code: str | None = None, *, retry_after: int, **kwargs: Any) -> None:
        super().__init__(code, retry_after=retry_after, **kwargs)
        self.headers["Retry-After"] = str(max(1, int(retry_after)))


class ServiceUnavailable(AppError):
    status = 503
    default_code = "service.unavailable"


class Problem(BaseModel):
    """RFC 9457 problem details, as every error response of this API is shaped."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    params: dict[str, Any] = {}
    errors: list[dict[str, Any]] | None = None


def problem_response(
    request: Request,
    status: int,
    code: str,
    params: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    locale = getattr(request.state, "locale", None) or "en"
    params = params or {}
    title_key, detail_key = f"errors.{code}.title", f"errors.{code}.detail"
    if not has_message(title_key):  # an unknown code still gets a translated generic text
        title_key, detail_key = f"errors.http_{status}.title", f"errors.http_{status}.detail"
        if not has_message(title_key):
            title_key, detail_key = "errors.http_500.title", "errors.http_500.detail"
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": translate(title_key, locale, **params),
        "status": status,
        "detail": translate(detail_key, locale, **params),
        "code": code,
        "params": {k: _jsonable(v) for k, v in params.items()},
    }
    body.update(extra or {})
    return JSONResponse(
        body,
        status_code=status,
        headers={"Content-Language": locale, **(headers or {})},
        media_type=PROBLEM_CONTENT_TYPE,
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


_HTTP_CODES = {
    401: "auth.unauthorized",
    403: "auth.forbidden",
    404: "resource.not_found",
    405: "request.method_not_allowed",
    413: "request.too_large",
}


# Seconds a client is asked to wait when every database connection is busy.
BUSY_RETRY_AFTER_SECONDS = 2


def install_error_handlers(app: FastAPI) -> None:
    log = structlog.get_logger("revenge.errors")

    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> JSONResponse:
        return problem_response(request, exc.status, exc.code, exc.params, exc.headers, exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        locale = getattr(request.state, "locale", None) or "en"
        raw = list(exc.errors())
        if any(err.get("type") == "json_invalid" for err in raw):
            # Not JSON at all: say where it broke, rather than listing fields.
            err = next(err for err in raw if err.get("type") == "json_invalid")
            loc = err.get("loc", ())
            return problem_response(
                request,
                400,
                "request.malformed_body",
                {"position": loc[-1] if loc else 0, "error": (err.get("ctx") or {}).get("error")},
            )
        errors = [
            {
                "loc": [str(part) for part in err.get("loc", ())],
                "type": err.get("type", "value_error"),
                "msg": _validation_message(err, locale),
            }
            for err in raw
        ]
        return problem_response(
            request,
            422,
            "request.validation_failed",
            {"count": len(errors)},
            extra={"errors": errors},
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:  # FastAPI could not parse the body (bad encoding, form)
            return problem_response(request, 400, "request.malformed_body", {"position": 0})
        code = _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
        headers = {k: v for k, v in (exc.headers or {}).items() if not k.startswith("X-Body")}
        return problem_response(request, exc.status_code, code, headers=headers)

    @app.exception_handler(sa_exc.TimeoutError)
    async def _pool_exhausted(request: Request, exc: sa_exc.TimeoutError) -> JSONResponse:
        # Every connection is in use: a quick 503 lets clients back off instead of piling up.
        log.warning("request.database_busy")
        return problem_response(
            request,
            503,
            "service.busy",
            {"retry_after": BUSY_RETRY_AFTER_SECONDS},
            headers={"Retry-After": str(BUSY_RETRY_AFTER_SECONDS)},
        )

    @app.exception_handler(sa_exc.DataError)
    async def _unstorable(request: Request, exc: sa_exc.DataError) -> JSONResponse:
        # Backstop behind the schemas' bounds: a value PostgreSQL cannot hold or compare
        # (out of range, NUL byte) is the client's input, not a server fault.
        log.warning("request.unstorable_value", error=type(exc.orig).__name__)
        return problem_response(request, 422, "request.value_out_of_range")

    @app.exception_handler(OverflowError)
    async def _overflow(request: Request, exc: OverflowError) -> JSONResponse:
        # Date arithmetic past year 1 or 9999 from a client's value.
        return problem_response(request, 422, "request.value_out_of_range")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("request.unhandled_error")
        return problem_response(request, 500, "internal")


def _validation_message(err: dict[str, Any], locale: str) -> str:
    """Pydantic's error types translated; unknown types fall back to a generic message."""
    kind = str(err.get("type", "value_error"))
    ctx = {k: _jsonable(v) for k, v in (err.get("ctx") or {}).items()}
    key = f"validation.{kind}"
    if has_message(key):
        return translate(key, locale, **ctx)
    return translate("validation.generic", locale)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries declaring problem+json errors for ``statuses``."""
    return {
        status: {"model": Problem, "content": {PROBLEM_CONTENT_TYPE: {}}} for status in statuses
    }
