"""A Last.fm 2.0 fake on 127.0.0.1 that checks api_key, api_sig, POST for writes, batch limits
and session keys, and answers in JSON (``format=json``) or XML like the real service (§2)."""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from tests.fakes.failures import Failures

SIGNED = {
    "auth.getToken",
    "auth.getSession",
    "track.updateNowPlaying",
    "track.scrobble",
    "track.love",
    "track.unlove",
}
WRITES = {"track.updateNowPlaying", "track.scrobble", "track.love", "track.unlove"}
READS = {"user.getRecentTracks", "track.getSimilar", "artist.getSimilar"}
RATE_LIMITED = "Rate Limit Exceeded"


def signature(params: dict[str, str], secret: str) -> str:
    text = "".join(
        f"{k}{params[k]}" for k in sorted(params) if k not in ("format", "callback", "api_sig")
    )
    return hashlib.md5((text + secret).encode("utf-8")).hexdigest()  # noqa: S324


def _xml(tag: str, value: Any) -> str:
    if isinstance(value, dict):
        attrs = "".join(
            f' {k[1:]}="{escape(str(v))}"'
            for k, v in value.items()
            if k.startswith("@") and not isinstance(v, dict)
        )
        inner = "".join(
            _xml(k, v) for k, v in value.items() if not k.startswith("@") and k != "#text"
        )
        text = escape(str(value.get("#text", "")))
        return f"<{tag}{attrs}>{text}{inner}</{tag}>"
    if isinstance(value, list):
        return "".join(_xml(tag, v) for v in value)
    return f"<{tag}>{escape(str(value))}</{tag}>"


@dataclass
class FakeLastfm:
    api_key: str = "0123456789abcdef0123456789abcdef"
    secret: str = "lastfm-shared-secret"
    failures: Failures = field(default_factory=Failures)
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    sessions: dict[str, str] = field(default_factory=dict)  # session key -> user
    scrobbles: list[dict[str, Any]] = field(default_factory=list)
    now_playing: list[dict[str, Any]] = field(default_factory=list)
    loved: set[tuple[str, str, str]] = field(default_factory=set)
    ignored_artists: set[str] = field(default_factory=set)
    recent: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)  # method names, in order
    scrobble_requests: int = 0

    def approve(self, token: str, user: str) -> None:
        """The user clicks "Allow access" on last.fm for this token."""
        self.tokens[token]["user"] = user

    def new_session(self, user: str) -> str:
        key = secrets.token_hex(16)
        self.sessions[key] = user
        return key

    def revoke_all(self) -> None:
        """The user removed the app on last.fm: every session key is invalid (error 9)."""
        self.sessions.clear()

    def accepted(self, user: str) -> list[dict[str, Any]]:
        return [s for s in self.scrobbles if s["user"] == user]

    def app(self) -> FastAPI:
        app = FastAPI()
        fake = self

        def answer(params: dict[str, str], body: dict[str, Any], status: int = 200) -> Response:
            if params.get("format") == "json":
                return JSONResponse(body, status_code=status)
            if "error" in body:
                xml = f'<lfm status="failed"><error code="{body["error"]}">{escape(body["message"])}</error></lfm>'
            else:
                xml = '<lfm status="ok">' + "".join(_xml(k, v) for k, v in body.items()) + "</lfm>"
            return Response(
                '<?xml version="1.0" encoding="UTF-8"?>\n' + xml,
                status_code=status,
                media_type="text/xml",
            )

        def error(params: dict[str, str], code: int, message: str, status: int = 200) -> Response:
            return answer(params, {"error": code, "message": message}, status)

        @app.api_route("/2.0/", methods=["GET", "POST"])
        async def endpoint(request: Request) -> Response:
            if request.method == "POST":
                if not request.headers.get("content-type", "").startswith(
                    "application/x-www-form-urlencoded"
                ):
                    return error({}, 6, "Invalid parameters - POST must be form encoded", 400)
                params = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
            else:
                params = dict(request.query_params)
            method = params.get("method", "")
            fake.requests.append(method)
            if fake.failures.arrived() is not None:
                # Still inside the rate-limit window it announced: refused again.
                return error(params, 29, RATE_LIMITED)
            mode = fake.failures.mode
            if mode and mode.startswith("error"):
                if fake.failures.active():
                    code = int(mode.removeprefix("error"))
                    messages = {
                        11: "Service Offline",
                        16: "Temporarily unavailable",
                        29: RATE_LIMITED,
                    }
                    if code == 29:
                        # Last.fm names no Retry-After; the window it keeps refusing is
                        # ``failures.retry_after`` seconds.
                        fake.failures.told_to_wait(fake.failures.retry_after)
                    return error(params, code, messages.get(code, "error"))
            elif failure := await fake.failures.respond(request):
                return failure
            if params.get("api_key") != fake.api_key:
                return error(
                    params, 10, "Invalid API key - You must be granted a valid key by last.fm", 403
                )
            if method not in SIGNED | READS:
                return error(params, 3, "Invalid Method - No method with that name in this package")
            if method in SIGNED and params.get("api_sig") != signature(params, fake.secret):
                return error(params, 13, "Invalid method signature supplied", 403)
            if method in WRITES and request.method != "POST":
                return error(params, 3, "Invalid Method - write methods must be POSTed")
            user = None
            if method in WRITES:
                user = fake.sessions.get(params.get("sk", ""))
                if user is None:
                    return error(params, 9, "Invalid session key - Please re-authenticate", 403)
            result = HANDLERS[method](fake, params, user)
            if isinstance(result, tuple):
                return error(params, *result)
            return answer(params, result)

        return app


def _get_token(fake: FakeLastfm, params: dict[str, str], user: str | None) -> Any:
    token = secrets.token_hex(16)
    fake.tokens[token] = {"user": None, "created": time.time(), "used": False}
    return {"token": token}


