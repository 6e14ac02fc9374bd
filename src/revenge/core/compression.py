"""gzip and brotli for text: the web app's files and JSON answers.

Two parts:
- ``CompressionMiddleware`` compresses an answer of a text type that arrives whole (one body
  message) and is at least ``minimum_size`` bytes, in the encoding the client prefers. Streams
  (several body messages: media, downloads, server-sent events), ranges, images and answers
  already encoded pass through untouched.
- ``PrecompressedFiles`` serves the built web app's files: each file is compressed once, at
  the highest level, and kept in memory, so a request never compresses it again. Hashed
  assets (their name changes with their content) are cached by browsers for a year.

Every answer of a compressible type says ``Vary: Accept-Encoding``, compressed or not, so a
shared cache never hands brotli to a client that did not ask for it.
"""

from __future__ import annotations

import asyncio
import gzip
import math
import os
from dataclasses import dataclass
from pathlib import Path

import brotli
from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Ordered by preference: brotli is ~15-20 % smaller than gzip on JS, CSS and JSON.
ENCODINGS = ("br", "gzip")
COMPRESSIBLE_TYPES = frozenset(
    {
        "text/html",
        "text/css",
        "text/javascript",
        "text/plain",
        "text/csv",
        "text/xml",
        "application/javascript",
        "application/json",
        "application/xml",
        "image/svg+xml",
    }
)
# Below this a compressed answer saves less than the headers and CPU cost.
MINIMUM_SIZE = 1024
# Bigger answers pass through: compressing them would hold the CPU (and memory) too long.
MAXIMUM_SIZE = 8 * 1024 * 1024
# Bodies above this are compressed in a worker thread, off the event loop.
_THREAD_THRESHOLD = 64 * 1024
IMMUTABLE = "public, max-age=31536000, immutable"


def choose_encoding(accept_encoding: str | None) -> str | None:
    """The encoding to answer in for an ``Accept-Encoding`` header, honouring q-values
    (``q=0`` refuses one; ``*`` stands for the codings not named); None = uncompressed."""
    if not accept_encoding:
        return None
    weights: dict[str, float] = {}
    for part in accept_encoding.split(","):
        name, _, params = part.partition(";")
        coding = name.strip().lower()
        if not coding:
            continue
        weights[coding] = _quality(params)
    best, best_weight = None, 0.0
    for coding in ENCODINGS:
        weight = weights.get(coding, weights.get("*", 0.0))
        if weight > best_weight:
            best, best_weight = coding, weight
    return best


def _quality(params: str) -> float:
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "q":
            try:
                q = float(value.strip())
            except ValueError:
                return 0.0
            return min(max(q, 0.0), 1.0) if math.isfinite(q) else 0.0
    return 1.0


def is_compressible(content_type: str | None) -> bool:
    """Text worth compressing: HTML, CSS, JS, SVG, JSON (also ``application/*+json`` such as
    problem+json). Never event streams, images or media."""
    if not content_type:
        return False
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type in COMPRESSIBLE_TYPES:
        return True
    return media_type.startswith("application/") and media_type.endswith("+json")


def compress(body: bytes, encoding: str, *, best: bool = False) -> bytes:
    """``body`` in ``encoding``. ``best``: the slowest, smallest level, for files compressed
    once; answers compressed per request use a fast level."""
    if encoding == "br":
        return bytes(brotli.compress(body, quality=11 if best else 5))
    if encoding == "gzip":
        # mtime=0: the same input gives the same bytes (stable lengths and caches).
        return gzip.compress(body, compresslevel=9 if best else 6, mtime=0)
    raise ValueError(f"unknown encoding: {encoding}")


async def _compress_off_loop(body: bytes, encoding: str, *, best: bool = False) -> bytes:
    if len(body) < _THREAD_THRESHOLD:
        return compress(body, encoding, best=best)
    return await asyncio.to_thread(compress, body, encoding, best=best)


def _add_vary(headers: MutableHeaders) -> None:
    vary = headers.get("vary", "")
    if "accept-encoding" not in vary.lower():
        headers["vary"] = f"{vary}, Accept-Encoding" if vary else "Accept-Encoding"


def _weak(etag: str | None) -> str | None:
    """A compressed answer's ETag: weak, as its bytes differ from the uncompressed one's."""
    if not etag or etag.startswith("W/"):
        return etag
    return f"W/{etag}"


class CompressionMiddleware:
    """Compress whole text answers (JSON, HTML …) of at least ``minimum_size`` bytes.

    Pure ASGI: a streamed answer is passed on as it comes, never held.
    """

    def __init__(
        self, app: ASGIApp, minimum_size: int = MINIMUM_SIZE, maximum_size: int = MAXIMUM_SIZE
    ) -> None:
        self.app = app
        self.minimum_size = minimum_size
        self.maximum_size = maximum_size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_headers = Headers(scope=scope)
        # A range asks for bytes of the identity representation: never compressed.
        encoding = (
            None
            if "range" in request_headers
            else choose_encoding(request_headers.get("accept-encoding"))
        )
        responder = _Responder(send, encoding, self.minimum_size, self.maximum_size)
        await self.app(scope, receive, responder.send)


