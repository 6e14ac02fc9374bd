"""Trakt's OAuth: authorization code and device flows, token refresh and revoke.

Wire facts: PROVIDER_PROTOCOLS.md §1. ``TraktAuth`` is the connect side of ``TraktProvider``
(``trakt.py``, which scrobbles and syncs); token requests go through authlib, as JSON.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2 as httpx
from authlib.common.urls import url_decode
from authlib.integrations.httpx_client import AsyncOAuth2Client

from revenge.core.config import TraktSettings
from revenge.core.http import (
    PermanentError,
    RetryableError,
    classify_status,
    parse_retry_after,
)
from revenge.scrobbling.providers.base import (
    ConnectStart,
    Credentials,
    DevicePoll,
    ReconnectRequired,
)

# Refresh this long before the token expires (pytrakt uses the same margin).
REFRESH_MARGIN = timedelta(minutes=10)


class TraktOAuthClient(AsyncOAuth2Client):
    """authlib's client, but token requests go as JSON with the client credentials in the
    body, as Trakt's /oauth/token expects (authlib only sends forms)."""

    def _json_fields(self, body: str) -> dict[str, Any]:
        fields: dict[str, Any] = dict(url_decode(body))
        fields["client_id"] = self.client_id
        fields["client_secret"] = self.client_secret
        fields.setdefault("redirect_uri", self.redirect_uri)  # Trakt wants it on refresh too
        return fields

    def _parse(self, response: httpx.Response) -> Any:
        # Busy or down is not a refusal, whatever the body says (Trakt's 429 carries JSON with
        # an "error" key that authlib would report as an OAuth error).
        if response.status_code == 429 or response.status_code >= 500:
            response.raise_for_status()
        return self.parse_response_token(response)

    async def _fetch_token(
        self,
        url: str,
        body: str = "",
        headers: Any = None,
        auth: Any = None,
        method: str = "POST",
        **kwargs: Any,
    ) -> Any:
        response = await self.post(url, json=self._json_fields(body), auth=None, **kwargs)
        return self._parse(response)

    async def _refresh_token(
        self,
        url: str,
        refresh_token: str | None = None,
        body: str = "",
        headers: Any = None,
        auth: Any = None,
        **kwargs: Any,
    ) -> Any:
        response = await self.post(url, json=self._json_fields(body), auth=None, **kwargs)
        return self._parse(response)


def credentials_from_token(token: dict[str, Any]) -> Credentials:
    created = token.get("created_at")
    base = datetime.fromtimestamp(created, UTC) if created else datetime.now(UTC)
    expires = base + timedelta(seconds=int(token.get("expires_in") or 0))
    return Credentials(
        access_token=token["access_token"],
        refresh_token=token.get("refresh_token"),
        expires_at=expires,
    )


def bearer(credentials: Credentials) -> dict[str, str]:
    return {"Authorization": f"Bearer {credentials.access_token}"}