def _get_session(fake: FakeLastfm, params: dict[str, str], user: str | None) -> Any:
    entry = fake.tokens.get(params.get("token", ""))
    if entry is None or entry["used"]:
        return (15, "Unauthorized Token - This token has expired")
    if time.time() - entry["created"] > 3600:
        return (15, "Unauthorized Token - This token has expired")
    if entry["user"] is None:
        return (14, "Unauthorized Token - This token has not been authorized")
    entry["used"] = True
    return {
        "session": {"name": entry["user"], "key": fake.new_session(entry["user"]), "subscriber": 0}
    }


def _now_playing(fake: FakeLastfm, params: dict[str, str], user: str | None) -> Any:
    if not params.get("artist") or not params.get("track"):
        return (6, "Invalid parameters - artist and track are required")
    fake.now_playing.append({"user": user, **params})
    return {
        "nowplaying": {
            "track": {"corrected": "0", "#text": params["track"]},
            "artist": {"corrected": "0", "#text": params["artist"]},
            "ignoredMessage": {"code": "0", "#text": ""},
        }
    }


_INDEXED = re.compile(r"^([A-Za-z]+)\[(\d+)\]$")


def _scrobble(fake: FakeLastfm, params: dict[str, str], user: str | None) -> Any:
    fake.scrobble_requests += 1
    items: dict[int, dict[str, str]] = {}
    for key, value in params.items():
        match = _INDEXED.match(key)
        if match:
            items.setdefault(int(match.group(2)), {})[match.group(1)] = value
    if not items and "artist" in params:
        items[0] = {
            k: params[k]
            for k in ("artist", "track", "timestamp", "album", "mbid", "duration")
            if k in params
        }
    if not items:
        return (6, "Invalid parameters - no scrobbles")
    if len(items) > 50 or max(items) > 49:
        return (6, "Invalid parameters - at most 50 scrobbles per request")
    results = []
    accepted = ignored = 0
    now = time.time()
    for index in sorted(items):
        item = items[index]
        if not item.get("artist") or not item.get("track") or not item.get("timestamp"):
            return (6, f"Invalid parameters - scrobble {index} lacks artist, track or timestamp")
        timestamp = int(item["timestamp"])
        code, text = "0", ""
        if item["artist"] in fake.ignored_artists:
            code, text = "1", "Artist was ignored"
        elif timestamp > now + 300:
            code, text = "4", "Timestamp was too new"
        elif timestamp < now - 14 * 86400:
            code, text = "3", "Timestamp was too old"
        if code == "0":
            accepted += 1
            fake.scrobbles.append({"user": user, **item, "timestamp": timestamp})
        else:
            ignored += 1
        results.append(
            {
                "artist": {"corrected": "0", "#text": item["artist"]},
                "track": {"corrected": "0", "#text": item["track"]},
                "timestamp": item["timestamp"],
                "ignoredMessage": {"code": code, "#text": text},
            }
        )
    return {
        "scrobbles": {
            "@attr": {"accepted": accepted, "ignored": ignored},
            "scrobble": results[0] if len(results) == 1 else results,
        }
    }


def _love(fake: FakeLastfm, params: dict[str, str], user: str | None) -> Any:
    if not params.get("artist") or not params.get("track"):
        return (6, "Invalid parameters")
    key = (user or "", params["artist"], params["track"])
    if params["method"] == "track.love":
        fake.loved.add(key)
    else:
        fake.loved.discard(key)
    return {}


def _recent(fake: FakeLastfm, params: dict[str, str], user: str | None) -> Any:
    owner = params.get("user", "")
    if owner not in fake.recent:
        return (6, "User not found")
    rows = fake.recent[owner]
    if "from" in params:
        rows = [r for r in rows if int(r["date"]["uts"]) >= int(params["from"])]
    limit = int(params.get("limit", "50"))
    page = int(params.get("page", "1"))
    pages = max(1, -(-len(rows) // limit))
    return {
        "recenttracks": {
            "track": rows[(page - 1) * limit : page * limit],
            "@attr": {
                "user": owner,
                "page": str(page),
                "perPage": str(limit),
                "totalPages": str(pages),
                "total": str(len(rows)),
            },
        }
    }


def _similar_tracks(fake: FakeLastfm, params: dict[str, str], user: str | None) -> Any:
    return {
        "similartracks": {
            "track": [
                {
                    "name": "Angel",
                    "playcount": 100,
                    "mbid": "",
                    "match": 1.0,
                    "url": "",
                    "duration": 379,
                    "artist": {"name": params.get("artist"), "mbid": "", "url": ""},
                    "image": [],
                },
                {
                    "name": "Glory Box",
                    "playcount": 90,
                    "mbid": "",
                    "match": 0.8,
                    "url": "",
                    "duration": 305,
                    "artist": {"name": "Portishead", "mbid": "", "url": ""},
                    "image": [],
                },
            ],
            "@attr": {"artist": params.get("artist")},
        }
    }


def _similar_artists(fake: FakeLastfm, params: dict[str, str], user: str | None) -> Any:
    return {
        "similarartists": {
            "artist": [{"name": "Portishead", "mbid": "", "match": "0.9", "url": "", "image": []}],
            "@attr": {"artist": params.get("artist")},
        }
    }


HANDLERS = {
    "auth.getToken": _get_token,
    "auth.getSession": _get_session,
    "track.updateNowPlaying": _now_playing,
    "track.scrobble": _scrobble,
    "track.love": _love,
    "track.unlove": _love,
    "user.getRecentTracks": _recent,
    "track.getSimilar": _similar_tracks,
    "artist.getSimilar": _similar_artists,
}
