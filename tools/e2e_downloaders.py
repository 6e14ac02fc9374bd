"""Radarr and Sonarr for the web UI's end-to-end tests: the Python tests' fakes
(tests/fakes/servarr.py) served over real HTTP on 127.0.0.1. Radarr knows the movies of the TMDB
fake (tools/e2e_fakes.py) and, as a download client would, starts a download of every movie it
has: 58 % done, about 25 minutes to go.

Prints one JSON line with their URLs and the API key, then serves until stdin closes or it is
told to stop.

usage: uv run python -m tools.e2e_downloaders   (from the repository root)
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import Request
from tests.fakes.servarr import API_KEY, FakeRadarr, FakeSonarr, build_radarr, build_sonarr
from tests.helpers import serve_asgi
from tools.e2e_fakes import MOVIES

SIZE = 4_700_000_000


def radarr_app(fake: FakeRadarr) -> Any:
    app = build_radarr(fake)

    @app.middleware("http")
    async def downloads(request: Request, call_next: Any) -> Any:
        response = await call_next(request)
        downloading = {record.get("movieId") for record in fake.queue}
        for movie_id, movie in fake.movies.items():
            if movie_id not in downloading and not movie.get("hasFile"):
                eta = datetime.now(UTC) + timedelta(minutes=25)
                fake.add_queue(
                    movieId=movie_id,
                    title=f"{movie['title']}.{movie['year']}.1080p.BluRay.x264",
                    size=SIZE,
                    sizeleft=int(SIZE * 0.42),
                    timeleft="00:25:00",
                    estimatedCompletionTime=eta.isoformat().replace("+00:00", "Z"),
                )
        return response

    return app


async def main() -> None:
    radarr = FakeRadarr()
    for tmdb_id, title, released in MOVIES:
        radarr.know(tmdb_id, title, int(released[:4]))
    sonarr = FakeSonarr()
    sonarr.know(334824, "Dark", seasons=3, tmdb_id=70523)
    async with AsyncExitStack() as stack:
        radarr_url = await stack.enter_async_context(serve_asgi(radarr_app(radarr)))
        sonarr_url = await stack.enter_async_context(serve_asgi(build_sonarr(sonarr)))
        print(
            json.dumps({"radarr_url": radarr_url, "sonarr_url": sonarr_url, "api_key": API_KEY}),
            flush=True,
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        loop.add_reader(sys.stdin.fileno(), lambda: sys.stdin.read(1) or stop.set())
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
