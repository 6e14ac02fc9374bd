"""Trakt (movies, episodes): OAuth code + device flows, scrobble start/pause/stop, sync.

Wire facts: PROVIDER_PROTOCOLS.md §1. Every call carries ``trakt-api-key`` and
``trakt-api-version: 2``; user calls add the Bearer token. POSTs are limited to one per second
per user, which the queue honours through ``write_interval_seconds``.
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
    ProviderError,
    RetryableError,
    classify_status,
    new_client,
    parse_retry_after,
)
from revenge.library.snapshots import ItemSnapshot
from revenge.scrobbling.providers.base import (
    AuthExpired,
    ConnectStart,
    Credentials,
    DeliveryResult,
    DevicePoll,
    ImportedItem,
    Outbound,
    Outcome,
    PlannedAction,
    PlayFacts,
    PlayTransition,
    ProviderName,
    Recommendation,
    ReconnectRequired,
    SyncPage,
    Unsupported,
    retry_rest,
)

# Refresh this long before the token expires (pytrakt uses the same margin).
REFRESH_MARGIN = timedelta(minutes=10)
SYNC_PAGE_LIMIT = 100
SYNC_PHASES = ("history", "watchlist", "ratings")


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


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


def _credentials(token: dict[str, Any]) -> Credentials:
    created = token.get("created_at")
    base = datetime.fromtimestamp(created, UTC) if created else datetime.now(UTC)
    expires = base + timedelta(seconds=int(token.get("expires_in") or 0))
    return Credentials(
        access_token=token["access_token"],
        refresh_token=token.get("refresh_token"),
        expires_at=expires,
    )


class TraktProvider:
    name = ProviderName.trakt
    label = "Trakt"
    media_types = frozenset({"movie", "episode"})
    batch_size = 1  # one item per POST; the queue spaces the POSTs
    callback_state_param: str | None = "state"
    supports_love = False

    def __init__(self, settings: TraktSettings) -> None:
        self.settings = settings
        self.write_interval_seconds = settings.write_interval_seconds

    # --- app ---------------------------------------------------------------------------
    def available(self) -> bool:
        return bool(self.settings.client_id and self.settings.client_secret)

    @property
    def _secret(self) -> str:
        return self.settings.client_secret.get_secret_value() if self.settings.client_secret else ""

    def client(self) -> httpx.AsyncClient:
        client = new_client(self.settings.api_url.rstrip("/"))
        client.headers.update(
            {
                "Content-Type": "application/json",
                "trakt-api-version": "2",
                "trakt-api-key": self.settings.client_id or "",
            }
        )
        return client

    def _oauth(self, redirect_uri: str) -> AsyncOAuth2Client:
        return TraktOAuthClient(
            client_id=self.settings.client_id,
            client_secret=self._secret,
            redirect_uri=redirect_uri,
            timeout=10.0,
        )

    # --- planning ----------------------------------------------------------------------
    def plan(self, facts: PlayFacts) -> list[PlannedAction]:
        progress = facts.progress
        if progress is None:
            return []
        if facts.transition in (PlayTransition.started, PlayTransition.resumed):
            return [PlannedAction("start", facts.event_at, progress, once_per_play=False)]
        if facts.transition == PlayTransition.paused:
            return [PlannedAction("pause", facts.event_at, progress, once_per_play=False)]
        # Trakt ignores a stop below 1 % (422); at >= 80 % it becomes a watched play.
        if progress < 1:
            return []
        return [PlannedAction("stop", facts.event_at, progress, once_per_play=False)]

    # --- auth --------------------------------------------------------------------------
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
        credentials = _credentials(dict(token))
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
            credentials = _credentials(response.json())
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
        fresh = _credentials(dict(token))
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
        response = await http.get("/users/settings", headers=_bearer(credentials))
        if response.status_code != 200:
            return None
        return (response.json().get("user") or {}).get("username")

    # --- scrobbling --------------------------------------------------------------------
    async def deliver(
        self, http: httpx.AsyncClient, credentials: Credentials, items: list[Outbound]
    ) -> DeliveryResult:
        outcomes: list[Outcome] = []
        for index, item in enumerate(items):
            try:
                outcomes.append(await self._scrobble(http, credentials, item))
            except RetryableError as exc:
                return DeliveryResult(outcomes + retry_rest(items, index, exc))
        return DeliveryResult(outcomes)

    async def _scrobble(
        self, http: httpx.AsyncClient, credentials: Credentials, item: Outbound
    ) -> Outcome:
        body = {**_media_object(item.snapshot), "progress": item.progress or 0.0}
        try:
            response = await http.post(
                f"/scrobble/{item.action}", json=body, headers=_bearer(credentials)
            )
        except httpx.TransportError as exc:
            raise RetryableError(f"Trakt unreachable: {type(exc).__name__}") from exc
        status = response.status_code
        if status == 201:
            return Outcome("sent", status_code=status)
        if status == 409:  # already scrobbled a moment ago: the play is on Trakt
            return Outcome("sent", "already scrobbled", status)
        if status == 401:
            raise AuthExpired("Trakt refused the access token", status_code=status)
        if status == 423:
            raise ReconnectRequired("Trakt account is locked or deactivated", status_code=status)
        if status == 404:
            return Outcome("failed", "Trakt does not know this item", status)
        if status == 422:
            return Outcome("skipped", "Trakt ignored it (progress below 1 %)", status)
        error = classify_status(response, f"Trakt: HTTP {status}")
        if isinstance(error, RetryableError):
            raise error
        return Outcome("failed", error.reason, status)

    # --- sync ----------------------------------------------------------------------------
    async def sync_page(
        self,
        http: httpx.AsyncClient,
        credentials: Credentials,
        cursor: dict[str, Any] | None,
        since: datetime | None,
    ) -> SyncPage:
        cursor = cursor or {"phase": "history", "page": 1}
        phase, page = cursor["phase"], int(cursor["page"])
        params: dict[str, Any] = {"page": page, "limit": SYNC_PAGE_LIMIT}
        if phase == "history" and since is not None:
            params["start_at"] = since.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        response = await http.get(f"/sync/{phase}", params=params, headers=_bearer(credentials))
        if response.status_code == 401:
            raise AuthExpired("Trakt refused the access token", status_code=401)
        if response.status_code != 200:
            raise classify_status(response, f"Trakt sync: HTTP {response.status_code}")
        rows = response.json()
        page_count = int(response.headers.get("X-Pagination-Page-Count", "1") or 1)
        result = SyncPage()
        target = getattr(result, phase)
        for row in rows:
            target.append(_imported(phase, row))
        if page < page_count and rows:
            result.next_cursor = {"phase": phase, "page": page + 1}
        elif phase != SYNC_PHASES[-1]:
            result.next_cursor = {"phase": SYNC_PHASES[SYNC_PHASES.index(phase) + 1], "page": 1}
        return result

    async def recommendations(
        self,
        http: httpx.AsyncClient,
        credentials: Credentials,
        seed: ItemSnapshot | None,
        limit: int,
    ) -> list[Recommendation]:
        found: list[Recommendation] = []
        for kind, path in (("movie", "movies"), ("show", "shows")):
            response = await http.get(
                f"/recommendations/{path}", params={"limit": limit}, headers=_bearer(credentials)
            )
            if response.status_code == 401:
                raise AuthExpired("Trakt refused the access token", status_code=401)
            if response.status_code != 200:
                raise classify_status(
                    response, f"Trakt recommendations: HTTP {response.status_code}"
                )
            for entry in response.json():
                found.append(
                    Recommendation(
                        kind=kind,
                        title=entry.get("title"),
                        year=entry.get("year"),
                        ids=dict(entry.get("ids") or {}),
                    )
                )
        return found

    async def love(
        self, http: httpx.AsyncClient, credentials: Credentials, track: ItemSnapshot, loved: bool
    ) -> None:
        raise Unsupported("Trakt has no loved tracks")


def _bearer(credentials: Credentials) -> dict[str, str]:
    return {"Authorization": f"Bearer {credentials.access_token}"}


def _ids(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v}


def _media_object(snapshot: ItemSnapshot) -> dict[str, Any]:
    if snapshot.media_type == "movie":
        movie: dict[str, Any] = {
            "title": snapshot.title,
            "ids": _ids(tmdb=snapshot.tmdb_id, imdb=snapshot.imdb_id),
        }
        if snapshot.year:
            movie["year"] = snapshot.year
        return {"movie": movie}
    episode_ids = _ids(tvdb=snapshot.tvdb_id, tmdb=snapshot.tmdb_id, imdb=snapshot.imdb_id)
    if episode_ids:
        return {"episode": {"ids": episode_ids}}
    # No episode ids: identify it by its show and numbers.
    show: dict[str, Any] = {
        "title": snapshot.series_title,
        "ids": _ids(
            tvdb=snapshot.series_tvdb_id, tmdb=snapshot.series_tmdb_id, imdb=snapshot.series_imdb_id
        ),
    }
    if snapshot.series_year:
        show["year"] = snapshot.series_year
    return {
        "show": show,
        "episode": {"season": snapshot.season_number, "number": snapshot.episode_number},
    }


def _imported(phase: str, row: dict[str, Any]) -> ImportedItem:
    kind = row.get("type", "movie")
    media = row.get(kind) or {}
    show = row.get("show") or {}
    title = media.get("title")
    if kind == "episode":
        title = f"{show.get('title')} S{media.get('season')}E{media.get('number')}"
    ids = dict(media.get("ids") or {})
    if phase == "history":
        external_id = str(row.get("id"))
        at = _parse_time(row.get("watched_at"))
    elif phase == "watchlist":
        external_id = f"{kind}:{ids.get('trakt')}"
        at = _parse_time(row.get("listed_at"))
    else:
        external_id = f"{kind}:{ids.get('trakt')}"
        at = _parse_time(row.get("rated_at"))
    return ImportedItem(
        external_id=external_id,
        media_type=kind,
        title=title,
        year=media.get("year") or show.get("year"),
        ids=ids,
        at=at,
        rating=row.get("rating"),
        rank=row.get("rank"),
    )


__all__ = ["ProviderError", "TraktProvider", "parse_retry_after"]
