"""A Trakt API v2 fake on 127.0.0.1 that checks what Trakt checks (PROVIDER_PROTOCOLS.md §1)."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from tests.fakes.failures import Failures


@dataclass
class Scrobble:
    user: str
    action: str  # requested: start | pause | stop
    result: str  # Trakt's answer: start | pause | scrobble
    body: dict[str, Any]
    at: float


@dataclass
class FakeTrakt:
    client_id: str = "trakt-client-id"
    client_secret: str = "trakt-client-secret"
    expires_in: int = 7 * 24 * 3600
    min_write_interval: float = 1.0
    failures: Failures = field(default_factory=Failures)
    token_failures: Failures = field(default_factory=Failures)  # /oauth/token only
    tokens: dict[str, str] = field(default_factory=dict)  # access token -> user
    refresh_tokens: dict[str, str] = field(default_factory=dict)
    codes: dict[str, tuple[str, str]] = field(default_factory=dict)  # code -> (user, redirect)
    devices: dict[str, dict[str, Any]] = field(default_factory=dict)
    scrobbles: list[Scrobble] = field(default_factory=list)
    history: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    watchlist: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    ratings: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    recommended: list[dict[str, Any]] = field(default_factory=list)
    revoked: list[str] = field(default_factory=list)
    rate_limited: int = 0
    token_requests: list[dict[str, Any]] = field(default_factory=list)
    _last_write: dict[str, float] = field(default_factory=dict)
    _recent: dict[tuple[str, str], float] = field(default_factory=dict)

    # --- what a user does in the browser ---------------------------------------------------
    def authorize(self, authorize_url: str, user: str) -> dict[str, str]:
        """The user approves on trakt.tv: returns the query Trakt redirects back with."""
        from urllib.parse import parse_qs, urlparse

        query = {k: v[0] for k, v in parse_qs(urlparse(authorize_url).query).items()}
        assert query["response_type"] == "code"
        assert query["client_id"] == self.client_id
        code = secrets.token_hex(8)
        self.codes[code] = (user, query["redirect_uri"])
        return {"code": code, "state": query["state"]}

    def approve_device(self, user_code: str, user: str) -> None:
        for device in self.devices.values():
            if device["user_code"] == user_code:
                device["user"] = user

    def issue_token(self, user: str) -> dict[str, Any]:
        access, refresh = secrets.token_hex(16), secrets.token_hex(16)
        self.tokens[access] = user
        self.refresh_tokens[refresh] = user
        return {
            "access_token": access,
            "token_type": "bearer",
            "expires_in": self.expires_in,
            "refresh_token": refresh,
            "scope": "public",
            "created_at": int(time.time()),
        }

    def watched(self, user: str) -> list[Scrobble]:
        return [s for s in self.scrobbles if s.user == user and s.result == "scrobble"]

    # --- the server ----------------------------------------------------------------------
    def app(self) -> FastAPI:
        app = FastAPI()
        fake = self

        def api_headers_problem(request: Request) -> Response | None:
            if request.headers.get("trakt-api-version") != "2":
                return JSONResponse({"error": "trakt-api-version 2 required"}, status_code=400)
            if request.headers.get("trakt-api-key") != fake.client_id:
                return Response(status_code=403)
            if request.method == "POST" and not request.headers.get("content-type", "").startswith(
                "application/json"
            ):
                return Response(status_code=412)
            return None

        def user_of(request: Request) -> str | None:
            scheme, _, token = request.headers.get("authorization", "").partition(" ")
            return fake.tokens.get(token) if scheme == "Bearer" else None

        async def json_body(request: Request) -> dict[str, Any] | None:
            if not request.headers.get("content-type", "").startswith("application/json"):
                return None
            try:
                return await request.json()
            except ValueError:
                return None

        @app.post("/oauth/token")
        async def token(request: Request) -> Response:
            body = await json_body(request)
            if body is None:
                return Response(status_code=412)
            fake.token_requests.append(body)
            if failure := await fake.token_failures.apply(request):
                return failure
            if (
                body.get("client_id") != fake.client_id
                or body.get("client_secret") != fake.client_secret
            ):
                return JSONResponse({"error": "invalid_client"}, status_code=401)
            grant = body.get("grant_type")
            if grant == "authorization_code":
                entry = fake.codes.pop(body.get("code", ""), None)  # single use
                if entry is None or entry[1] != body.get("redirect_uri"):
                    return JSONResponse({"error": "invalid_grant"}, status_code=401)
                return JSONResponse(fake.issue_token(entry[0]))
            if grant == "refresh_token":
                user = fake.refresh_tokens.pop(body.get("refresh_token", ""), None)
                if user is None or not body.get("redirect_uri"):
                    return JSONResponse({"error": "invalid_grant"}, status_code=401)
                return JSONResponse(fake.issue_token(user))
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)

        @app.post("/oauth/device/code")
        async def device_code(request: Request) -> Response:
            body = await json_body(request) or {}
            if body.get("client_id") != fake.client_id:
                return Response(status_code=403)
            code = secrets.token_hex(16)
            user_code = secrets.token_hex(4).upper()
            fake.devices[code] = {
                "user_code": user_code,
                "user": None,
                "used": False,
                "expires": time.time() + 600,
            }
            return JSONResponse(
                {
                    "device_code": code,
                    "user_code": user_code,
                    "verification_url": "https://trakt.tv/activate",
                    "expires_in": 600,
                    "interval": 5,
                }
            )

        @app.post("/oauth/device/token")
        async def device_token(request: Request) -> Response:
            body = await json_body(request) or {}
            if (
                body.get("client_id") != fake.client_id
                or body.get("client_secret") != fake.client_secret
            ):
                return Response(status_code=403)
            device = fake.devices.get(body.get("code", ""))
            if device is None:
                return Response(status_code=404)
            if device["used"]:
                return Response(status_code=409)
            if device["expires"] < time.time():
                return Response(status_code=410)
            if device["user"] == "":
                return Response(status_code=418)
            if device["user"] is None:
                return Response(status_code=400)
            device["used"] = True
            return JSONResponse(fake.issue_token(device["user"]))

        @app.post("/oauth/revoke")
        async def revoke(request: Request) -> Response:
            body = await json_body(request) or {}
            if (
                body.get("client_id") != fake.client_id
                or body.get("client_secret") != fake.client_secret
            ):
                return Response(status_code=401)
            if fake.tokens.pop(body.get("token", ""), None) is not None:
                fake.revoked.append(body["token"])
            return JSONResponse({})

        @app.get("/users/settings")
        async def settings(request: Request) -> Response:
            if problem := api_headers_problem(request):
                return problem
            user = user_of(request)
            if user is None:
                return Response(status_code=401)
            return JSONResponse({"user": {"username": user}})

        @app.post("/scrobble/{action}")
        async def scrobble(action: str, request: Request) -> Response:
            if action not in ("start", "pause", "stop"):
                return Response(status_code=405)
            if problem := api_headers_problem(request):
                return problem
            user = user_of(request)
            if user is None:
                return Response(status_code=401)
            # First, so every POST is noted (and one inside an announced back-off refused).
            if failure := await fake.failures.apply(request):
                return failure
            now = time.monotonic()
            last = fake._last_write.get(user)
            if last is not None and now - last < fake.min_write_interval:
                fake.rate_limited += 1
                return JSONResponse(
                    {},
                    status_code=429,
                    headers={
                        "Retry-After": "1",
                        "X-Ratelimit": '{"name":"AUTHED_API_POST_LIMIT","period":1,"limit":1,"remaining":0}',
                    },
                )
            fake._last_write[user] = now
            body = await json_body(request)
            if body is None:
                return Response(status_code=400)
            progress = body.get("progress")
            if not isinstance(progress, int | float) or not 0 <= progress <= 100:
                return Response(status_code=422)
            item_key = _item_key(body)
            if item_key is None:
                return Response(status_code=404)
            result = action
            if action == "stop":
                if progress < 1:
                    return Response(status_code=422)
                result = "scrobble" if progress >= 80 else "pause"
            if result == "scrobble":
                seen = fake._recent.get((user, item_key))
                if seen is not None and time.time() - seen < 3600:
                    return JSONResponse(
                        {
                            "watched_at": "2014-10-15T22:21:29.000Z",
                            "expires_at": "2014-10-15T23:21:29.000Z",
                        },
                        status_code=409,
                    )
                fake._recent[(user, item_key)] = time.time()
            fake.scrobbles.append(Scrobble(user, action, result, body, time.time()))
            return JSONResponse(
                {
                    "id": 0 if result == "start" else len(fake.scrobbles),
                    "action": result,
                    "progress": progress,
                    **{k: v for k, v in body.items() if k in ("movie", "episode", "show")},
                },
                status_code=201,
            )

        def paged(request: Request, rows: list[dict[str, Any]]) -> Response:
            page = int(request.query_params.get("page", "1"))
            limit = int(request.query_params.get("limit", "10"))
            count = max(1, -(-len(rows) // limit))
            chunk = rows[(page - 1) * limit : page * limit]
            return JSONResponse(
                chunk,
                headers={
                    "X-Pagination-Page": str(page),
                    "X-Pagination-Limit": str(limit),
                    "X-Pagination-Page-Count": str(count),
                    "X-Pagination-Item-Count": str(len(rows)),
                },
            )

        @app.get("/sync/{kind}")
        async def sync(kind: str, request: Request) -> Response:
            if problem := api_headers_problem(request):
                return problem
            user = user_of(request)
            if user is None:
                return Response(status_code=401)
            if failure := await fake.failures.apply(request):
                return failure
            store = {
                "history": fake.history,
                "watchlist": fake.watchlist,
                "ratings": fake.ratings,
            }.get(kind)
            if store is None:
                return Response(status_code=404)
            return paged(request, store.get(user, []))

        @app.get("/recommendations/{kind}")
        async def recommendations(kind: str, request: Request) -> Response:
            if problem := api_headers_problem(request):
                return problem
            if user_of(request) is None:
                return Response(status_code=401)
            limit = int(request.query_params.get("limit", "10"))
            wanted = "movie" if kind == "movies" else "show"
            rows = [r for r in fake.recommended if r["type"] == wanted][:limit]
            return JSONResponse(
                [{k: v for k, v in r.items() if k != "type"} | {"favorited_by": []} for r in rows]
            )

        return app


def _item_key(body: dict[str, Any]) -> str | None:
    if "movie" in body:
        ids = (body["movie"] or {}).get("ids") or {}
        return (
            f"movie:{ids.get('tmdb') or ids.get('imdb') or ids.get('trakt') or ''}" if ids else None
        )
    episode = body.get("episode") or {}
    if episode.get("ids"):
        ids = episode["ids"]
        return (
            f"episode:{ids.get('tvdb') or ids.get('tmdb') or ids.get('imdb') or ids.get('trakt')}"
        )
    show = body.get("show") or {}
    if show.get("title") or show.get("ids"):
        if episode.get("season") is None or episode.get("number") is None:
            return None
        return f"show:{show.get('title')}:{episode['season']}x{episode['number']}"
    return None


def authorize_query(url: str, **params: str) -> str:
    return f"{url}?{urlencode(params)}"
