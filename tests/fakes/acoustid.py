"""A fake AcoustID web service v2 ``/lookup``.

Checks what AcoustID checks: the application key (``client``, error 4), the required
parameters (error 2), a positive integer ``duration`` (error 8) and a ``fingerprint`` in
Chromaprint's compressed base64 form that decodes (error 3; decoded here independently of the
code under test). Accepts GET query strings and POSTed forms, gzip-compressed or not. Answers
with AcoustID's JSON shapes; matches are found by comparing the decoded sub-fingerprints with
the registered ones (bit error rate, durations within 7 s, as AcoustID requires). Enforces
3 requests/second (HTTP 429, error 14) and can be told to fail (503, 429 + Retry-After).
Every request's arrival time is kept so a test can check the client's pacing.
"""

from __future__ import annotations

import base64
import gzip
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

API_KEY = "fake-acoustid-app-key"
MAX_DURATION_DIFF = 7  # AcoustID's FINGERPRINT_MAX_LENGTH_DIFF
MATCH_MAX_BER = 0.15


def _bits(data: bytes, width: int, count: int | None) -> list[int]:
    """Unpack ``width``-bit little-endian symbols; all that fit when ``count`` is None."""
    stream = int.from_bytes(data, "little")
    available = len(data) * 8 // width
    if count is not None and count > available:
        raise ValueError("not enough data")
    mask = (1 << width) - 1
    return [(stream >> (i * width)) & mask for i in range(available if count is None else count)]


def decode_fingerprint(text: str) -> tuple[int, list[int]]:
    """(algorithm, sub-fingerprints) of a compressed fingerprint; ValueError if malformed."""
    if not text or any(c in text for c in "+/="):
        raise ValueError("not URL-safe base64 without padding")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if len(data) < 4:
        raise ValueError("no header")
    algorithm, size = data[0], int.from_bytes(data[1:4], "big")
    if size == 0:
        raise ValueError("empty")
    normal: list[int] = []
    ends = 0
    for symbol in _bits(data[4:], 3, None):
        normal.append(symbol)
        if symbol == 0:
            ends += 1
            if ends == size:
                break
    if ends != size:
        raise ValueError("not enough data for the normal bits")
    offset = 4 + (len(normal) * 3 + 7) // 8
    extra_count = normal.count(7)
    extra = _bits(data[offset:], 5, extra_count) if extra_count else []
    if len(data) != offset + (extra_count * 5 + 7) // 8:
        raise ValueError("trailing data")
    values: list[int] = []
    current, bit, previous = 0, 0, 0
    extras = iter(extra)
    for symbol in normal:
        if symbol == 0:
            previous ^= current
            values.append(previous)
            current, bit = 0, 0
            continue
        bit += symbol + (next(extras) if symbol == 7 else 0)
        if bit > 32:
            raise ValueError("bit position out of range")
        current |= 1 << (bit - 1)
    return algorithm, values


def bit_error_rate(a: list[int], b: list[int]) -> float:
    n = min(len(a), len(b))
    if n == 0:
        return 1.0
    return sum(bin(x ^ y).count("1") for x, y in zip(a[:n], b[:n], strict=True)) / (32.0 * n)


@dataclass
class KnownTrack:
    acoustid_id: str
    fingerprint: list[int]
    duration: int
    recordings: list[dict[str, Any]]
    score: float | None  # None: 1 - bit error rate


