"""gzip and brotli over real HTTP (uvicorn, httpx): the web app's files compressed once and
cached for a year when hashed, JSON answers above 1 KB compressed per request, and never a
range, a stream, an image or server-sent events."""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import brotli
import httpx2 as httpx
import pytest

from revenge import main
from revenge.core import compression
from revenge.core.compression import IMMUTABLE, choose_encoding, is_compressible
from tests.helpers import serve_asgi

# Text that compresses well, as built JavaScript does, and is well over the 1 KB threshold.
SCRIPT = "".join(f"export const value{i} = 'some repeated text {i % 7}';\n" for i in range(800))
STYLE = "".join(f".row-{i} {{ color: var(--fg); padding: {i % 5}px; }}\n" for i in range(300))
INDEX = "<!doctype html><title>Revenge</title><div id=app></div>" + "<!-- padding -->" * 100
PNG = b"\x89PNG\r\n\x1a\n" + os.urandom(4000)


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text(INDEX)
    (dist / "assets" / "index-abc123.js").write_text(SCRIPT)
    (dist / "assets" / "index-abc123.css").write_text(STYLE)
    (dist / "assets" / "tiny-abc.js").write_text("console.log(1)")
    (dist / "assets" / "cover-abc.png").write_bytes(PNG)
    return dist


@pytest.fixture
async def base(dist: Path, monkeypatch, test_settings) -> AsyncIterator[str]:
    monkeypatch.setattr(main, "WEB_DIST", dist)
    app = main.create_app(test_settings, manage_database=False, run_workers=False)
    async with serve_asgi(app) as url:
        yield url


async def _raw(
    http: httpx.AsyncClient, path: str, headers: dict[str, str] | None = None, method: str = "GET"
) -> tuple[httpx.Response, bytes]:
    """The answer and its bytes as sent on the wire (not decoded by the client)."""
    async with http.stream(method, path, headers=headers or {}) as response:
        body = b"".join([chunk async for chunk in response.aiter_raw()])
    return response, body


def _decode(body: bytes, encoding: str | None) -> bytes:
    if encoding == "br":
        return bytes(brotli.decompress(body))
    if encoding == "gzip":
        return gzip.decompress(body)
    return body


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("", None),
        ("gzip, deflate, br", "br"),
        ("gzip", "gzip"),
        ("BR", "br"),
        ("br;q=0, gzip", "gzip"),
        ("gzip;q=0.9, br;q=0.5", "gzip"),
        ("gzip;q=0.5, br;q=0.5", "br"),
        ("*", "br"),
        ("gzip;q=0.2, *;q=0.1", "gzip"),
        ("*;q=0", None),
        ("identity", None),
        ("br;q=0, gzip;q=0", None),
        ("br;q=nope, gzip;q=0.1", "gzip"),
        ("br;q=nan", None),
        ("gzip;q=7", "gzip"),
        (" , ;q=1, deflate", None),
    ],
)
def test_accept_encoding_with_q_values(header: str | None, expected: str | None) -> None:
    assert choose_encoding(header) == expected


def test_what_counts_as_text() -> None:
    for kind in (
        "application/json",
        "application/problem+json",
        "text/html; charset=utf-8",
        "text/javascript",
        "text/css",
        "image/svg+xml",
    ):
        assert is_compressible(kind), kind
    for kind in (
        None,
        "text/event-stream",
        "image/png",
        "audio/flac",
        "video/mp4",
        "application/zip",
    ):
        assert not is_compressible(kind), kind


@pytest.mark.parametrize("encoding", ["br", "gzip"])
async def test_hashed_assets_come_compressed_and_cached_for_a_year(base: str, encoding: str):
    async with httpx.AsyncClient(base_url=base) as http:
        response, body = await _raw(
            http, "/assets/index-abc123.js", {"Accept-Encoding": f"{encoding}, identity;q=0.5"}
        )
    assert response.status_code == 200
    assert response.headers["content-encoding"] == encoding
    assert response.headers["cache-control"] == IMMUTABLE
    assert "accept-encoding" in response.headers["vary"].lower()
    assert int(response.headers["content-length"]) == len(body) < len(SCRIPT) / 4
    assert _decode(body, encoding).decode() == SCRIPT
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["etag"].startswith('W/"')


async def test_without_accept_encoding_assets_are_plain_but_still_vary_and_immutable(base: str):
    async with httpx.AsyncClient(base_url=base) as http:
        response, body = await _raw(
            http, "/assets/index-abc123.css", {"Accept-Encoding": "identity"}
        )
    assert "content-encoding" not in response.headers
    assert body.decode() == STYLE
    assert response.headers["cache-control"] == IMMUTABLE
    assert "accept-encoding" in response.headers["vary"].lower()


