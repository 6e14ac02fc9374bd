"""A fake MusicBrainz WS/2: JSON with ``fmt=json``, MusicBrainz's User-Agent rule (anonymous or
library-default agents get 403) and its rate limit (faster than the interval → 503)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

MBID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# MusicBrainz asks for "Application/version ( contact )"; generic library agents are blocked.
GOOD_AGENT = re.compile(r"^[\w.-]+/[\w.-]+ \( .+ \)$")
RATE_LIMIT_MESSAGE = (
    "Your requests are exceeding the allowable rate limit. Please see "
    "http://wiki.musicbrainz.org/XMLWebService for more information."
)


@dataclass
class FakeMusicBrainz:
    release_groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    artists: dict[str, dict[str, Any]] = field(default_factory=dict)
    min_interval: float = 1.0
    calls: list[dict[str, Any]] = field(default_factory=list)
    failures: list[int] = field(default_factory=list)
    rate_limited: int = 0
    _last: float = 0.0

    def add_artist(self, mbid: str, name: str, begin: str | None = None) -> None:
        self.artists[mbid] = {
            "id": mbid,
            "name": name,
            "sort-name": name,
            "type": "Group",
            "disambiguation": "",
            "life-span": {"begin": begin, "end": None, "ended": False},
        }

    def add_release_group(self, mbid: str, title: str, artist_mbid: str, date: str = "") -> None:
        artist = self.artists[artist_mbid]
        self.release_groups[mbid] = {
            "id": mbid,
            "title": title,
            "primary-type": "Album",
            "secondary-types": [],
            "first-release-date": date,
            "disambiguation": "",
            "artist-credit": [
                {
                    "name": artist["name"],
                    "joinphrase": "",
                    "artist": {"id": artist_mbid, "name": artist["name"]},
                }
            ],
        }

    def fail_next(self, status: int, times: int = 1) -> None:
        self.failures.extend([status] * times)


def build_app(state: FakeMusicBrainz) -> FastAPI:
    app = FastAPI()

    @app.middleware("http")
    async def check(request: Request, call_next: Any) -> Any:
        agent = request.headers.get("user-agent", "")
        state.calls.append(
            {"path": request.url.path, "params": dict(request.query_params), "user_agent": agent}
        )
        if not GOOD_AGENT.match(agent):
            return JSONResponse(
                {"error": "Please provide a meaningful User-Agent (see the MusicBrainz API docs)."},
                status_code=403,
            )
        now = time.monotonic()
        too_fast = now - state._last < state.min_interval
        state._last = now
        if too_fast:
            state.rate_limited += 1
            return JSONResponse({"error": RATE_LIMIT_MESSAGE}, status_code=503)
        if state.failures:
            return JSONResponse(
                {"error": "Internal server error"}, status_code=state.failures.pop(0)
            )
        if request.query_params.get("fmt") != "json":
            return JSONResponse({"error": "this fake only speaks fmt=json"}, status_code=406)
        return await call_next(request)

    def _lookup(table: dict[str, dict[str, Any]], mbid: str) -> JSONResponse:
        if not MBID.match(mbid):
            return JSONResponse({"error": "Invalid mbid."}, status_code=400)
        if mbid not in table:
            return JSONResponse({"error": "Not Found"}, status_code=404)
        return JSONResponse(table[mbid])

    @app.get("/ws/2/release-group/{mbid}")
    async def release_group(mbid: str) -> JSONResponse:
        return _lookup(state.release_groups, mbid)

    @app.get("/ws/2/artist/{mbid}")
    async def artist(mbid: str) -> JSONResponse:
        return _lookup(state.artists, mbid)

    @app.get("/ws/2/release-group")
    async def search(query: str) -> JSONResponse:
        hits = [
            {**rg, "score": 100}
            for rg in state.release_groups.values()
            if query.lower() in rg["title"].lower()
            or query.lower() in rg["artist-credit"][0]["name"].lower()
        ]
        return JSONResponse(
            {
                "created": "2026-11-25T00:00:00.000Z",
                "count": len(hits),
                "offset": 0,
                "release-groups": hits,
            }
        )

    return app
