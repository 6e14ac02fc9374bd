"""What the server does with requests it must not take at face value: bodies over the limit,
bodies that are not JSON, X-Forwarded-For from an unknown peer, NUL bytes and huge numbers."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx2 as httpx
import pytest
import uvicorn
from PIL import Image

from revenge import cli
from revenge.core import config as config_module
from revenge.core.config import Settings
from revenge.core.i18n import LOCALES_DIR
from tests.helpers import TEST_PASSWORD, free_port

MiB = 1024 * 1024
LOGIN = "/api/v1/auth/login"
JSON = {"Content-Type": "application/json"}


def _login_body(username: str, password: str, size: int) -> bytes:
    """A valid login body padded with JSON whitespace to exactly ``size`` bytes."""
    body = json.dumps({"username": username, "password": password}).encode()
    assert len(body) <= size
    return body[:-1] + b" " * (size - len(body)) + b"}"


def _generic_error_texts() -> tuple[str, str]:
    internal = json.loads((LOCALES_DIR / "en.json").read_text())["errors"]["internal"]
    return internal["title"], internal["detail"]


def _assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = dict(response.json())
    assert body["status"] == status and body["code"] == code, body
    return body


# --- body limits -------------------------------------------------------------------------


async def test_default_json_limit_is_one_mib_and_a_declared_length_over_it_is_413(
    client, make_user, test_settings
):
    assert test_settings.max_body_bytes == MiB  # the default: the test settings leave it alone
    user, _ = await make_user()

    over = await client.post(LOGIN, content=_login_body(user.username, TEST_PASSWORD, MiB + 1))
    problem = _assert_problem(over, 413, "request.too_large")
    assert problem["title"] == "Request too large"
    assert "x-body-limit" not in over.headers  # internal plumbing, not part of the answer

    # Exactly at the limit is still a normal request: the login goes through.
    at_limit = await client.post(
        LOGIN, content=_login_body(user.username, TEST_PASSWORD, MiB), headers=JSON
    )
    assert at_limit.status_code == 200, at_limit.text
    assert at_limit.json()["user"]["username"] == user.username


async def test_a_chunked_body_is_cut_off_once_it_passes_the_limit(client, make_user):
    user, _ = await make_user()
    chunk = b" " * (64 * 1024)
    sent = 0

    async def endless_json() -> AsyncIterator[bytes]:
        nonlocal sent
        opening = b'{"username": "' + user.username.encode() + b'", "password": "x"'
        sent += len(opening)
        yield opening
        for _ in range(10 * MiB // len(chunk)):  # 10 MiB of whitespace, never closed
            sent += len(chunk)
            yield chunk

    response = await client.post(LOGIN, content=endless_json(), headers=JSON)
    _assert_problem(response, 413, "request.too_large")
    assert "content-length" not in response.request.headers  # it really was sent chunked
    # Refused when it passed the limit: the rest of the 10 MiB was never pulled.
    assert MiB < sent <= MiB + 2 * len(chunk)

    small_chunks = await client.post(
        LOGIN, content=_chunks(_login_body(user.username, TEST_PASSWORD, 200_000)), headers=JSON
    )
    assert small_chunks.status_code == 200, small_chunks.text


async def _chunks(body: bytes, size: int = 16 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


@asynccontextmanager
async def _client_for(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A second app, built by create_app like the real one, with other limits."""
    from revenge.main import create_app

    app = create_app(settings, manage_database=False, run_workers=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


def _jpeg_with_trailing_bytes(size: int) -> bytes:
    image = Image.new("RGB", (64, 64), (200, 30, 30))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG")
    # JPEG readers stop at the end-of-image marker: the padding only makes the upload big.
    return buffer.getvalue() + b"\0" * (size - len(buffer.getvalue()))


async def test_the_limit_is_a_setting_and_uploads_keep_their_own(db, make_user, test_settings):
    settings = test_settings.model_copy(
        update={
            "max_body_bytes": 4096,
            "fingerprint": test_settings.fingerprint.model_copy(
                update={"max_upload_bytes": 2 * MiB}
            ),
        }
    )
    _, admin = await make_user(is_admin=True)
    user, _ = await make_user()
    async with _client_for(settings) as client:
        small = await client.post(
            LOGIN, content=_login_body(user.username, TEST_PASSWORD, 4096), headers=JSON
        )
        assert small.status_code == 200, small.text
        big = await client.post(
            LOGIN, content=_login_body(user.username, TEST_PASSWORD, 4097), headers=JSON
        )
        _assert_problem(big, 413, "request.too_large")

        # An upload far over the JSON limit but within its own is matched as usual.
        upload = _jpeg_with_trailing_bytes(MiB + MiB // 2)
        matched = await client.post(
            "/api/v1/admin/fingerprint/match",
            files={"file": ("cover.jpg", upload, "image/jpeg")},
            headers=admin,
        )
        assert matched.status_code == 200, matched.text
        assert matched.json()["fingerprint_type"] == "phash"
        # Over its own limit, it is refused before the multipart parser sees it.
        too_big = await client.post(
            "/api/v1/admin/fingerprint/match",
            files={
                "file": ("cover.jpg", _jpeg_with_trailing_bytes(2 * MiB + 100_000), "image/jpeg")
            },
            headers=admin,
        )
        _assert_problem(too_big, 413, "request.too_large")
        # A JSON body to the upload route counts against the upload limit, not the JSON one.
        raw = await client.post(
            "/api/v1/admin/fingerprint/match",
            content=b'{"fingerprint_type": "phash", "phash": "00000000000000ff"}' + b" " * 8000,
            headers={**admin, **JSON},
        )
        assert raw.status_code == 200, raw.text


# --- malformed bodies --------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b'{"username": "alice", "password": ',  # cut off
        b"{'username': 'alice'}",  # not JSON quoting
        b'{"username": "alice"} trailing',
        b"\xff\xfe{}",  # not UTF-8
    ],
    ids=["truncated", "single-quotes", "trailing-garbage", "not-utf8"],
)
async def test_malformed_json_is_a_400_that_says_so(client, body):
    response = await client.post(LOGIN, content=body, headers=JSON)
    problem = _assert_problem(response, 400, "request.malformed_body")
    generic_title, generic_detail = _generic_error_texts()
    # Not "Something went wrong / An unexpected error occurred": the client's body is at fault.
    assert problem["title"] != generic_title, problem
    assert problem["detail"] != generic_detail, problem


