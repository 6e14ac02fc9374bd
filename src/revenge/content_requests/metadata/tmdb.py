"""TMDB API v3 (movies and TV): ``api_key`` query parameter, or Bearer for a v4 read token."""

from __future__ import annotations

from typing import Any

import httpx2 as httpx

from revenge.content_requests.metadata.base import ExternalItem, UnknownExternalId, year_of
from revenge.core.http import RetryableError, classify_status, new_client

_PATHS = {"movie": "movie", "tv": "tv"}


class TmdbProvider:
    name = "TMDB"

    def __init__(self, base_url: str, api_key: str) -> None:
        self._client = new_client(base_url.rstrip("/") + "/")
        # A v4 "API Read Access Token" is a JWT and goes in the header; a v3 key is a query param.
        self._auth_headers: dict[str, str] = {}
        self._auth_params: dict[str, str] = {}
        if api_key.startswith("eyJ"):
            self._auth_headers["Authorization"] = f"Bearer {api_key}"
        else:
            self._auth_params["api_key"] = api_key

    async def _get(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        try:
            response = await self._client.get(
                path,
                params={**params, **self._auth_params},
                headers={"Accept": "application/json", **self._auth_headers},
            )
        except httpx.HTTPError as exc:
            raise RetryableError(f"TMDB unreachable: {type(exc).__name__}") from exc
        if response.status_code == 200:
            body: dict[str, Any] = response.json()
            return body
        message = _status_message(response)
        if response.status_code == 404:
            raise UnknownExternalId(message, status_code=404)
        raise classify_status(response, message)

    async def lookup(self, media_type: str, external_source: str, external_id: str) -> ExternalItem:
        if not external_id.isdigit():
            raise UnknownExternalId("TMDB ids are numbers", status_code=400)
        body = await self._get(
            f"{_PATHS[media_type]}/{external_id}", {"append_to_response": "external_ids"}
        )
        return _item(media_type, body)

    async def search(self, media_type: str, query: str) -> list[ExternalItem]:
        body = await self._get(
            f"search/{_PATHS[media_type]}",
            {"query": query, "page": "1", "include_adult": "false"},
        )
        return [_item(media_type, result) for result in body.get("results", [])]

    async def aclose(self) -> None:
        await self._client.aclose()


def _item(media_type: str, body: dict[str, Any]) -> ExternalItem:
    if media_type == "movie":
        title, date = body.get("title") or body.get("original_title"), body.get("release_date")
    else:
        title, date = body.get("name") or body.get("original_name"), body.get("first_air_date")
    tvdb = (body.get("external_ids") or {}).get("tvdb_id")
    return ExternalItem(
        media_type=media_type,
        external_source="tmdb",
        external_id=str(body["id"]),
        title=str(title or body["id"]),
        year=year_of(date),
        overview=body.get("overview") or None,
        poster_path=body.get("poster_path") or None,
        tvdb_id=int(tvdb) if isinstance(tvdb, int) else None,
    )


def _status_message(response: httpx.Response) -> str:
    try:
        message = response.json().get("status_message")
    except ValueError:
        message = None
    return f"TMDB HTTP {response.status_code}" + (f": {message}" if message else "")
