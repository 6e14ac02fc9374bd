"""The browser's stream: signed per user and file, HTTP Range like the share-link streamer,
and refused as soon as the account or the file is gone."""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import delete, update

from revenge.core import clock
from revenge.core.db import session_scope
from revenge.library.models import MediaFile, Movie
from revenge.playback import streaming
from revenge.users.models import User
from tests.share_links.conftest import pattern

SIZE = 10_000
CONTENT = pattern(SIZE)


async def _stream_url(client, headers, movie_id) -> str:
    response = await client.get(f"/api/v1/playback/info/movie/{movie_id}", headers=headers)
    assert response.status_code == 200, response.text
    return str(response.json()["stream_url"])


@pytest.fixture
async def playing(client, make_user, media):
    """A user, their movie (a real 10,000-byte file) and the stream URL /playback/info gave."""
    user, headers = await make_user()
    movie, media_file = await media.movie(size=SIZE)
    url = await _stream_url(client, headers, movie.id)
    return user, headers, movie, media_file, url


def _token(url: str) -> str:
    return parse_qs(urlsplit(url).query)["t"][0]


async def test_whole_file_needs_no_login_header(client, playing):
    _, _, _, media_file, url = playing
    assert url.startswith(f"/api/v1/stream/{media_file.id}?t=")
    response = await client.get(url)
    assert response.status_code == 200
    assert response.content == CONTENT
    assert response.headers["content-type"] == "video/mp4"
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["content-length"] == str(SIZE)
    assert response.headers["cache-control"] == "private, no-store"
    assert response.headers["etag"].startswith('"')


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=0-99", 0, 99),  # the first bytes (a player's probe)
        ("bytes=-500", SIZE - 500, SIZE - 1),  # suffix: the last 500 (an MP4's index)
        ("bytes=9000-", 9000, SIZE - 1),  # open-ended (a seek)
        ("bytes=9990-20000", 9990, SIZE - 1),  # past the end: clipped
    ],
)
async def test_byte_ranges(client, playing, header, start, end):
    url = playing[4]
    response = await client.get(url, headers={"Range": header})
    assert response.status_code == 206
    assert response.headers["content-range"] == f"bytes {start}-{end}/{SIZE}"
    assert response.headers["content-length"] == str(end - start + 1)
    assert response.content == CONTENT[start : end + 1]


@pytest.mark.parametrize("header", ["bytes=10000-", "bytes=500-100", "bytes=-0", "bytes=x-"])
async def test_unsatisfiable_range_is_416_with_the_size(client, playing, header):
    response = await client.get(playing[4], headers={"Range": header})
    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{SIZE}"
    body = response.json()
    assert body["code"] == "playback.range_not_satisfiable"
    assert body["params"]["size"] == SIZE


async def test_if_range_applies_the_range_only_while_unchanged(client, playing):
    url = playing[4]
    etag = (await client.get(url, headers={"Range": "bytes=0-0"})).headers["etag"]
    same = await client.get(url, headers={"Range": "bytes=10-19", "If-Range": etag})
    assert same.status_code == 206 and same.content == CONTENT[10:20]
    changed = await client.get(url, headers={"Range": "bytes=10-19", "If-Range": '"other"'})
    assert changed.status_code == 200 and changed.content == CONTENT
    weak = await client.get(url, headers={"Range": "bytes=10-19", "If-Range": f"W/{etag}"})
    assert weak.status_code == 200


async def test_etag_changes_with_the_file(client, playing):
    _, _, _, media_file, url = playing
    before = (await client.get(url)).headers["etag"]
    os.utime(media_file.path, ns=(1_000_000_000, 2_000_000_000))
    after = await client.get(url, headers={"Range": "bytes=0-9", "If-Range": before})
    assert after.headers["etag"] != before
    assert after.status_code == 200  # the old validator no longer matches: whole file


async def test_head_sends_the_headers_only(client, playing):
    url = playing[4]
    whole = await client.head(url)
    assert whole.status_code == 200
    assert whole.headers["content-length"] == str(SIZE)
    assert whole.content == b""
    ranged = await client.head(url, headers={"Range": "bytes=100-199"})
    assert ranged.status_code == 206
    assert ranged.headers["content-range"] == f"bytes 100-199/{SIZE}"
    assert ranged.content == b""
    refused = await client.head(url.split("?")[0])
    assert refused.status_code == 401


async def test_missing_or_bad_tokens_are_401(client, playing):
    _, _, _, media_file, url = playing
    token = _token(url)
    base = f"/api/v1/stream/{media_file.id}"
    user_hex, file_hex, expires, signature = token.split(".")
    forged_signature = ("0" if signature[0] != "0" else "1") + signature[1:]
    later = str(int(expires) + 3600)  # a longer life, with the old signature
    for bad in [
        None,
        "",
        "garbage",
        f"{user_hex}.{file_hex}.{expires}",
        f"{user_hex}.{file_hex}.{expires}.{forged_signature}",
        f"{user_hex}.{file_hex}.{later}.{signature}",
        f"{user_hex}.{file_hex}.{expires}.{signature}.extra",
        f"{user_hex}.{file_hex}.\u0661\u0662.{signature}",
        "a" * 5000,
    ]:
        response = await client.get(base, params={} if bad is None else {"t": bad})
        assert response.status_code == 401, bad
        assert response.json()["code"] == "playback.stream_token_invalid", bad