async def test_a_file_is_compressed_once_then_again_only_when_it_changes(
    base: str, dist: Path, monkeypatch
):
    calls: list[tuple[int, str]] = []
    real_compress = compression.compress

    def counting(body: bytes, encoding: str, *, best: bool = False) -> bytes:
        calls.append((len(body), encoding))
        return real_compress(body, encoding, best=best)

    monkeypatch.setattr(compression, "compress", counting)
    headers = {"Accept-Encoding": "br"}
    async with httpx.AsyncClient(base_url=base) as http:
        for _ in range(3):
            _, body = await _raw(http, "/assets/index-abc123.js", headers)
            assert _decode(body, "br").decode() == SCRIPT
        assert calls == [(len(SCRIPT), "br")]
        # A new build in place (same name, new content): compressed anew, old bytes gone.
        changed = SCRIPT.replace("repeated", "different")
        asset = dist / "assets" / "index-abc123.js"
        asset.write_text(changed)
        stat = asset.stat()
        os.utime(asset, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
        _, body = await _raw(http, "/assets/index-abc123.js", headers)
    assert _decode(body, "br").decode() == changed
    assert len(calls) == 2


async def test_ranges_small_files_and_images_are_never_compressed(base: str):
    async with httpx.AsyncClient(base_url=base) as http:
        ranged, body = await _raw(
            http, "/assets/index-abc123.js", {"Accept-Encoding": "br", "Range": "bytes=0-99"}
        )
        assert ranged.status_code == 206
        assert "content-encoding" not in ranged.headers
        assert body.decode() == SCRIPT[:100]

        tiny, body = await _raw(http, "/assets/tiny-abc.js", {"Accept-Encoding": "br"})
        assert "content-encoding" not in tiny.headers and body == b"console.log(1)"

        image, body = await _raw(http, "/assets/cover-abc.png", {"Accept-Encoding": "br, gzip"})
        assert "content-encoding" not in image.headers and body == PNG
        assert image.headers["cache-control"] == IMMUTABLE
        assert "vary" not in image.headers


async def test_a_revalidation_of_a_compressed_asset_is_not_modified(base: str):
    async with httpx.AsyncClient(base_url=base) as http:
        first, _ = await _raw(http, "/assets/index-abc123.css", {"Accept-Encoding": "gzip"})
        again, body = await _raw(
            http,
            "/assets/index-abc123.css",
            {"Accept-Encoding": "gzip", "If-None-Match": first.headers["etag"]},
        )
    assert again.status_code == 304 and body == b""


async def test_the_app_page_is_compressed_and_stays_uncached(base: str):
    async with httpx.AsyncClient(base_url=base) as http:
        for path in ("/", "/admin/users", "/index.html"):
            response, body = await _raw(http, path, {"Accept-Encoding": "gzip, br"})
            assert response.status_code == 200, path
            assert response.headers["content-encoding"] == "br", path
            assert _decode(body, "br").decode() == INDEX
            if path != "/index.html":
                assert response.headers["cache-control"] == "no-cache"
        head, body = await _raw(
            http, "/assets/index-abc123.js", {"Accept-Encoding": "br"}, method="HEAD"
        )
    assert head.status_code == 200 and body == b""
    assert head.headers["content-encoding"] == "br" and int(head.headers["content-length"]) > 0


async def test_json_answers_over_a_kilobyte_are_compressed(base: str):
    async with httpx.AsyncClient(base_url=base) as http:
        plain, plain_body = await _raw(
            http, "/api/v1/openapi.json", {"Accept-Encoding": "identity"}
        )
        assert "content-encoding" not in plain.headers
        assert "accept-encoding" in plain.headers["vary"].lower()
        for encoding in ("br", "gzip"):
            response, body = await _raw(http, "/api/v1/openapi.json", {"Accept-Encoding": encoding})
            assert response.headers["content-encoding"] == encoding
            assert int(response.headers["content-length"]) == len(body) < len(plain_body) / 3
            assert json.loads(_decode(body, encoding)) == json.loads(plain_body)
        # A range over JSON: the identity bytes, never a compressed answer.
        ranged, _ = await _raw(
            http, "/api/v1/openapi.json", {"Accept-Encoding": "br", "Range": "bytes=0-10"}
        )
        assert "content-encoding" not in ranged.headers


async def test_small_json_answers_stay_plain(base: str):
    async with httpx.AsyncClient(base_url=base) as http:
        # A problem+json 404 of a few hundred bytes.
        response, body = await _raw(http, "/api/v1/no-such-thing", {"Accept-Encoding": "br"})
    assert response.status_code == 404
    assert "content-encoding" not in response.headers
    assert json.loads(body)["code"] == "resource.not_found"
    assert "accept-encoding" in response.headers["vary"].lower()


async def test_server_sent_events_stream_uncompressed(app, committed_db, make_user):
    _, headers = await make_user()
    async with (
        serve_asgi(app) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as http,
        http.stream(
            "GET",
            "/api/v1/users/me/notifications/stream",
            headers={**headers, "Accept-Encoding": "br, gzip"},
        ) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert "content-encoding" not in response.headers
        # The first frame arrives at once: nothing holds the stream back to compress it.
        lines = response.aiter_lines()
        assert await anext(lines) == ": connected"


async def _streaming_json_app(scope: Any, receive: Any, send: Any) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    for part in (b'{"rows": [', b"1," * 2000, b"1]}"):
        await send({"type": "http.response.body", "body": part, "more_body": True})
    await send({"type": "http.response.body", "body": b""})


ENCODED = gzip.compress(b"x" * 5000, mtime=0)


async def _encoded_app(scope: Any, receive: Any, send: Any) -> None:
    body = ENCODED
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-encoding", b"gzip")],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def test_streams_and_already_encoded_answers_pass_through():
    for inner, expected in (
        (_streaming_json_app, b'{"rows": [' + b"1," * 2000 + b"1]}"),
        (_encoded_app, ENCODED),
    ):
        async with (
            serve_asgi(compression.CompressionMiddleware(inner)) as url,
            httpx.AsyncClient(base_url=url) as http,
        ):
            response, body = await _raw(http, "/", {"Accept-Encoding": "br"})
        assert response.headers.get("content-encoding") in (None, "gzip")
        assert body == expected