@dataclass
class FakeAcoustid:
    api_key: str = API_KEY
    tracks: list[KnownTrack] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)
    arrivals: list[float] = field(default_factory=list)
    # (status, retry_after) answered to the next requests, one per request.
    failures: list[tuple[int, int | None]] = field(default_factory=list)
    max_per_second: int | None = 3
    rate_limited: int = 0

    def add_track(
        self,
        fingerprint: list[int],
        duration: int,
        recordings: list[dict[str, Any]],
        *,
        score: float | None = None,
    ) -> str:
        acoustid_id = str(uuid.uuid4())
        self.tracks.append(KnownTrack(acoustid_id, fingerprint, duration, recordings, score))
        return acoustid_id

    def fail_next(self, status: int, *, retry_after: int | None = None, times: int = 1) -> None:
        self.failures.extend([(status, retry_after)] * times)

    def most_in_one_second(self) -> int:
        """The most requests that arrived within any one-second span."""
        times = sorted(self.arrivals)
        most, start = 0, 0
        for end, t in enumerate(times):
            while t - times[start] >= 1.0:
                start += 1
            most = max(most, end - start + 1)
        return most

    def lookup(self, fingerprint: list[int], duration: int) -> list[dict[str, Any]]:
        results = []
        for track in self.tracks:
            if abs(track.duration - duration) > MAX_DURATION_DIFF:
                continue
            ber = bit_error_rate(fingerprint, track.fingerprint)
            if ber > MATCH_MAX_BER:
                continue
            score = track.score if track.score is not None else round(1.0 - ber, 6)
            results.append(
                {"id": track.acoustid_id, "score": score, "recordings": track.recordings}
            )
        results.sort(key=lambda r: -r["score"])
        return results


def recording(
    mbid: str, title: str = "Song", artist: str = "Artist", duration: int = 30
) -> dict[str, Any]:
    return {
        "id": mbid,
        "title": title,
        "duration": duration,
        "artists": [{"id": str(uuid.uuid5(uuid.NAMESPACE_URL, artist)), "name": artist}],
    }


def _error(code: int, message: str, status: int = 400, **headers: str) -> JSONResponse:
    return JSONResponse(
        {"status": "error", "error": {"code": code, "message": message}},
        status_code=status,
        headers=headers or None,
    )


async def _params(request: Request) -> dict[str, str]:
    params = {k: v for k, v in request.query_params.items()}
    if request.method == "POST":
        body = await request.body()
        if request.headers.get("content-encoding", "").lower() == "gzip":
            body = gzip.decompress(body)
        if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            form = parse_qs(body.decode("utf-8"), keep_blank_values=True)
            params.update({k: v[-1] for k, v in form.items()})
    return params


def build_app(state: FakeAcoustid) -> FastAPI:
    app = FastAPI()

    @app.api_route("/v2/lookup", methods=["GET", "POST"])
    async def lookup(request: Request) -> JSONResponse:
        now = time.monotonic()
        state.arrivals.append(now)
        params = await _params(request)
        state.calls.append(
            {
                "method": request.method,
                "content_encoding": request.headers.get("content-encoding"),
                "params": params,
            }
        )
        if params.get("format", "json") != "json":
            return _error(1, f'unknown format "{params["format"]}"')
        if not params.get("client"):
            return _error(2, 'missing required parameter "client"')
        if params["client"] != state.api_key:
            return _error(4, "invalid API key")
        if state.max_per_second is not None:
            recent = [t for t in state.arrivals if now - t < 1.0]
            if len(recent) > state.max_per_second:
                state.rate_limited += 1
                return _error(
                    14,
                    f"rate limit ({state.max_per_second} requests per second) exceeded, "
                    "try again later",
                    status=429,
                )
        if state.failures:
            status, retry_after = state.failures.pop(0)
            headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
            if status == 429:
                return _error(14, "rate limit exceeded, try again later", 429, **headers)
            return _error(13, "service unavailable", status, **headers)
        if not params.get("duration"):
            return _error(2, 'missing required parameter "duration"')
        try:
            duration = int(params["duration"])
        except ValueError:
            duration = 0
        if duration <= 0:
            return _error(8, 'parameter "duration" must be a positive integer')
        if not params.get("fingerprint"):
            return _error(2, 'missing required parameter "fingerprint"')
        try:
            _, fingerprint = decode_fingerprint(params["fingerprint"])
        except (ValueError, TypeError):
            return _error(3, "invalid fingerprint")
        meta = params.get("meta", "").split()
        results = state.lookup(fingerprint, duration)
        if "recordings" not in meta and "recordingids" not in meta:
            results = [{"id": r["id"], "score": r["score"]} for r in results]
        elif "recordings" not in meta:
            results = [
                {**r, "recordings": [{"id": rec["id"]} for rec in r["recordings"]]} for r in results
            ]
        return JSONResponse({"status": "ok", "results": results})

    return app
