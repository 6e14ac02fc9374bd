"""TMDB API v3 (movies and TV): ``api_key`` query parameter, or Bearer for a v4 read token."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

import httpx2 as httpx

from revenge.content_requests.metadata.base import ExternalItem, UnknownExternalId, year_of
from revenge.core.config import get_settings
from revenge.core.http import RetryableError, classify_status, new_client

_PATHS = {"movie": "movie", "tv": "tv"}
DiscoverList = Literal["popular", "upcoming"]
# TMDB's lists behind "popular" and "upcoming": TV has no "upcoming", its nearest is the
# series with an episode airing in the coming week.
_LISTS = {
    ("movie", "popular"): "movie/popular",
    ("movie", "upcoming"): "movie/upcoming",
    ("tv", "popular"): "tv/popular",
    ("tv", "upcoming"): "tv/on_the_air",
}
# TMDB serves at most 500 pages of any list.
MAX_PAGE = 500
# Posters are served by TMDB's image CDN (REVENGE_TMDB_IMAGE_URL), never through its API.
# Only a plain TMDB file path makes a URL: a client's own description (no provider set up)
# must not point other users' browsers at any address.
_POSTER_PATH = re.compile(r"/[A-Za-z0-9_-]{1,100}\.(?:jpg|jpeg|png|webp)")


def poster_url(poster_path: str | None) -> str | None:
    """The poster's address at TMDB for ``poster_path`` (``/abc.jpg``), else None."""
    if poster_path and _POSTER_PATH.fullmatch(poster_path):
        return get_settings().metadata.tmdb_image_url.rstrip("/") + poster_path
    return None


@dataclass(frozen=True)
class DiscoverPage:
    items: list[ExternalItem]
    page: int
    total_pages: int


@dataclass(frozen=True)
class SeasonFacts:
    """One season as TMDB lists it on the series (0 = specials)."""

    number: int
    name: str | None
    episode_count: int | None
    air_date: str | None


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

    async def discover(self, media_type: str, which: DiscoverList, page: int = 1) -> DiscoverPage:
        """One page of TMDB's popular or upcoming movies or series."""
        body = await self._get(
            _LISTS[(media_type, which)], {"page": str(page), "include_adult": "false"}
        )
        items = [_item(media_type, result) for result in body.get("results") or []]
        total = body.get("total_pages")
        return DiscoverPage(
            items=items,
            page=int(body.get("page") or page),
            total_pages=min(int(total), MAX_PAGE) if isinstance(total, int) else 1,
        )

    async def seasons(self, external_id: str) -> tuple[ExternalItem, list[SeasonFacts]]:
        """A series and its seasons (in TMDB's order, specials first when it has them)."""
        if not external_id.isdigit():
            raise UnknownExternalId("TMDB ids are numbers", status_code=400)
        body = await self._get(f"tv/{external_id}", {"append_to_response": "external_ids"})
        seasons = [
            SeasonFacts(
                number=int(season["season_number"]),
                name=season.get("name") or None,
                episode_count=season.get("episode_count")
                if isinstance(season.get("episode_count"), int)
                else None,
                air_date=season.get("air_date") or None,
            )
            for season in body.get("seasons") or []
            if isinstance(season.get("season_number"), int) and season["season_number"] >= 0
        ]
        return _item("tv", body), seasons

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