class TraktAuth:
    """Connect, refresh and revoke a Trakt account (the provider's auth half)."""

    settings: TraktSettings

    @property
    def _secret(self) -> str:
        return self.settings.client_secret.get_secret_value() if self.settings.client_secret else ""

    def _oauth(self, redirect_uri: str) -> AsyncOAuth2Client:
        return TraktOAuthClient(
            client_id=self.settings.client_id,
            client_secret=self._secret,
            redirect_uri=redirect_uri,
            timeout=10.0,
        )

    # --- connect, refresh, revoke ------------------------------------------------------
    async def begin_connect(
        self, http: httpx.AsyncClient, *, flow: str | None, token: str | None, redirect_uri: str
    ) -> ConnectStart:
        if flow == "device":
            response = await http.post(
                "/oauth/device/code", json={"client_id": self.settings.client_id}
            )
            if response.status_code != 200:
                raise classify_status(response, f"Trakt device code: HTTP {response.status_code}")
            body = response.json()
            return ConnectStart(
                kind="device",
                state=body["device_code"],
                secret=body["device_code"],
                user_code=body["user_code"],
                verification_url=body["verification_url"],
                expires_in=int(body.get("expires_in", 600)),
                interval=int(body.get("interval", 5)),
            )
        async with self._oauth(redirect_uri) as oauth:
            url, state = oauth.create_authorization_url(
                self.settings.auth_url.rstrip("/") + "/oauth/authorize"
            )
        return ConnectStart(kind="redirect", authorize_url=url, state=state, expires_in=600)

    async def complete_connect(
        self,
        http: httpx.AsyncClient,
        *,
        params: dict[str, str],
        secret: str | None,
        redirect_uri: str,
    ) -> Credentials:
        code = params.get("code")
        if not code:
            raise PermanentError("Trakt did not return an authorization code")
        async with self._oauth(redirect_uri) as oauth:
            try:
                token = await oauth.fetch_token(
                    self.settings.api_url.rstrip("/") + "/oauth/token",
                    code=code,
                    grant_type="authorization_code",
                )
            except Exception as exc:  # authlib raises OAuthError or httpx errors
                raise PermanentError(f"Trakt refused the authorization code: {exc}") from exc
        credentials = credentials_from_token(dict(token))
        credentials.username = await self._username(http, credentials)
        return credentials

    async def poll_device(self, http: httpx.AsyncClient, device_code: str) -> DevicePoll:
        response = await http.post(
            "/oauth/device/token",
            json={
                "code": device_code,
                "client_id": self.settings.client_id,
                "client_secret": self._secret,
            },
        )
        status = response.status_code
        if status == 200:
            credentials = credentials_from_token(response.json())
            credentials.username = await self._username(http, credentials)
            return DevicePoll("done", credentials=credentials)
        if status == 400:
            return DevicePoll("pending")
        if status == 429:
            return DevicePoll("slow_down")
        reasons = {
            404: "invalid device code",
            409: "code already used",
            410: "code expired",
            418: "denied by the user",
        }
        if status in reasons:
            return DevicePoll("failed", reason=f"Trakt: {reasons[status]}")
        raise classify_status(response, f"Trakt device token: HTTP {status}")

    def needs_refresh(self, credentials: Credentials, now: datetime) -> bool:
        return credentials.expires_at is not None and credentials.expires_at - REFRESH_MARGIN <= now

    async def refresh(
        self, http: httpx.AsyncClient, credentials: Credentials, redirect_uri: str
    ) -> Credentials:
        if not credentials.refresh_token:
            raise ReconnectRequired("Trakt session expired and cannot be refreshed")
        async with self._oauth(redirect_uri) as oauth:
            try:
                token = await oauth.refresh_token(
                    self.settings.api_url.rstrip("/") + "/oauth/token",
                    refresh_token=credentials.refresh_token,
                )
            except httpx.TransportError as exc:
                raise RetryableError(f"Trakt unreachable: {exc}") from exc
            except httpx.HTTPStatusError as exc:
                # Trakt down or busy is not a refusal: keep the refresh token and retry later.
                status = exc.response.status_code
                if status == 429 or status >= 500:
                    raise RetryableError(
                        f"Trakt token refresh failed: HTTP {status}",
                        retry_after=parse_retry_after(exc.response.headers.get("Retry-After")),
                        status_code=status,
                    ) from exc
                raise ReconnectRequired(
                    f"Trakt refused the token refresh: HTTP {status}", status_code=status
                ) from exc
            except Exception as exc:
                raise ReconnectRequired(f"Trakt refused the token refresh: {exc}") from exc
        fresh = credentials_from_token(dict(token))
        fresh.username = credentials.username
        return fresh

    async def revoke(self, http: httpx.AsyncClient, credentials: Credentials) -> None:
        response = await http.post(
            "/oauth/revoke",
            json={
                "token": credentials.access_token,
                "client_id": self.settings.client_id,
                "client_secret": self._secret,
            },
        )
        if response.status_code != 200:
            raise classify_status(response)

    async def _username(self, http: httpx.AsyncClient, credentials: Credentials) -> str | None:
        response = await http.get("/users/settings", headers=bearer(credentials))
        if response.status_code != 200:
            return None
        return (response.json().get("user") or {}).get("username")