async def test_a_token_opens_its_own_file_only(client, make_user, media, playing):
    _, headers, _, _, url = playing
    other_movie, other_file = await media.movie("Ronin", size=SIZE, seed=3)
    response = await client.get(f"/api/v1/stream/{other_file.id}", params={"t": _token(url)})
    assert response.status_code == 401
    assert response.json()["code"] == "playback.stream_token_invalid"
    # Its own URL works, and serves the other file's bytes.
    own = await _stream_url(client, headers, other_movie.id)
    assert (await client.get(own)).content == pattern(SIZE, 3)


async def test_another_users_id_in_a_token_is_refused(client, make_user, playing):
    _, _, _, media_file, url = playing
    other, _ = await make_user()
    _, file_hex, expires, signature = _token(url).split(".")
    stolen = f"{other.id.hex}.{file_hex}.{expires}.{signature}"
    response = await client.get(f"/api/v1/stream/{media_file.id}", params={"t": stolen})
    assert response.status_code == 401


async def test_expired_token_is_401_expired(client, playing, monkeypatch):
    url = playing[4]
    real_now = clock.utcnow
    monkeypatch.setattr(clock, "utcnow", lambda: real_now() + timedelta(hours=12, seconds=1))
    response = await client.get(url)
    assert response.status_code == 401
    assert response.json()["code"] == "playback.stream_token_expired"
    monkeypatch.setattr(clock, "utcnow", lambda: real_now() + timedelta(hours=11, minutes=59))
    assert (await client.get(url)).status_code == 200


async def test_stream_expiry_is_twelve_hours(client, make_user, media):
    _, headers = await make_user()
    movie, _ = await media.movie(size=SIZE)
    before = clock.utcnow()
    body = (await client.get(f"/api/v1/playback/info/movie/{movie.id}", headers=headers)).json()
    expires_at = datetime.fromisoformat(body["stream_expires_at"])
    assert timedelta(hours=12) - timedelta(seconds=2) <= expires_at - before
    assert expires_at - before <= timedelta(hours=12, seconds=2)
    assert str(int(expires_at.timestamp())) == _token(body["stream_url"]).split(".")[2]


async def test_deactivated_user_is_refused_at_once(client, playing):
    user, _, _, _, url = playing
    assert (await client.get(url, headers={"Range": "bytes=0-9"})).status_code == 206
    async with session_scope() as s:
        await s.execute(update(User).where(User.id == user.id).values(is_active=False))
    response = await client.get(url, headers={"Range": "bytes=10-19"})
    assert response.status_code == 403
    assert response.json()["code"] == "playback.stream_forbidden"


async def test_deleted_user_is_refused(client, playing):
    user, _, _, _, url = playing
    async with session_scope() as s:
        await s.execute(delete(User).where(User.id == user.id))
    assert (await client.get(url)).status_code == 403


async def test_file_gone_from_disk_is_409(client, playing):
    _, _, _, media_file, url = playing
    os.remove(media_file.path)
    response = await client.get(url)
    assert response.status_code == 409
    assert response.json()["code"] == "playback.file_missing"


async def test_folder_at_the_path_is_409(client, playing):
    _, _, _, media_file, url = playing
    os.remove(media_file.path)
    os.mkdir(media_file.path)
    assert (await client.get(url)).status_code == 409


async def test_file_marked_missing_is_409(client, playing):
    _, _, _, media_file, url = playing
    async with session_scope() as s:
        await s.execute(
            update(MediaFile).where(MediaFile.id == media_file.id).values(missing_at=clock.utcnow())
        )
    assert (await client.get(url)).json()["code"] == "playback.file_missing"


async def test_file_row_gone_is_404(client, playing, test_settings):
    user, _, movie, media_file, url = playing
    async with session_scope() as s:
        await s.execute(update(Movie).where(Movie.id == movie.id).values(file_id=None))
        await s.execute(delete(MediaFile).where(MediaFile.id == media_file.id))
    response = await client.get(url)
    assert response.status_code == 404
    assert response.json()["code"] == "playback.file_not_found"
    # A genuine token for an id that never was a file: the same.
    unknown = uuid.uuid4()
    token, _ = streaming.issue_token(test_settings.secret, user.id, unknown)
    assert (await client.get(f"/api/v1/stream/{unknown}", params={"t": token})).status_code == 404


async def test_mime_type_is_guessed_when_the_scanner_had_none(client, make_user, media):
    _, headers = await make_user()
    movie, _ = await media.movie(size=SIZE, suffix=".mkv", mime=None)
    url = await _stream_url(client, headers, movie.id)
    response = await client.get(url, headers={"Range": "bytes=0-0"})
    assert response.headers["content-type"] == "video/x-matroska"


async def test_streaming_counts_no_play(client, playing):
    _, headers, _, _, url = playing
    for _ in range(3):
        await client.get(url)
    history = (await client.get("/api/v1/users/me/history", headers=headers)).json()
    assert history["total"] == 0
