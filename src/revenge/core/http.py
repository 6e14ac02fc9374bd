"""Outbound HTTP: one client per provider, typed provider errors, backoff with jitter."""

from __future__ import annotations

import functools
import random
import ssl
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx2 as httpx

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)


class ProviderError(Exception):
    """Base of errors an external service gave us; ``reason`` is shown to users."""

    def __init__(self, reason: str, *, status_code: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status_code = status_code


class PermanentError(ProviderError):
    """Retrying will not help (bad credentials, rejected payload): stop and record why."""


class RetryableError(ProviderError):
    """Try again later; ``retry_after`` (seconds) is the provider's wish, if it said one."""

    def __init__(
        self, reason: str, *, retry_after: float | None = None, status_code: int | None = None
    ) -> None:
        super().__init__(reason, status_code=status_code)
        self.retry_after = retry_after


@functools.cache
def shared_ssl_context() -> ssl.SSLContext:
    """One verified TLS context for every client: loading the CA bundle costs ~50 ms of CPU,
    which a client made per job would otherwise pay every time."""
    return httpx.create_ssl_context()


def new_client(
    base_url: str, *, timeout: httpx.Timeout = DEFAULT_TIMEOUT, **kwargs: object
) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=timeout,
        verify=shared_ssl_context(),
        headers={"User-Agent": "Revenge/0.8 (+https://github.com/revenge)"},
        **kwargs,  # type: ignore[arg-type]
    )


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds: either delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    now = now or datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())


def backoff_seconds(
    attempt: int, *, base: float = 30.0, cap: float = 6 * 3600.0, retry_after: float | None = None
) -> float:
    """Exponential backoff with full jitter, never sooner than the provider asked."""
    ceiling = min(cap, base * (2 ** max(0, attempt)))
    delay = random.uniform(ceiling / 2, ceiling)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return delay


def classify_status(response: httpx.Response, reason: str | None = None) -> ProviderError:
    """The usual mapping: 429/5xx/408 retry (honouring Retry-After), other 4xx are permanent."""
    text = reason or f"HTTP {response.status_code}"
    if response.status_code in (408, 429) or response.status_code >= 500:
        return RetryableError(
            text,
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
            status_code=response.status_code,
        )
    return PermanentError(text, status_code=response.status_code)
