"""HTTP Range (RFC 9110 §14) for single byte ranges, and the file response that sends them."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from email.utils import formatdate

import anyio
from starlette.background import BackgroundTask
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from revenge.core.errors import RangeNotSatisfiable

# Large reads: one thread hop per MiB keeps the per-chunk overhead small next to the copy.
CHUNK_SIZE = 1024 * 1024

# A byte position: ASCII digits only, at most 19 (as many as a signed 64-bit offset has).
_POSITION = re.compile(r"[0-9]{1,19}", re.ASCII)
_OWS = " \t"  # RFC 9110 optional whitespace


class UnsatisfiableRange(Exception):
    """The Range header asks for nothing this file has (answered with 416)."""


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int  # inclusive

    @property
    def length(self) -> int:
        return self.end - self.start + 1


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The one range to send, or None for the whole file.

    Other units and multi-range requests get the whole file (RFC 9110 allows a server to ignore
    Range); a malformed or unsatisfiable bytes range raises :class:`UnsatisfiableRange`.
    Positions are ASCII digits only (``int`` and ``str.isdigit`` also take "²" or "١٢٣") and at
    most 19 of them (a signed 64-bit offset; ``int`` refuses more than 4300 digits anyway).
    """
    if not header:
        return None
    unit, _, spec = header.partition("=")
    if unit.strip(_OWS).lower() != "bytes":
        return None
    if "," in spec:
        return None
    first, dash, last = spec.strip(_OWS).partition("-")
    first, last = first.strip(_OWS), last.strip(_OWS)
    if not dash or (first and not _POSITION.fullmatch(first)):
        raise UnsatisfiableRange
    if last and not _POSITION.fullmatch(last):
        raise UnsatisfiableRange
    if not first:  # suffix: the last N bytes
        if not last or int(last) == 0 or size == 0:
            raise UnsatisfiableRange
        return ByteRange(max(0, size - int(last)), size - 1)
    start = int(first)
    end = int(last) if last else size - 1
    if start >= size or end < start:
        raise UnsatisfiableRange
    return ByteRange(start, min(end, size - 1))


def entity_tag(file_id_hex: str, stat: os.stat_result) -> str:
    return f'"{file_id_hex[:12]}-{stat.st_size:x}-{stat.st_mtime_ns:x}"'


def range_for(
    file_id_hex: str,
    stat: os.stat_result,
    range_header: str | None,
    if_range: str | None,
    *,
    error_code: str,
) -> tuple[str, ByteRange | None]:
    """The file's entity tag and the one range to send (None: the whole file), honouring
    If-Range; an unsatisfiable range raises ``RangeNotSatisfiable(error_code)`` with the
    ``Content-Range: bytes */size`` the 416 answer must carry."""
    etag = entity_tag(file_id_hex, stat)
    last_modified = formatdate(stat.st_mtime, usegmt=True)
    try:
        if not if_range_allows(if_range, etag, last_modified):
            return etag, None
        return etag, parse_range(range_header, stat.st_size)
    except UnsatisfiableRange:
        raise RangeNotSatisfiable(
            error_code, headers={"Content-Range": f"bytes */{stat.st_size}"}, size=stat.st_size
        ) from None


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Whether ``If-None-Match`` names ``etag``: weak comparison (RFC 9110 §13.1.2), as a
    compressed answer's tag is weakened (``W/"…"``) and a proxy may weaken it too."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    tags = (tag.strip().removeprefix("W/") for tag in if_none_match.split(","))
    return etag.removeprefix("W/") in tags


def if_range_allows(if_range: str | None, etag: str, last_modified: str) -> bool:
    """If-Range: the range applies only while the representation is unchanged (strong match)."""
    if if_range is None:
        return True
    if_range = if_range.strip()
    if if_range.startswith("W/"):
        return False
    return if_range in (etag, last_modified)


class FileRangeResponse(Response):
    """Sends a whole file or one byte range of it.

    Uses the ASGI ``http.response.pathsend`` extension (sendfile in the server) for whole files
    when the server offers it; otherwise 1 MiB ``os.pread`` chunks read in a worker thread.
    Stops reading as soon as the client goes away. A HEAD request gets the headers only.
    """

    def __init__(
        self,
        path: str,
        stat: os.stat_result,
        *,
        media_type: str,
        etag: str,
        byte_range: ByteRange | None,
        headers: dict[str, str] | None = None,
        background: BackgroundTask | None = None,
    ) -> None:
        self.path = path
        self.size = stat.st_size
        self.byte_range = byte_range
        self.status_code = 206 if byte_range else 200
        self.media_type = media_type
        self.background = background
        length = byte_range.length if byte_range else self.size
        all_headers = {
            "accept-ranges": "bytes",
            "etag": etag,
            "last-modified": formatdate(stat.st_mtime, usegmt=True),
            "content-length": str(length),
            "content-type": media_type,
            **(headers or {}),
        }
        if byte_range:
            all_headers["content-range"] = f"bytes {byte_range.start}-{byte_range.end}/{self.size}"
        self.init_headers(all_headers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        if scope.get("method") == "HEAD":
            # The headers say what a GET would send (length, range, ETag); no body, no read.
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        elif self.byte_range is None and "http.response.pathsend" in scope.get("extensions", {}):
            await send({"type": "http.response.pathsend", "path": self.path})
        else:
            async with anyio.create_task_group() as group:

                async def stop_on_disconnect() -> None:
                    while (await receive())["type"] != "http.disconnect":
                        pass
                    group.cancel_scope.cancel()

                group.start_soon(stop_on_disconnect)
                await self._send_body(send)
                group.cancel_scope.cancel()
        if self.background is not None:
            await self.background()

    async def _send_body(self, send: Send) -> None:
        start = self.byte_range.start if self.byte_range else 0
        remaining = self.byte_range.length if self.byte_range else self.size
        fd = os.open(self.path, os.O_RDONLY)
        try:
            if remaining == 0:
                await send({"type": "http.response.body", "body": b"", "more_body": False})
            while remaining > 0:
                chunk = await _read(fd, min(CHUNK_SIZE, remaining), start)
                if not chunk:  # the file shrank under us: end the response early
                    raise OSError("file truncated while streaming")
                start += len(chunk)
                remaining -= len(chunk)
                await send(
                    {"type": "http.response.body", "body": chunk, "more_body": remaining > 0}
                )
        finally:
            os.close(fd)


_RWF_NOWAIT = getattr(os, "RWF_NOWAIT", None)


async def _read(fd: int, size: int, offset: int) -> bytes | bytearray | memoryview:
    """Read from the page cache on the event loop when the data is there (``RWF_NOWAIT``
    never blocks: it fails instead of waiting for the disk); otherwise in a worker thread.
    Skipping the two thread switches per chunk is most of the cost for a cached file."""
    if _RWF_NOWAIT is not None:
        buffer = bytearray(size)  # a fresh buffer: the transport may keep a reference to it
        try:
            got = os.preadv(fd, [buffer], offset, _RWF_NOWAIT)
        except (BlockingIOError, OSError):
            got = 0
        if got == size:
            return buffer
        if got > 0:
            return memoryview(buffer)[:got]
    return await anyio.to_thread.run_sync(os.pread, fd, size, offset)