async def test_malformed_json_is_explained_in_the_callers_language(client):
    english = await client.post(LOGIN, content=b"{", headers=JSON)
    german = await client.post(LOGIN, content=b"{", headers={**JSON, "Accept-Language": "de"})
    _assert_problem(german, 400, "request.malformed_body")
    assert german.headers["content-language"] == "de"
    assert german.json()["title"] != english.json()["title"]


# --- proxies -----------------------------------------------------------------------------


@asynccontextmanager
async def _served_like_revenge_serve(
    monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    """Run `revenge serve`'s own code up to cli.run_server (uvicorn), then serve what it built.

    The spy on cli.run_server keeps the app and options the command chose; they go to a real
    uvicorn server (its ProxyHeadersMiddleware included) on 127.0.0.1, in this event loop so
    that requests see the test's database transaction.
    """
    captured: dict[str, Any] = {}
    monkeypatch.setattr(config_module, "_settings", settings)
    monkeypatch.setattr(cli, "run_server", lambda app, **kwargs: captured.update(app=app, **kwargs))
    cli.serve()
    app = captured.pop("app")
    options = {k: v for k, v in captured.items() if k not in ("host", "port", "log_level")}
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", lifespan="off", **options
        )
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}", captured
    finally:
        server.should_exit = True
        await task


async def _failed_logins_from_spoofed_addresses(base_url: str, attempts: int) -> list[int]:
    """Wrong logins, each for another username and claiming another client address."""
    statuses = []
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        for n in range(attempts):
            response = await http.post(
                LOGIN,
                json={"username": f"nobody{n}", "password": "wrong-password"},
                headers={"X-Forwarded-For": f"203.0.113.{n + 1}"},
            )
            statuses.append(response.status_code)
    return statuses


