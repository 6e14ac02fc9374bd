"""Streaming a shared file: HTTP Range, ETag/If-Range, revocation between range requests."""

from __future__ import annotations

import httpx2 as httpx

from tests.helpers import serve_asgi
from tests.share_links.conftest import pattern

SIZE = 10_000
CONTENT = pattern(SIZE)


async def _open(client, make_user, media, share, **grant):
    movie, _ = await media.movie(size=SIZE)
    _, headers = await make_user()
    created = await share(headers, "movie", movie.id, **grant)
    return created, headers


async def test_whole_file_with_range_support_headers(client, make_user, media, share):
    created, _ = await _open(client, make_user, media, share)
    response = await client.get(f"/api/v1/share/{created['token']}/stream")
    assert response.status_code == 200
    assert response.content == CONTENT
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["content-type"] == "video/mp4"
    assert response.headers["content-length"] == str(SIZE)
    assert response.headers["etag"].startswith('"')
    assert "inline" in response.headers["content-disposition"]
    assert media.root.name not in response.headers["content-disposition"]


async def test_byte_ranges(client, make_user, media, share):
    created, _ = await _open(client, make_user, media, share)
    url = f"/api/v1/share/{created['token']}/stream"
    cases = {
        "bytes=0-99": (0, 99),
        "bytes=4000-5999": (4000, 5999),
        "bytes=-500": (SIZE - 500, SIZE - 1),
        "bytes=9000-": (9000, SIZE - 1),
        "bytes=9990-20000": (9990, SIZE - 1),  # the end is clipped to the file
    }
    for header, (start, end) in cases.items():
        response = await client.get(url, headers={"Range": header})
        assert response.status_code == 206, header
        assert response.headers["content-range"] == f"bytes {start}-{end}/{SIZE}"
        assert response.content == CONTENT[start : end + 1], header
        assert response.headers["content-length"] == str(end - start + 1)


async def test_unsatisfiable_ranges_are_416_with_the_size(client, make_user, media, share):
    created, _ = await _open(client, make_user, media, share)
    url = f"/api/v1/share/{created['token']}/stream"
    for header in (f"bytes={SIZE}-", "bytes=500-100", "bytes=-0", "bytes=abc-"):
        response = await client.get(url, headers={"Range": header, "Accept-Language": "de"})
        assert response.status_code == 416, header
        assert response.headers["content-range"] == f"bytes */{SIZE}"
        assert response.json()["code"] == "share_link.range_not_satisfiable"
        assert "10.000 Bytes" in response.json()["detail"]


async def test_multi_range_and_other_units_get_the_whole_file(client, make_user, media, share):
    created, _ = await _open(client, make_user, media, share)
    url = f"/api/v1/share/{created['token']}/stream"
    for header in ("bytes=0-1,5-6", "items=0-1"):
        response = await client.get(url, headers={"Range": header})
        assert response.status_code == 200 and response.content == CONTENT


async def test_if_range_only_applies_to_the_same_file_version(client, make_user, media, share):
    created, _ = await _open(client, make_user, media, share)
    url = f"/api/v1/share/{created['token']}/stream"
    etag = (await client.get(url, headers={"Range": "bytes=0-0"})).headers["etag"]
    same = await client.get(url, headers={"Range": "bytes=10-19", "If-Range": etag})
    assert same.status_code == 206 and same.content == CONTENT[10:20]
    changed = await client.get(url, headers={"Range": "bytes=10-19", "If-Range": '"stale"'})
    assert changed.status_code == 200 and changed.content == CONTENT


async def test_revocation_stops_a_stream_at_its_next_range_request(client, make_user, media, share):
    created, headers = await _open(client, make_user, media, share)
    url = f"/api/v1/share/{created['token']}/stream"
    first = await client.get(url, headers={"Range": "bytes=0-999"})
    assert first.status_code == 206
    # The player holds the access cookie from the first request; the owner now revokes.
    assert (
        await client.delete(f"/api/v1/users/me/grants/{created['id']}", headers=headers)
    ).status_code == 204
    second = await client.get(url, headers={"Range": "bytes=1000-1999"})
    assert second.status_code == 410
    assert second.json()["code"] == "share_link.revoked"


