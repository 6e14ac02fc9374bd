"""structlog: readable console logs in development, JSON lines with REVENGE_LOG_JSON=1."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any
from urllib.parse import parse_qsl, urlencode

import structlog

REDACTED = "[redacted]"
# Query parameters that carry a credential: share access tokens, OAuth codes and states,
# Last.fm's callback token, API keys.
SECRET_QUERY_PARAMS = frozenset(
    {"access", "token", "code", "state", "api_key", "apikey", "key", "sk", "secret", "password"}
)
# Path segments that are credentials: the share token in /share/{token}/…, the ingest token.
_SECRET_PATH = re.compile(r"(/share/)[^/?#]+|(/ingest/[^/?#]+/)[^/?#]+")
# Event fields whose value is a credential, whatever the event.
_SECRET_FIELDS = frozenset(
    {"token", "access_token", "refresh_token", "api_key", "authorization", "secret", "code"}
)


def redact_path(path: str, query: str = "") -> str:
    """A request target fit for a log line: secret path segments and query values replaced."""
    safe = _SECRET_PATH.sub(lambda m: (m.group(1) or m.group(2)) + REDACTED, path)
    if not query:
        return safe
    pairs = [
        (name, REDACTED if name.lower() in SECRET_QUERY_PARAMS else value)
        for name, value in parse_qsl(query, keep_blank_values=True)
    ]
    return f"{safe}?{urlencode(pairs, safe='[]')}"


def redact_url(url: str) -> str:
    path, _, query = url.partition("?")
    return redact_path(path, query)


_REQUEST_PATHS = ("/api/", "/share/")
# A URL or API path inside free text (an error message, a traceback, a stdlib record).
_URL_IN_TEXT = re.compile(r"(?:https?://[^\s\"']+|/api/v1/[^\s\"']+)")


def _redact_urls_in(text: str) -> str:
    return _URL_IN_TEXT.sub(lambda m: redact_url(m.group(0)), text)


def _redact_event(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: no credential reaches a log line by a field name that holds one,
    or inside a logged URL or path, or inside a URL in any other text (``error=str(exc)``
    and tracebacks spell out the URL of a failed request)."""
    for name, value in event.items():
        if name in _SECRET_FIELDS and value is not None:
            event[name] = REDACTED
        elif isinstance(value, str) and (
            name == "url" or (name == "path" and value.startswith(_REQUEST_PATHS))
        ):
            # ``path`` is often a file on disk (scanner, probe): only request paths are URLs.
            event[name] = redact_url(value)
        elif isinstance(value, str) and ("://" in value or "/api/v1/" in value):
            event[name] = _redact_urls_in(value)
    return event


class _RedactingFilter(logging.Filter):
    """stdlib records (uvicorn, httpx, procrastinate): URLs in the message lose their secrets."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = _redact_urls_in(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class _CurrentStderr:
    """Writes to whatever ``sys.stderr`` is now (test runners and daemons swap it)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure_logging(*, json: bool, level: str = "INFO") -> None:
    processors: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,
        _redact_event,
    ]
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[*processors, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=_CurrentStderr()),  # type: ignore[arg-type]
        cache_logger_on_first_use=True,
    )
    logging.basicConfig(
        level=level.upper(), stream=sys.stderr, format="%(name)s %(levelname)s %(message)s"
    )
    # uvicorn's loggers write through the root handler and its filter, not handlers of their
    # own (a server started with uvicorn's default log config would give them some).
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, _RedactingFilter) for f in handler.filters):
            handler.addFilter(_RedactingFilter())
    # One line per outbound request at INFO would log provider URLs; failures are logged by
    # the features themselves, with the URL redacted.
    # procrastinate tells of every periodic defer and every job it starts and ends at INFO:
    # about 16 lines a minute that bury the start-up banner; failures still come at WARNING
    # and above, and the Jobs page shows every run.
    for noisy in ("httpx", "httpx2", "httpcore", "procrastinate"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level.upper())))