def test_forwarded_allow_ips_comes_from_the_environment(monkeypatch):
    no_env_file: dict[str, Any] = {"_env_file": None}
    monkeypatch.setenv("REVENGE_FORWARDED_ALLOW_IPS", "10.0.0.0/8,192.0.2.7")
    assert Settings(**no_env_file).forwarded_allow_ips == "10.0.0.0/8,192.0.2.7"
    monkeypatch.delenv("REVENGE_FORWARDED_ALLOW_IPS")
    assert Settings(**no_env_file).forwarded_allow_ips == ""  # the default: no proxy trusted


async def test_by_default_x_forwarded_for_cannot_dodge_the_login_limit(
    db, monkeypatch, test_settings
):
    async with _served_like_revenge_serve(monkeypatch, test_settings) as (url, options):
        assert options["proxy_headers"] is False
        assert options["access_log"] is False
        statuses = await _failed_logins_from_spoofed_addresses(
            url, test_settings.login_max_attempts + 1
        )
    # All came from 127.0.0.1 whatever they claimed: the last one is over the per-IP limit.
    assert statuses == [401] * test_settings.login_max_attempts + [429]


async def test_x_forwarded_for_from_a_peer_not_listed_is_ignored(db, monkeypatch, test_settings):
    settings = test_settings.model_copy(update={"forwarded_allow_ips": "10.0.0.0/8"})
    async with _served_like_revenge_serve(monkeypatch, settings) as (url, options):
        assert options["proxy_headers"] is True
        assert options["forwarded_allow_ips"] == "10.0.0.0/8"
        statuses = await _failed_logins_from_spoofed_addresses(url, settings.login_max_attempts + 1)
    assert statuses == [401] * settings.login_max_attempts + [429]


async def test_x_forwarded_for_from_a_listed_proxy_is_the_client(db, monkeypatch, test_settings):
    # The counterpart that shows the two tests above can fail: behind a trusted proxy every
    # forwarded address is its own client with its own attempts.
    settings = test_settings.model_copy(update={"forwarded_allow_ips": "127.0.0.1"})
    async with _served_like_revenge_serve(monkeypatch, settings) as (url, options):
        assert options["proxy_headers"] is True
        statuses = await _failed_logins_from_spoofed_addresses(url, settings.login_max_attempts + 1)
    assert statuses == [401] * (settings.login_max_attempts + 1)


# --- NUL bytes and numbers out of range ----------------------------------------------------


async def test_login_with_a_nul_in_the_username_is_refused_not_a_crash(client, make_user):
    await make_user("alice")
    response = await client.post(LOGIN, json={"username": "ali\u0000ce", "password": TEST_PASSWORD})
    assert response.status_code in (401, 422), response.text
    assert response.headers["content-type"] == "application/problem+json"


async def test_nul_in_a_search_is_a_4xx(client, make_user):
    _, headers = await make_user()
    response = await client.get("/api/v1/library/movies?q=%00", headers=headers)
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == "application/problem+json"


async def test_an_offset_past_any_integer_is_422(client, make_user):
    _, headers = await make_user()
    response = await client.get(
        "/api/v1/users/me/history?offset=99999999999999999999", headers=headers
    )
    problem = _assert_problem(response, 422, "request.validation_failed")
    assert problem["errors"][0]["loc"] == ["query", "offset"]


async def test_nul_in_a_stored_text_field_is_a_4xx(client, make_user):
    _, headers = await make_user()
    response = await client.patch(
        "/api/v1/users/me", json={"display_name": "Dave\u0000"}, headers=headers
    )
    assert 400 <= response.status_code < 500, response.text
    assert (await client.get("/api/v1/users/me", headers=headers)).json()["display_name"] is None


async def test_the_web_ui_fallback_never_answers_500_for_odd_paths(client):
    for path in ("/%00", "/share/%00", "/%00/index.html", "/..%2f..%2fetc%2fpasswd"):
        response = await client.get(path)
        assert response.status_code in (200, 404), f"{path}: {response.status_code}"
        assert b"root:" not in response.content
