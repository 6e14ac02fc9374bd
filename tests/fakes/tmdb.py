"""A fake TMDB API v3: ``api_key`` query parameter or ``Authorization: Bearer`` (v4 read token),
TMDB's ``status_code`` error bodies, and failures on demand (500, 429 + Retry-After).

Serves details (``/movie/{id}``, ``/tv/{id}`` with its ``seasons``), search, and the lists
``/movie/popular``, ``/movie/upcoming`` (with its ``dates``), ``/tv/popular`` and
``/tv/on_the_air``, paged 20 to a page like TMDB."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

API_KEY = "fake-tmdb-v3-key"
PAGE_SIZE = 20
LISTS = ("movie/popular", "movie/upcoming", "tv/popular", "tv/on_the_air")
READ_TOKEN = "eyJhbGciOiJIUzI1NiJ9.fake-tmdb-read-token"


@dataclass
class FakeTmdb:
    movies: dict[int, dict[str, Any]] = field(default_factory=dict)
    shows: dict[int, dict[str, Any]] = field(default_factory=dict)
    calls: list[dict[str, Any]] = field(default_factory=list)
    # TMDB's lists ("movie/popular", …): ids in the order TMDB ranks them.
    lists: dict[str, list[int]] = field(default_factory=lambda: {name: [] for name in LISTS})
    # (status, retry_after) answered to the next requests, one per request.
    failures: list[tuple[int, int | None]] = field(default_factory=list)
    base_url: str = ""

    def add_movie(self, tmdb_id: int, title: str, release_date: str = "", **extra: Any) -> None:
        self.movies[tmdb_id] = {
            "id": tmdb_id,
            "title": title,
            "original_title": title,
            "release_date": release_date,
            "overview": extra.pop("overview", f"{title}, the film."),
            "poster_path": extra.pop("poster_path", f"/poster{tmdb_id}.jpg"),
            "adult": False,
            "imdb_id": f"tt{tmdb_id:07d}",
            **extra,
        }

    def add_show(
        self,
        tmdb_id: int,
        name: str,
        first_air_date: str = "",
        tvdb_id: int | None = None,
        *,
        seasons: int = 1,
        specials: bool = False,
    ) -> None:
        """A series with ``seasons`` seasons of 8 episodes (and season 0, if ``specials``)."""
        numbers = ([0] if specials else []) + list(range(1, seasons + 1))
        self.shows[tmdb_id] = {
            "id": tmdb_id,
            "name": name,
            "original_name": name,
            "first_air_date": first_air_date,
            "overview": f"{name}, the series.",
            "poster_path": f"/tv{tmdb_id}.jpg",
            "origin_country": ["DE"],
            "number_of_seasons": seasons,
            "seasons": [
                {
                    "id": tmdb_id * 100 + number,
                    "season_number": number,
                    "name": "Specials" if number == 0 else f"Season {number}",
                    "episode_count": 8,
                    "air_date": f"{2000 + number}-01-15" if number else None,
                    "overview": "",
                    "poster_path": f"/tv{tmdb_id}s{number}.jpg",
                    "vote_average": 7.5,
                }
                for number in numbers
            ],
            "external_ids": {"imdb_id": None, "tvdb_id": tvdb_id},
        }

    def add_to_list(self, name: str, *tmdb_ids: int) -> None:
        """Rank ids (already added) in one of ``LISTS``."""
        self.lists[name].extend(tmdb_ids)

    def fail_next(self, status: int, *, retry_after: int | None = None, times: int = 1) -> None:
        self.failures.extend([(status, retry_after)] * times)


def _error(
    status: int, code: int, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"success": False, "status_code": code, "status_message": message},
        status_code=status,
        headers=headers,
    )


NOT_FOUND = (404, 34, "The resource you requested could not be found.")


def build_app(state: FakeTmdb) -> FastAPI:
    app = FastAPI()

    @app.middleware("http")
    async def check(request: Request, call_next: Any) -> Any:
        state.calls.append(
            {
                "path": request.url.path,
                "params": dict(request.query_params),
                "authorization": request.headers.get("authorization"),
            }
        )
        key = request.query_params.get("api_key")
        bearer = request.headers.get("authorization", "")
        if key != API_KEY and bearer != f"Bearer {READ_TOKEN}":
            if key is None and not bearer:
                return _error(401, 7, "Invalid API key: You must be granted a valid key.")
            return _error(401, 7, "Invalid API key: You must be granted a valid key.")
        if state.failures:
            status, retry_after = state.failures.pop(0)
            if status == 429:
                return _error(
                    429,
                    25,
                    "Your request count (#) is over the allowed limit of (40).",
                    {"Retry-After": str(retry_after or 1)},
                )
            return _error(status, 11, "Internal error: Something went wrong, contact TMDb.")
        return await call_next(request)

    def _details(
        table: dict[int, dict[str, Any]], item_id: str, append: str | None
    ) -> JSONResponse:
        if not item_id.isdigit() or int(item_id) not in table:
            return _error(*NOT_FOUND)
        body = dict(table[int(item_id)])
        external = body.pop("external_ids", {"imdb_id": body.get("imdb_id"), "tvdb_id": None})
        if append and "external_ids" in append.split(","):
            body["external_ids"] = {"id": body["id"], **external}
        return JSONResponse(body)

    def _search(table: dict[int, dict[str, Any]], query: str, name_key: str) -> JSONResponse:
        hits = [
            _summary(item) for item in table.values() if query.lower() in item[name_key].lower()
        ]
        return JSONResponse(
            {"page": 1, "results": hits, "total_pages": 1, "total_results": len(hits)}
        )

    def _summary(item: dict[str, Any]) -> dict[str, Any]:
        # List and search results carry no detail-only fields.
        hidden = {"external_ids", "seasons", "number_of_seasons", "imdb_id"}
        return {k: v for k, v in item.items() if k not in hidden}

    def _list(name: str, page: int) -> JSONResponse:
        if not 1 <= page <= 500:
            return _error(400, 22, "Invalid page: Pages start at 1 and max at 500.")
        table = state.movies if name.startswith("movie/") else state.shows
        ranked = [table[i] for i in state.lists[name] if i in table]
        start = (page - 1) * PAGE_SIZE
        body: dict[str, Any] = {
            "page": page,
            "results": [_summary(item) for item in ranked[start : start + PAGE_SIZE]],
            "total_pages": max(1, -(-len(ranked) // PAGE_SIZE)),
            "total_results": len(ranked),
        }
        if name == "movie/upcoming":
            body = {"dates": {"maximum": "2099-12-31", "minimum": "2000-01-01"}, **body}
        return JSONResponse(body)

    @app.get("/3/movie/popular")
    async def movie_popular(page: int = 1) -> JSONResponse:
        return _list("movie/popular", page)

    @app.get("/3/movie/upcoming")
    async def movie_upcoming(page: int = 1) -> JSONResponse:
        return _list("movie/upcoming", page)

    @app.get("/3/tv/popular")
    async def tv_popular(page: int = 1) -> JSONResponse:
        return _list("tv/popular", page)

    @app.get("/3/tv/on_the_air")
    async def tv_on_the_air(page: int = 1) -> JSONResponse:
        return _list("tv/on_the_air", page)

    @app.get("/3/movie/{movie_id}")
    async def movie(movie_id: str, append_to_response: str | None = None) -> JSONResponse:
        return _details(state.movies, movie_id, append_to_response)

    @app.get("/3/tv/{tv_id}")
    async def tv(tv_id: str, append_to_response: str | None = None) -> JSONResponse:
        return _details(state.shows, tv_id, append_to_response)

    @app.get("/3/search/movie")
    async def search_movie(query: str) -> JSONResponse:
        return _search(state.movies, query, "title")

    @app.get("/3/search/tv")
    async def search_tv(query: str) -> JSONResponse:
        return _search(state.shows, query, "name")

    return app
