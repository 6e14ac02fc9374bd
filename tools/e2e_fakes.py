"""The outside services the web UI's end-to-end tests talk to, as the Python tests' own fakes
(tests/fakes) served over real HTTP on 127.0.0.1: TMDB (request search, discovery lists, a
series' seasons; ``POST /_fail_next?status=`` makes it fail), ListenBrainz (token connect) and
a Web Push service (decrypts what the server pushes, like a browser would).

Prints one JSON line with their URLs and what the browser test needs (the ListenBrainz token,
the push subscription's endpoint and keys), then serves until stdin closes or it is told to
stop. ``GET /_listens`` on the ListenBrainz fake: the listens the server submitted. Extra
routes for the test on the push service: ``GET /_received`` (the decrypted
messages) and ``PUT /_subscribers/{id}/application-server-key`` (refuse pushes signed with any
other VAPID key, as real push services do).

usage: uv run python -m tools.e2e_fakes   (from the repository root)
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from contextlib import AsyncExitStack
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from tests.fakes.listenbrainz import FakeListenBrainz
from tests.fakes.tmdb import API_KEY, FakeTmdb, build_app
from tests.fakes.webpush import FakePushService, Subscriber
from tests.helpers import serve_asgi

# Heat is in the e2e library (tools/e2e_seed.py gives it this TMDB id); the others are not.
# (The search test looks for "heat": the discovery-only titles below must not contain it.)
MOVIES = [
    (949, "Heat", "1995-12-15"),
    (2640, "Heathers", "1989-03-31"),
    (10000, "Heat Wave", "2026-07-01"),
    (603, "The Matrix", "1999-03-31"),
    (27205, "Inception", "2010-07-15"),
    (157336, "Interstellar", "2014-11-05"),
    (20001, "Northern Lights", "2027-02-12"),
    (20002, "Quiet Harbour", "2027-05-20"),
]
# (tmdb id, name, first air date, tvdb id, seasons)
SHOWS = [
    (95396, "Severance", "2022-02-17", 371980, 2),
    (70523, "Dark", "2017-12-01", 334824, 3),
]
# TMDB's lists for the requests page's discovery, in TMDB's order.
LISTS = {
    "movie/popular": [27205, 603, 157336, 949],
    "movie/upcoming": [20001, 20002, 10000],
    "tv/popular": [70523, 95396],
    "tv/on_the_air": [95396],
}


def tmdb_app(fake: FakeTmdb) -> Any:
    """The TMDB fake, plus ``POST /_fail_next?status=&times=`` for the test (TMDB down)."""
    app = build_app(fake)

    @app.post("/_fail_next")
    async def fail_next(status: int = 500, times: int = 1) -> JSONResponse:
        fake.fail_next(status, times=times)
        return JSONResponse({"ok": True})

    return app


LISTENBRAINZ_USER = "maria_listens"
PUSH_SUBSCRIBER = "e2e-browser"


def push_app(fake: FakePushService) -> Any:
    app = fake.app()

    @app.get("/_received")
    async def received() -> JSONResponse:
        return JSONResponse(fake.received)

    @app.put("/_subscribers/{sub_id}/application-server-key")
    async def expect_key(sub_id: str, request: Request) -> JSONResponse:
        fake.subscribers[sub_id].application_server_key = (await request.body()).decode()
        return JSONResponse({"ok": True})

    return app


def listenbrainz_app(fake: FakeListenBrainz) -> Any:
    app = fake.app()

    # What the server submitted (the web player's plays end up here), for the browser test.
    @app.get("/_listens")
    async def listens() -> JSONResponse:
        return JSONResponse(fake.listens)

    return app


async def main() -> None:
    tmdb = FakeTmdb()
    for tmdb_id, title, released in MOVIES:
        tmdb.add_movie(tmdb_id, title, released)
    for tmdb_id, name, aired, tvdb_id, seasons in SHOWS:
        tmdb.add_show(tmdb_id, name, aired, tvdb_id, seasons=seasons)
    for name, ids in LISTS.items():
        tmdb.add_to_list(name, *ids)
    listenbrainz = FakeListenBrainz()
    token = listenbrainz.add_user(LISTENBRAINZ_USER)
    push = FakePushService()
    subscriber = Subscriber.new()
    push.subscribers[PUSH_SUBSCRIBER] = subscriber

    async with AsyncExitStack() as stack:
        tmdb_url = await stack.enter_async_context(serve_asgi(tmdb_app(tmdb)))
        listenbrainz_url = await stack.enter_async_context(
            serve_asgi(listenbrainz_app(listenbrainz))
        )
        push_url = await stack.enter_async_context(serve_asgi(push_app(push)))
        push.origin = push_url
        print(
            json.dumps(
                {
                    "tmdb_api_url": f"{tmdb_url}/3",
                    "tmdb_api_key": API_KEY,
                    "listenbrainz_api_url": listenbrainz_url,
                    "listenbrainz_user": LISTENBRAINZ_USER,
                    "listenbrainz_token": token,
                    "push_url": push_url,
                    "push_endpoint": f"{push_url}/push/{PUSH_SUBSCRIBER}",
                    "push_subscriber": PUSH_SUBSCRIBER,
                    "push_keys": subscriber.keys(),
                }
            ),
            flush=True,
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        # The harness closing our stdin (or dying) ends us too.
        loop.add_reader(sys.stdin.fileno(), lambda: sys.stdin.read(1) or stop.set())
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
