"""Trakt (movies, episodes): scrobble start/pause/stop, sync, recommendations.

Wire facts: PROVIDER_PROTOCOLS.md §1. Every call carries ``trakt-api-key`` and
``trakt-api-version: 2``; user calls add the Bearer token. POSTs are limited to one per second
per user, which the queue honours through ``write_interval_seconds``. The OAuth code and
device flows, refresh and revoke are ``trakt_auth.py``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx2 as httpx

from revenge.core.config import TraktSettings
from revenge.core.http import (
    ProviderError,
    RetryableError,
    classify_status,
    new_client,
    parse_retry_after,
)
from revenge.library.snapshots import ItemSnapshot
from revenge.scrobbling.providers.base import (
    AuthExpired,
    Credentials,
    DeliveryResult,
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
from revenge.scrobbling.providers.trakt_auth import TraktAuth, bearer

SYNC_PAGE_LIMIT = 100
SYNC_PHASES = ("history", "watchlist", "ratings")


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class TraktProvider(TraktAuth):
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
                f"/scrobble/{item.action}", json=body, headers=bearer(credentials)
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
        response = await http.get(f"/sync/{phase}", params=params, headers=bearer(credentials))
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
                f"/recommendations/{path}", params={"limit": limit}, headers=bearer(credentials)
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
