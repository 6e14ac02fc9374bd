"""MusicBrainz WS/2 (music): JSON via ``fmt=json``, a descriptive User-Agent, 1 request/s."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, ClassVar

import httpx2 as httpx

from revenge.content_requests.metadata.base import ExternalItem, UnknownExternalId, year_of
from revenge.core.http import RetryableError, classify_status, new_client

MBID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_ENTITY = {"musicbrainz_release_group": "release-group", "musicbrainz_artist": "artist"}


class _Throttle:
    """One request per interval per MusicBrainz base URL, across the whole process
    (MusicBrainz answers 503 to clients that go faster, and may block them). The interval
    runs from the end of one response to the next request, so it holds at the server too."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.last = 0.0

    @asynccontextmanager
    async def slot(self, interval: float) -> AsyncIterator[None]:
        async with self.lock:
            delay = self.last + interval - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            try:
                yield
            finally:
                self.last = time.monotonic()


class MusicBrainzProvider:
    name = "MusicBrainz"
    _throttles: ClassVar[dict[str, _Throttle]] = {}

    def __init__(self, base_url: str, user_agent: str, min_interval: float) -> None:
        self._base = base_url.rstrip("/")
        self._client = new_client(self._base + "/")
        self._client.headers["User-Agent"] = user_agent
        self._interval = min_interval

    async def _get(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        throttle = self._throttles.setdefault(self._base, _Throttle())
        try:
            async with throttle.slot(self._interval):
                response = await self._client.get(
                    path, params={**params, "fmt": "json"}, headers={"Accept": "application/json"}
                )
        except httpx.HTTPError as exc:
            raise RetryableError(f"MusicBrainz unreachable: {type(exc).__name__}") from exc
        if response.status_code == 200:
            body: dict[str, Any] = response.json()
            return body
        try:
            message = str(response.json().get("error") or "")
        except ValueError:
            message = ""
        reason = f"MusicBrainz HTTP {response.status_code}" + (f": {message}" if message else "")
        if response.status_code in (400, 404):
            raise UnknownExternalId(reason, status_code=response.status_code)
        raise classify_status(response, reason)

    async def lookup(self, media_type: str, external_source: str, external_id: str) -> ExternalItem:
        external_id = external_id.lower()
        if not MBID.match(external_id) or external_source not in _ENTITY:
            raise UnknownExternalId("not a MusicBrainz id", status_code=400)
        entity = _ENTITY[external_source]
        params = {"inc": "artist-credits"} if entity == "release-group" else {}
        body = await self._get(f"{entity}/{external_id}", params)
        return _release_group(body) if entity == "release-group" else _artist(body)

    async def search(self, media_type: str, query: str) -> list[ExternalItem]:
        body = await self._get("release-group", {"query": query, "limit": "20"})
        return [_release_group(item) for item in body.get("release-groups", [])]

    async def aclose(self) -> None:
        await self._client.aclose()


def _credit(body: dict[str, Any]) -> str:
    credits = body.get("artist-credit") or []
    return "".join(f"{c.get('name', '')}{c.get('joinphrase', '')}" for c in credits).strip()


def _release_group(body: dict[str, Any]) -> ExternalItem:
    artist = _credit(body)
    return ExternalItem(
        media_type="music",
        external_source="musicbrainz_release_group",
        external_id=str(body["id"]),
        title=f"{artist} – {body['title']}" if artist else str(body["title"]),
        year=year_of(body.get("first-release-date")),
        overview=body.get("disambiguation") or body.get("primary-type") or None,
    )


def _artist(body: dict[str, Any]) -> ExternalItem:
    return ExternalItem(
        media_type="music",
        external_source="musicbrainz_artist",
        external_id=str(body["id"]),
        title=str(body["name"]),
        year=year_of((body.get("life-span") or {}).get("begin")),
        overview=body.get("disambiguation") or None,
    )
