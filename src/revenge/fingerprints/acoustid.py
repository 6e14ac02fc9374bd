"""AcoustID web service v2 (``/lookup``): a Chromaprint fingerprint in, AcoustID tracks with
their MusicBrainz recordings out.

Requests are POSTed as gzip-compressed form data, as AcoustID recommends for long fingerprints
(and as pyacoustid does); ``fingerprint`` is the compressed base64 form ``fpcalc`` prints.
Errors come back as ``{"status": "error", "error": {"code", "message"}}``: the codes below are
AcoustID's own.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx2 as httpx

from revenge.core.http import (
    PermanentError,
    ProviderError,
    RetryableError,
    new_client,
    parse_retry_after,
)

ERROR_INVALID_API_KEY = 4
ERROR_INTERNAL = 5
ERROR_SERVICE_UNAVAILABLE = 13
ERROR_TOO_MANY_REQUESTS = 14
ERROR_UNKNOWN_APPLICATION = 17
_KEY_ERRORS = {ERROR_INVALID_API_KEY, ERROR_UNKNOWN_APPLICATION}
_TRANSIENT_ERRORS = {ERROR_INTERNAL, ERROR_SERVICE_UNAVAILABLE, ERROR_TOO_MANY_REQUESTS}
# Recordings with titles and artists: enough for an admin to judge a match at a glance.
LOOKUP_META = "recordings"


class AcoustidKeyRejected(PermanentError):
    """AcoustID does not accept the application API key: nothing works until it changes."""


class AcoustidRateLimited(RetryableError):
    """AcoustID says we called too often (HTTP 429 or error 14)."""


@dataclass(frozen=True)
class AcoustidRecording:
    id: str
    title: str | None
    artist: str | None


@dataclass(frozen=True)
class AcoustidResult:
    id: str
    score: float
    recordings: list[AcoustidRecording]


def _artist(recording: dict[str, Any]) -> str | None:
    artists = recording.get("artists") or []
    name = "".join(f"{a.get('name', '')}{a.get('joinphrase', '')}" for a in artists).strip()
    return name or None


def parse_results(body: dict[str, Any]) -> list[AcoustidResult]:
    """The results of an ``ok`` answer, best score first."""
    results: list[AcoustidResult] = []
    for result in body.get("results") or []:
        recordings = [
            AcoustidRecording(id=str(r["id"]), title=r.get("title"), artist=_artist(r))
            for r in result.get("recordings") or []
            if isinstance(r, dict) and r.get("id")
        ]
        results.append(
            AcoustidResult(
                id=str(result.get("id", "")),
                score=float(result.get("score") or 0.0),
                recordings=recordings,
            )
        )
    results.sort(key=lambda r: -r.score)
    return results


def _error(response: httpx.Response, body: dict[str, Any] | None) -> ProviderError:
    error = (body or {}).get("error") if isinstance(body, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    message = str(error.get("message") or "") if isinstance(error, dict) else ""
    reason = f"AcoustID HTTP {response.status_code}"
    if code is not None:
        reason += f", error {code}"
    if message:
        reason += f": {message}"
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    status = response.status_code
    if code in _KEY_ERRORS:
        return AcoustidKeyRejected(reason, status_code=status)
    if status == 429 or code == ERROR_TOO_MANY_REQUESTS:
        return AcoustidRateLimited(reason, retry_after=retry_after, status_code=status)
    if status >= 500 or status == 408 or code in _TRANSIENT_ERRORS:
        return RetryableError(reason, retry_after=retry_after, status_code=status)
    # A rejected fingerprint, duration or parameter: asking again gives the same answer.
    return PermanentError(reason, status_code=status)


class AcoustidClient:
    def __init__(self, base_url: str, api_key: str, *, timeout: float = 15.0) -> None:
        self._client = new_client(base_url.rstrip("/") + "/", timeout=httpx.Timeout(timeout))
        self._api_key = api_key

    async def __aenter__(self) -> AcoustidClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def lookup(self, fingerprint: str, duration_seconds: int) -> list[AcoustidResult]:
        """Look a compressed fingerprint up; raises ``AcoustidKeyRejected``,
        ``RetryableError`` (5xx, 429, timeouts) or ``PermanentError`` (rejected input)."""
        form = {
            "client": self._api_key,
            "duration": str(int(duration_seconds)),
            "fingerprint": fingerprint,
            "meta": LOOKUP_META,
            "format": "json",
        }
        try:
            response = await self._client.post(
                "lookup",
                content=gzip.compress(urlencode(form).encode("ascii")),
                headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Content-Encoding": "gzip",
                    "Accept": "application/json",
                },
            )
        except httpx.TimeoutException as exc:
            raise RetryableError("AcoustID timed out") from exc
        except httpx.HTTPError as exc:
            raise RetryableError(f"AcoustID unreachable: {type(exc).__name__}") from exc
        try:
            body = response.json()
        except (ValueError, json.JSONDecodeError):
            body = None
        if response.status_code == 200 and isinstance(body, dict) and body.get("status") == "ok":
            return parse_results(body)
        if response.status_code == 200 and not (
            isinstance(body, dict) and body.get("status") == "error"
        ):
            # Something in between (a proxy, a maintenance page) answered: try again later.
            raise RetryableError("AcoustID answered something that is not its JSON")
        raise _error(response, body if isinstance(body, dict) else None)
