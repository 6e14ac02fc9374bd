"""Last.fm's signed transport and web auth: ``api_sig`` signing, the one ``call`` every
request goes through (errors classified from the body), connect via auth.getToken/getSession.

Wire facts: PROVIDER_PROTOCOLS.md §2. Write calls are form-encoded POSTs signed with
``api_sig`` = md5 of the sorted ``name+value`` pairs (without ``format``/``callback``) plus the
shared secret. Errors can arrive with HTTP 200, so the body decides. ``LastfmAuth`` is the
transport and connect side of ``LastfmProvider`` (``lastfm.py``, which scrobbles and reads).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import httpx2 as httpx

from revenge.core.config import LastfmSettings
from revenge.core.http import PermanentError, RetryableError, parse_retry_after
from revenge.scrobbling.providers.base import (
    ConnectStart,
    Credentials,
    DevicePoll,
    RateLimitExceeded,
    ReconnectRequired,
    Unsupported,
)

RETRYABLE_CODES = frozenset({11, 16})
RATE_LIMIT_CODE = 29
RECONNECT_CODES = frozenset({9})


def _error_code(body: Any) -> int | None:
    """The ``error`` of a Last.fm error body; None for anything else (a proxy's 429 page)."""
    if not isinstance(body, dict) or "error" not in body:
        return None
    try:
        return int(body["error"])
    except (TypeError, ValueError):
        return None


def api_signature(params: dict[str, str], secret: str) -> str:
    """Last.fm's ``api_sig``: sorted name+value pairs, then the secret, md5 hex."""
    signed = "".join(
        f"{name}{params[name]}" for name in sorted(params) if name not in ("format", "callback")
    )
    return hashlib.md5((signed + secret).encode("utf-8")).hexdigest()  # noqa: S324


class LastfmError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


class LastfmAuth:
    """Signed calls and connecting a Last.fm account (the provider's transport and auth half)."""

    settings: LastfmSettings

    @property
    def _secret(self) -> str:
        return self.settings.api_secret.get_secret_value() if self.settings.api_secret else ""

    # --- transport -----------------------------------------------------------------------
    async def call(
        self,
        http: httpx.AsyncClient,
        method: str,
        params: dict[str, str],
        *,
        session_key: str | None = None,
        signed: bool = True,
        post: bool = True,
    ) -> dict[str, Any]:
        fields = {"method": method, "api_key": self.settings.api_key or "", **params}
        if session_key:
            fields["sk"] = session_key
        if signed:
            fields["api_sig"] = api_signature(fields, self._secret)
        fields["format"] = "json"
        try:
            if post:
                response = await http.post(
                    "",
                    content=urlencode(fields).encode("utf-8"),
                    headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
                )
            else:
                response = await http.get("", params=fields)
        except httpx.TransportError as exc:
            raise RetryableError(f"Last.fm unreachable: {type(exc).__name__}") from exc
        try:
            body = response.json()
        except ValueError:
            body = None
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        code = _error_code(body)
        if code is not None:
            message = str(body.get("message", "")) if isinstance(body, dict) else ""
            reason = f"Last.fm error {code}: {message}"
            if code in RECONNECT_CODES:
                raise ReconnectRequired(reason, status_code=response.status_code)
            if code == RATE_LIMIT_CODE:
                raise RateLimitExceeded(
                    reason, retry_after=retry_after, status_code=response.status_code
                )
            if code in RETRYABLE_CODES:
                raise RetryableError(
                    reason, retry_after=retry_after, status_code=response.status_code
                )
            raise LastfmError(code, reason)
        if response.status_code == 429:
            raise RateLimitExceeded(
                "Last.fm: HTTP 429", retry_after=retry_after, status_code=response.status_code
            )
        if response.status_code >= 500 or body is None:
            raise RetryableError(
                f"Last.fm: HTTP {response.status_code}",
                retry_after=retry_after,
                status_code=response.status_code,
            )
        if response.status_code >= 400:
            raise PermanentError(
                f"Last.fm: HTTP {response.status_code}", status_code=response.status_code
            )
        return body if isinstance(body, dict) else {}

    # --- auth ----------------------------------------------------------------------------
    async def begin_connect(
        self, http: httpx.AsyncClient, *, flow: str | None, token: str | None, redirect_uri: str
    ) -> ConnectStart:
        body = await self._auth_call(http, "auth.getToken", {})
        auth_token = str(body["token"])
        query = urlencode({"api_key": self.settings.api_key, "token": auth_token})
        return ConnectStart(
            kind="redirect",
            authorize_url=f"{self.settings.auth_url}?{query}",
            state=auth_token,
            expires_in=3600,  # Last.fm tokens live 60 minutes
        )

    async def complete_connect(
        self,
        http: httpx.AsyncClient,
        *,
        params: dict[str, str],
        secret: str | None,
        redirect_uri: str,
    ) -> Credentials:
        body = await self._auth_call(http, "auth.getSession", {"token": params.get("token", "")})
        session = body.get("session") or {}
        return Credentials(access_token=str(session["key"]), username=session.get("name"))

    async def _auth_call(
        self, http: httpx.AsyncClient, method: str, params: dict[str, str]
    ) -> dict[str, Any]:
        try:
            return await self.call(http, method, params, post=False)
        except (LastfmError, ReconnectRequired) as exc:
            raise PermanentError(str(exc)) from exc

    async def poll_device(self, http: httpx.AsyncClient, device_code: str) -> DevicePoll:
        raise Unsupported("Last.fm has no device flow")

    def needs_refresh(self, credentials: Credentials, now: datetime) -> bool:
        return False  # session keys live until the user revokes them

    async def refresh(
        self, http: httpx.AsyncClient, credentials: Credentials, redirect_uri: str
    ) -> Credentials:
        raise ReconnectRequired("Last.fm session is no longer valid")

    async def revoke(self, http: httpx.AsyncClient, credentials: Credentials) -> None:
        return None  # Last.fm has no revoke call; the user removes the app on last.fm