@dataclass
class _Responder:
    downstream: Send
    encoding: str | None
    minimum_size: int
    maximum_size: int
    held_start: Message | None = None

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            await self._start(message)
        elif message["type"] == "http.response.body" and self.held_start is not None:
            await self._first_body(message)
        else:
            await self._flush_start()
            await self.downstream(message)

    async def _start(self, message: Message) -> None:
        headers = MutableHeaders(raw=list(message.get("headers", [])))
        status = message["status"]
        if (
            not is_compressible(headers.get("content-type"))
            or "content-encoding" in headers
            or "content-range" in headers
            or status in (204, 206, 304)
            or "no-transform" in headers.get("cache-control", "").lower()
        ):
            await self.downstream(message)
            return
        _add_vary(headers)
        message = {**message, "headers": headers.raw}
        if self.encoding is None:
            await self.downstream(message)
            return
        # Held until the first body message tells whether the answer comes whole.
        self.held_start = message

    async def _first_body(self, message: Message) -> None:
        start, self.held_start = self.held_start, None
        assert start is not None
        body: bytes = message.get("body", b"")
        whole = not message.get("more_body", False)
        encoding = self.encoding
        if (
            not whole
            or encoding is None
            or not (self.minimum_size <= len(body) <= self.maximum_size)
        ):
            # A stream (or an answer too small or too big to be worth it): as it comes.
            await self.downstream(start)
            await self.downstream(message)
            return
        compressed = await _compress_off_loop(body, encoding)
        if len(compressed) >= len(body):
            await self.downstream(start)
            await self.downstream(message)
            return
        headers = MutableHeaders(raw=list(start["headers"]))
        headers["content-encoding"] = encoding
        headers["content-length"] = str(len(compressed))
        if "accept-ranges" in headers:
            del headers["accept-ranges"]
        if etag := _weak(headers.get("etag")):
            headers["etag"] = etag
        await self.downstream({**start, "headers": headers.raw})
        await self.downstream({"type": "http.response.body", "body": compressed})

    async def _flush_start(self) -> None:
        if self.held_start is not None:
            start, self.held_start = self.held_start, None
            await self.downstream(start)


@dataclass(frozen=True)
class _Compressed:
    mtime_ns: int
    size: int
    body: bytes


class FileCompressionCache:
    """Each file compressed once per encoding (at the best level), kept while the file on disk
    is unchanged (same modification time and size)."""

    def __init__(self, maximum_size: int = MAXIMUM_SIZE) -> None:
        self.maximum_size = maximum_size
        self._entries: dict[tuple[str, str], _Compressed] = {}
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}

    async def get(self, path: str, stat: os.stat_result, encoding: str) -> bytes | None:
        """The compressed bytes, or None when compressing does not pay (too big, no smaller)."""
        if stat.st_size > self.maximum_size:
            return None
        key = (path, encoding)
        entry = self._entries.get(key)
        if entry is None or (entry.mtime_ns, entry.size) != (stat.st_mtime_ns, stat.st_size):
            # One compression per file, however many first requests arrive at once.
            async with self._locks.setdefault(key, asyncio.Lock()):
                entry = self._entries.get(key)
                if entry is None or (entry.mtime_ns, entry.size) != (
                    stat.st_mtime_ns,
                    stat.st_size,
                ):
                    raw = await asyncio.to_thread(Path(path).read_bytes)
                    body = await asyncio.to_thread(compress, raw, encoding, best=True)
                    entry = _Compressed(stat.st_mtime_ns, stat.st_size, body)
                    self._entries[key] = entry
        return entry.body if len(entry.body) < entry.size else None

    async def respond(
        self, response: Response, scope: Scope, *, cache_control: str | None = None
    ) -> Response:
        """``response`` (a file's, from StaticFiles or a route) as the client prefers it:
        the cached compressed bytes when the file is text and the client accepts them."""
        if cache_control:
            response.headers["cache-control"] = cache_control
        if not isinstance(response, FileResponse):
            return response  # 304 Not Modified and friends
        if not is_compressible(response.media_type):
            return response
        if response.stat_result is None:  # a route's FileResponse: stat it as StaticFiles does
            response.stat_result = await asyncio.to_thread(os.stat, response.path)
            response.set_stat_headers(response.stat_result)
        _add_vary(response.headers)
        request_headers = Headers(scope=scope)
        encoding = (
            None
            if "range" in request_headers
            else choose_encoding(request_headers.get("accept-encoding"))
        )
        if encoding is None or response.status_code != 200:
            return response
        stat = response.stat_result
        if stat.st_size < MINIMUM_SIZE:
            return response
        body = await self.get(str(response.path), stat, encoding)
        if body is None:
            return response
        headers = {
            name: value
            for name, value in response.headers.items()
            if name not in ("content-length", "accept-ranges", "etag")
        }
        headers["content-encoding"] = encoding
        if etag := _weak(response.headers.get("etag")):
            headers["etag"] = etag
        return Response(body, status_code=200, headers=headers, media_type=None)


class PrecompressedFiles(StaticFiles):
    """StaticFiles whose text files are served compressed from ``cache``; ``immutable`` for a
    directory of content-hashed names (Vite's ``assets/``)."""

    def __init__(
        self,
        *,
        directory: str | os.PathLike[str],
        cache: FileCompressionCache,
        immutable: bool = False,
        check_dir: bool = True,
    ) -> None:
        super().__init__(directory=directory, check_dir=check_dir)
        self.cache = cache
        self.cache_control = IMMUTABLE if immutable else None

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 404:
            return response
        return await self.cache.respond(response, scope, cache_control=self.cache_control)