async def test_direct_stream_start_counts_one_view_and_its_ranges_none(
    client, make_user, media, share
):
    created, _ = await _open(client, make_user, media, share, max_views=1)
    url = f"/api/v1/share/{created['token']}/stream"
    start = await client.get(url, headers={"Range": "bytes=0-99"})
    assert start.status_code == 206
    assert "revenge_share_access" in start.headers["set-cookie"]
    for offset in range(100, 1000, 100):
        more = await client.get(url, headers={"Range": f"bytes={offset}-{offset + 99}"})
        assert more.status_code == 206 and more.content == CONTENT[offset : offset + 100]
    client.cookies.clear()
    other_viewer = await client.get(url)
    assert other_viewer.status_code == 410 and other_viewer.json()["code"] == "share_link.used_up"


async def test_download_only_when_allowed(client, make_user, media, share):
    created, _ = await _open(client, make_user, media, share, allow_download=False)
    url = f"/api/v1/share/{created['token']}/stream"
    refused = await client.get(url, params={"download": "true"})
    assert refused.status_code == 403 and refused.json()["code"] == "share_link.download_disabled"
    assert (await client.get(url)).status_code == 200
    allowed, _ = await _open(client, make_user, media, share)
    download = await client.get(
        f"/api/v1/share/{allowed['token']}/stream", params={"download": "true"}
    )
    assert download.headers["content-disposition"] == 'attachment; filename="revenge-share.mp4"'


async def test_file_gone_from_disk_is_404(client, make_user, media, share):
    movie, media_file = await media.movie()
    _, headers = await make_user()
    token = (await share(headers, "movie", movie.id))["token"]
    import os

    os.unlink(media_file.path)
    response = await client.get(f"/api/v1/share/{token}/stream")
    assert response.status_code == 404 and response.json()["code"] == "share_link.file_missing"


async def test_large_file_over_a_real_http_server(app, db, make_user, media, share):
    """Several 1 MiB chunks through uvicorn, whole and ranged, byte for byte."""
    size = 3 * 1024 * 1024 + 123
    movie, _ = await media.movie(size=size, suffix=".mkv", mime=None)
    _, headers = await make_user()
    expected = pattern(size)
    async with serve_asgi(app) as base, httpx.AsyncClient(base_url=base) as http:
        created = (
            await http.post(
                "/api/v1/users/me/grants",
                json={"media_type": "movie", "media_id": str(movie.id)},
                headers=headers,
            )
        ).json()
        url = f"/api/v1/share/{created['token']}/stream"
        whole = await http.get(url)
        assert whole.status_code == 200 and whole.content == expected
        assert whole.headers["content-type"] == "video/x-matroska"
        start = 1024 * 1024 - 10
        ranged = await http.get(url, headers={"Range": f"bytes={start}-{start + 2 * 1024 * 1024}"})
        assert ranged.status_code == 206
        assert ranged.content == expected[start : start + 2 * 1024 * 1024 + 1]


async def test_response_uses_pathsend_when_the_server_offers_it(tmp_path):
    """ASGI servers with sendfile (the pathsend extension) get the path, not the bytes."""
    import os

    from revenge.core.http_ranges import FileRangeResponse

    path = tmp_path / "f.bin"
    path.write_bytes(CONTENT)
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b""}

    async def send(message):
        sent.append(message)

    response = FileRangeResponse(
        str(path), os.stat(path), media_type="video/mp4", etag='"e"', byte_range=None
    )
    scope = {"type": "http", "method": "GET", "extensions": {"http.response.pathsend": {}}}
    await response(scope, receive, send)
    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 200
    assert sent[1] == {"type": "http.response.pathsend", "path": str(path)}


async def test_stops_reading_when_the_client_goes_away(tmp_path):
    import asyncio
    import os

    from revenge.core.http_ranges import CHUNK_SIZE, FileRangeResponse

    path = tmp_path / "big.bin"
    path.write_bytes(b"\0" * (CHUNK_SIZE * 20))
    bodies: list[int] = []
    gone = asyncio.Event()

    async def receive():
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message):
        if message["type"] == "http.response.body":
            bodies.append(len(message["body"]))
            if len(bodies) == 2:
                gone.set()  # the viewer closes the tab after two chunks
            await asyncio.sleep(0.01)

    response = FileRangeResponse(
        str(path), os.stat(path), media_type="video/mp4", etag='"e"', byte_range=None
    )
    await response({"type": "http", "method": "GET"}, receive, send)
    assert 2 <= len(bodies) < 20
