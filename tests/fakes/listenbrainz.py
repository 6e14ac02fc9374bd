"""A ListenBrainz fake on 127.0.0.1 enforcing submit-listens' checks, order and messages,
rate-limit headers and token auth (PROVIDER_PROTOCOLS.md §3)."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from tests.fakes.failures import Failures

MAX_LISTENS = 1000
MAX_LISTEN_SIZE = 10240
MAX_REQUEST = 10240000
LISTEN_MINIMUM_TS = 1033410600
MBID_KEYS = ("recording_mbid", "release_mbid", "release_group_mbid", "track_mbid")


class Invalid(Exception):
    pass


def _check_string(value: Any, key: str) -> None:
    if isinstance(value, str) and "\x00" in value:
        raise Invalid(f"{key} contains a unicode null")


def validate_listen(listen: Any, listen_type: str) -> None:
    if not isinstance(listen, dict):
        raise Invalid("Invalid JSON document submitted.")
    if listen_type in ("single", "import"):
        if "listened_at" not in listen:
            raise Invalid("JSON document must contain the key listened_at at the top level.")
        try:
            ts = int(listen["listened_at"])
        except (TypeError, ValueError):
            raise Invalid("JSON document must contain an int value for listened_at.") from None
        if ts >= time.time() + 3600:
            raise Invalid("Value for key listened_at is too high.")
        if ts < LISTEN_MINIMUM_TS:
            raise Invalid("Value for key listened_at is too low.")
        if set(listen) - {"listened_at", "track_metadata"}:
            raise Invalid(
                "JSON document may only contain listened_at and track_metadata top level keys"
            )
    else:
        if "listened_at" in listen:
            raise Invalid(
                "JSON document must not contain listened_at while submitting playing_now."
            )
        if set(listen) - {"track_metadata"}:
            raise Invalid("JSON document may only contain track_metadata as top level key")
    metadata = listen.get("track_metadata")
    if not isinstance(metadata, dict):
        raise Invalid("JSON document must contain the key track_metadata at the top level.")
    for key in ("artist_name", "track_name"):
        value = metadata.get(key)
        if not isinstance(value, str) or not value.strip():
            raise Invalid(f"JSON document does not contain required track_metadata.{key}.")
        _check_string(value, key)
    info = metadata.get("additional_info") or {}
    if "duration" in info and "duration_ms" in info:
        raise Invalid("JSON document should not contain both duration and duration_ms.")
    if "duration_ms" in info:
        duration = int(info["duration_ms"])
        if not 0 < duration <= 2073600000:
            raise Invalid("Value for duration_ms is invalid, should be a positive integer.")
    for key in MBID_KEYS:
        if info.get(key):
            try:
                uuid.UUID(str(info[key]))
            except ValueError:
                raise Invalid(f"{key} MBID format invalid.") from None
    for value in info.get("artist_mbids") or []:
        try:
            uuid.UUID(str(value))
        except ValueError:
            raise Invalid("artist_mbids MBID format invalid.") from None


@dataclass
class FakeListenBrainz:
    tokens: dict[str, str] = field(default_factory=dict)  # token -> user
    failures: Failures = field(default_factory=Failures)
    listens: list[dict[str, Any]] = field(default_factory=list)  # accepted, with user + type
    playing_now: list[dict[str, Any]] = field(default_factory=list)
    history: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # for /listens reads
    recommendations: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    submissions: list[tuple[str, int]] = field(default_factory=list)  # (listen_type, count)
    rate_limit: int | None = None  # requests per window
    window_seconds: int = 10
    _window: tuple[int, int] = (0, 0)

    def add_user(self, user: str) -> str:
        token = uuid.uuid4().hex
        self.tokens[token] = user
        return token

    def accepted(self, user: str) -> list[dict[str, Any]]:
        return [entry for entry in self.listens if entry["user"] == user]

    def _limit_headers(self) -> tuple[dict[str, str], bool]:
        if self.rate_limit is None:
            return {}, False
        now = int(time.time())
        start, used = self._window
        if now - start >= self.window_seconds:
            start, used = now, 0
        used += 1
        self._window = (start, used)
        remaining = max(0, self.rate_limit - used)
        reset_in = max(1, start + self.window_seconds - now)
        headers = {
            "X-RateLimit-Limit": str(self.rate_limit),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset-In": str(reset_in),
            "X-RateLimit-Reset": str(start + self.window_seconds),
        }
        return headers, used > self.rate_limit

    def app(self) -> FastAPI:
        app = FastAPI()
        fake = self

        def user_of(request: Request) -> str | None:
            header = request.headers.get("authorization", "")
            _, _, token = header.partition(" ")
            return fake.tokens.get(token.strip())

        def error(message: str, status: int, headers: dict[str, str] | None = None) -> Response:
            return JSONResponse(
                {"code": status, "error": message}, status_code=status, headers=headers
            )

        @app.get("/1/validate-token")
        async def validate_token(request: Request) -> Response:
            header = request.headers.get("authorization", "")
            token = header.partition(" ")[2].strip() or request.query_params.get("token", "")
            if not token:
                return error("You need to provide an Authorization token.", 400)
            user = fake.tokens.get(token)
            if user is None:
                return JSONResponse({"code": 200, "message": "Token invalid.", "valid": False})
            return JSONResponse(
                {"code": 200, "message": "Token valid.", "valid": True, "user_name": user}
            )

        @app.post("/1/submit-listens")
        async def submit(request: Request) -> Response:
            headers, over = fake._limit_headers()
            if over:
                return error("Too many requests", 429, headers)
            if failure := await fake.failures.apply(request):
                return failure
            if not request.headers.get("authorization"):
                return error("You need to provide an Authorization header.", 401, headers)
            user = user_of(request)
            if user is None:
                return error("Invalid authorization token.", 401, headers)
            raw = await request.body()
            if len(raw) > MAX_REQUEST:
                return error(
                    f"Payload too large. Payload cannot exceed {MAX_REQUEST} bytes", 400, headers
                )
            try:
                data = json.loads(raw)
            except ValueError as exc:
                return error(f"Cannot parse JSON document: {exc}", 400, headers)
            if not isinstance(data, dict):
                return error(
                    "Invalid JSON document submitted. Top level of JSON document should be a json object.",
                    400,
                    headers,
                )
            payload = data.get("payload")
            if "payload" in data and not isinstance(payload, list):
                return error(
                    "The payload in the JSON document should be a list of listens.", 400, headers
                )
            if isinstance(payload, list):
                if not payload:
                    return error("JSON document does not contain any listens", 400, headers)
                if len(payload) > MAX_LISTENS:
                    return error(
                        "Too many listens. You may not submit more than 1000 listens at once.",
                        400,
                        headers,
                    )
                if len(raw) > len(payload) * MAX_LISTEN_SIZE:
                    return error(
                        "JSON document is too large. Each listens may not be larger than 10240 bytes.",
                        400,
                        headers,
                    )
            listen_type = data.get("listen_type")
            if "listen_type" in data and listen_type not in ("single", "playing_now", "import"):
                return error("JSON document requires a valid listen_type key.", 400, headers)
            if (
                listen_type in ("single", "playing_now")
                and isinstance(payload, list)
                and len(payload) > 1
            ):
                return error(
                    f"JSON document contains more than listen for a {listen_type}. It should contain only one.",
                    400,
                    headers,
                )
            if payload is None or listen_type is None:
                return error("Invalid JSON document submitted.", 400, headers)
            try:
                for listen in payload:
                    validate_listen(listen, listen_type)
            except Invalid as exc:
                return error(str(exc), 400, headers)
            fake.submissions.append((listen_type, len(payload)))
            for listen in payload:
                entry = {"user": user, "listen_type": listen_type, **listen}
                (fake.playing_now if listen_type == "playing_now" else fake.listens).append(entry)
            return JSONResponse({"status": "ok"}, headers=headers)

        @app.get("/1/user/{user}/listens")
        async def listens(user: str, request: Request) -> Response:
            if user not in fake.history:
                return error(f"Cannot find user: {user}", 404)
            rows = sorted(fake.history[user], key=lambda r: -r["listened_at"])
            if "max_ts" in request.query_params:
                rows = [r for r in rows if r["listened_at"] < int(request.query_params["max_ts"])]
            if "min_ts" in request.query_params:
                rows = [r for r in rows if r["listened_at"] > int(request.query_params["min_ts"])]
            count = min(int(request.query_params.get("count", "25")), 1000)
            page = rows[:count]
            return JSONResponse({"payload": {"user_id": user, "count": len(page), "listens": page}})

        @app.get("/1/cf/recommendation/user/{user}/recording")
        async def recommendations(user: str, request: Request) -> Response:
            rows = fake.recommendations.get(user)
            if not rows:
                return Response(status_code=204)
            count = int(request.query_params.get("count", "25"))
            return JSONResponse(
                {
                    "payload": {
                        "mbids": rows[:count],
                        "entity": "recording",
                        "user_name": user,
                        "count": min(count, len(rows)),
                        "total_mbid_count": len(rows),
                        "offset": 0,
                        "last_updated": int(time.time()),
                    }
                }
            )

        return app
