"""A share link's stream answers malformed Range positions with 416, never a server error
(the parser's own cases: tests/core/test_http_ranges.py)."""

from __future__ import annotations

import pytest

from tests.share_links.conftest import pattern

SIZE = 10_000
CONTENT = pattern(SIZE)


async def _stream_url(make_user, media, share) -> str:
    movie, _ = await media.movie(size=SIZE)
    _, headers = await make_user()
    created = await share(headers, "movie", movie.id)
    return f"/api/v1/share/{created['token']}/stream"


# What reaches the server: header bytes, decoded as Latin-1 (so "²" arrives as "²").
WIRE_MALFORMED = {
    "5000-digit end": b"bytes=0-" + b"9" * 5000,
    "5000-digit start": b"bytes=" + b"1" * 5000 + b"-",
    "5000-digit suffix": b"bytes=-" + b"9" * 5000,
    "superscript two": "bytes=\u00b2-".encode("latin-1"),
    "superscript end": "bytes=0-\u00b9\u00b3".encode("latin-1"),
    "superscript suffix": "bytes=-\u00b2".encode("latin-1"),
    "arabic-indic digits (utf-8)": "bytes=\u0661\u0662\u0663-".encode(),
}


@pytest.mark.parametrize("header", WIRE_MALFORMED.values(), ids=WIRE_MALFORMED.keys())
async def test_stream_answers_416_not_500_for_malformed_positions(
    client, make_user, media, share, header
):
    url = await _stream_url(make_user, media, share)
    response = await client.get(url, headers={"Range": header})
    assert response.status_code == 416, response.text
    assert response.headers["content-range"] == f"bytes */{SIZE}"
    assert response.json()["code"] == "share_link.range_not_satisfiable"


async def test_stream_still_serves_normal_ranges(client, make_user, media, share):
    url = await _stream_url(make_user, media, share)
    for header, (start, end) in {
        "bytes=0-99": (0, 99),
        "bytes=-500": (SIZE - 500, SIZE - 1),
        "bytes=9000-": (9000, SIZE - 1),
        "bytes=0-" + "9" * 19: (0, SIZE - 1),
    }.items():
        response = await client.get(url, headers={"Range": header})
        assert response.status_code == 206, header
        assert response.headers["content-range"] == f"bytes {start}-{end}/{SIZE}"
        assert response.content == CONTENT[start : end + 1]
    whole = await client.get(url, headers={"Range": "bytes=0-1,5-6"})
    assert whole.status_code == 200 and whole.content == CONTENT
