"""What the client sees when a metadata provider fails; nothing has been written by then."""

from __future__ import annotations

from revenge.content_requests.metadata.base import UnknownExternalId
from revenge.core.errors import AppError, ServiceUnavailable, Unprocessable
from revenge.core.http import ProviderError, RetryableError


class BadGateway(AppError):
    status = 502
    default_code = "content_request.metadata_unavailable"


def provider_problem(provider: str, exc: ProviderError) -> AppError:
    """A provider failure as a problem: unknown id → 422, busy (429/503, with its Retry-After)
    → 503, down → 502, credentials refused → 502."""
    if isinstance(exc, UnknownExternalId):
        return Unprocessable("content_request.unknown_external_id", provider=provider)
    if isinstance(exc, RetryableError) and exc.status_code in (429, 503):
        retry_after = int(exc.retry_after or 30)
        return ServiceUnavailable(
            "content_request.metadata_busy",
            provider=provider,
            retry_after=retry_after,
            headers={"Retry-After": str(max(1, retry_after))},
        )
    if isinstance(exc, RetryableError):
        return BadGateway("content_request.metadata_unavailable", provider=provider)
    return BadGateway("content_request.metadata_rejected", provider=provider)
