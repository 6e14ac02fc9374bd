"""Logs without secrets: share tokens, ?access=, OAuth codes and states, Last.fm tokens and API
keys are redacted in the access log, in structured events and in stdlib log records."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx2 as httpx
import pytest
import structlog
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from revenge.core.logging import REDACTED, configure_logging, redact_path, redact_url
from tests.fakes.lastfm import FakeLastfm
from tests.fakes.trakt import FakeTrakt
from tests.helpers import free_port, serve_asgi
from tests.share_links.conftest import Media

SCROBBLING = "/api/v1/users/me/scrobbling"
LASTFM_API = "https://ws.audioscrobbler.com/2.0/"


# --- the functions -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "query", "expected"),
    [
        ("/api/v1/share/tok3nS3cr3t", "", "/api/v1/share/[redacted]"),
        (
            "/api/v1/share/tok3nS3cr3t/stream",
            "access=acc3ssS3cr3t&download=1",
            "/api/v1/share/[redacted]/stream?access=[redacted]&download=1",
        ),
        ("/share/tok3nS3cr3t", "", "/share/[redacted]"),  # the web UI's page for a link
        (
            "/api/v1/users/me/scrobbling/callback/trakt",
            "code=c0d3S3cr3t&state=st4t3S3cr3t",
            "/api/v1/users/me/scrobbling/callback/trakt?code=[redacted]&state=[redacted]",
        ),
        (
            "/api/v1/users/me/scrobbling/callback/lastfm",
            "token=lfmT0k3n",
            "/api/v1/users/me/scrobbling/callback/lastfm?token=[redacted]",
        ),
        ("/api/v1/ingest/jellyfin/ing3stT0k3n", "", "/api/v1/ingest/jellyfin/[redacted]"),
        # Names are matched without regard to case or percent-encoding.
        ("/x", "API_KEY=k3y&Api_Key=k3y2", "/x?API_KEY=[redacted]&Api_Key=[redacted]"),
        ("/x", "acc%65ss=acc3ssS3cr3t", "/x?access=[redacted]"),
        ("/x", "access=a&access=b", "/x?access=[redacted]&access=[redacted]"),
        ("/x", "access", "/x?access=[redacted]"),
        # What is no secret stays readable.
        ("/api/v1/library/movies", "q=heat&limit=10", "/api/v1/library/movies?q=heat&limit=10"),
        ("/api/v1/users/me/history", "", "/api/v1/users/me/history"),
    ],
)
def test_redact_path(path, query, expected):
    assert redact_path(path, query) == expected


def test_redact_url_keeps_scheme_host_and_harmless_parameters():
    url = (
        "https://ws.audioscrobbler.com/2.0/?method=auth.getSession"
        "&api_key=0123456789abcdef&token=lfmT0k3n&format=json"
    )
    assert redact_url(url) == (
        "https://ws.audioscrobbler.com/2.0/?method=auth.getSession"
        f"&api_key={REDACTED}&token={REDACTED}&format=json"
    )
    assert redact_url("https://api.trakt.tv/sync/history") == "https://api.trakt.tv/sync/history"
    secret_in_a_url_encoded_value = redact_url("https://x.test/cb?code=ab%2Fcd%3D%3D&state=s%20t")
    for leaked in ("ab%2Fcd", "ab/cd", "s%20t", "s t"):
        assert leaked not in secret_in_a_url_encoded_value


# --- structlog and stdlib ------------------------------------------------------------------


@contextmanager
def server_logging(test_settings) -> Iterator[None]:
    """Logging as `revenge serve` sets it up: structlog and a root handler on the current
    stderr (captured by capsys), with the redacting filter. pytest's own handlers are put
    back afterwards, within the same test phase."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers, root.level
    root.handlers = []
    try:
        configure_logging(json=test_settings.log_json, level=test_settings.log_level)
        yield
    finally:
        root.handlers = saved_handlers
        root.setLevel(saved_level)


def test_structured_events_lose_secret_fields_and_secrets_in_urls(capsys, test_settings):
    with server_logging(test_settings):
        structlog.get_logger("revenge.test").warning(
            "provider.call_failed",
            url=f"{LASTFM_API}?method=track.scrobble&api_key=K3yS3cr3t&sk=S3ss10nK3y",
            path="/api/v1/share/tok3nS3cr3t/stream?access=acc3ssS3cr3t",
            access_token="tr4ktAcc3ss",
            refresh_token="tr4ktR3fr3sh",
            authorization="Bearer rva_b34r3r",
            method="track.scrobble",
        )
    err = capsys.readouterr().err
    assert "provider.call_failed" in err
    for secret in (
        "K3yS3cr3t",
        "S3ss10nK3y",
        "tok3nS3cr3t",
        "acc3ssS3cr3t",
        "tr4ktAcc3ss",
        "tr4ktR3fr3sh",
        "rva_b34r3r",
    ):
        assert secret not in err, secret
    assert "ws.audioscrobbler.com/2.0/?method=track.scrobble" in err  # still useful
    assert "method=track.scrobble" in err


def test_a_url_inside_an_error_message_loses_its_secrets(capsys, test_settings):
    # httpx's own errors spell the URL out: "Client error '403 Forbidden' for url '…'".
    with server_logging(test_settings):
        structlog.get_logger("revenge.test").warning(
            "scrobbling.revoke_failed",
            provider="lastfm",
            error="Client error '403 Forbidden' for url "
            f"'{LASTFM_API}?method=auth.getSession&api_key=K3yS3cr3t&token=lfmT0k3n'",
        )
        try:
            raise RuntimeError("GET https://x.test/cb?code=c0d3S3cr3t&state=st4t3S3cr3t failed")
        except RuntimeError:
            structlog.get_logger("revenge.test").exception("request.unhandled_error")
    err = capsys.readouterr().err
    assert "scrobbling.revoke_failed" in err and "403 Forbidden" in err
    assert "RuntimeError: GET https://x.test/cb?code=" in err  # the traceback is there
    for secret in ("K3yS3cr3t", "lfmT0k3n", "c0d3S3cr3t", "st4t3S3cr3t"):
        assert secret not in err, secret


def test_stdlib_records_lose_secrets_in_urls(capsys, test_settings):
    with server_logging(test_settings):
        logging.getLogger("httpx").warning(
            'HTTP Request: %s %s "%s"',
            "GET",
            f"{LASTFM_API}?method=user.getInfo&api_key=K3yS3cr3t&sk=S3ss10nK3y",
            "HTTP/1.1 500 Internal Server Error",
        )
        logging.getLogger("uvicorn.error").warning(
            "slow request GET /api/v1/share/tok3nS3cr3t/stream?access=acc3ssS3cr3t"
        )
        logging.getLogger("procrastinate").warning("%d jobs waiting", 3)
        logging.getLogger("httpx").info("below the level: %s", "https://x.test/?token=T")
    err = capsys.readouterr().err
    assert "K3yS3cr3t" not in err and "S3ss10nK3y" not in err
    assert "tok3nS3cr3t" not in err and "acc3ssS3cr3t" not in err
    # The lines are there, readable, with the harmless parts.
    assert "HTTP Request: GET https://ws.audioscrobbler.com/2.0/?method=user.getInfo" in err
    assert "500 Internal Server Error" in err
    assert f"/api/v1/share/{REDACTED}/stream?access={REDACTED}" in err
    assert "3 jobs waiting" in err  # a record without a URL is left as it is
    assert "below the level" not in err  # outbound requests are not logged one by one


# --- end to end: a share flow and OAuth callbacks ------------------------------------------


@pytest.fixture
async def trakt(test_settings, monkeypatch) -> AsyncIterator[FakeTrakt]:
    fake = FakeTrakt(min_write_interval=0.05)
    async with serve_asgi(fake.app()) as url:
        monkeypatch.setattr(test_settings.trakt, "api_url", url)
        monkeypatch.setattr(test_settings.trakt, "auth_url", url)
        monkeypatch.setattr(test_settings.trakt, "client_id", fake.client_id)
        monkeypatch.setattr(test_settings.trakt, "client_secret", SecretStr(fake.client_secret))
        yield fake


@pytest.fixture
async def lastfm(test_settings, monkeypatch) -> AsyncIterator[FakeLastfm]:
    fake = FakeLastfm()
    async with serve_asgi(fake.app()) as url:
        monkeypatch.setattr(test_settings.lastfm, "api_url", f"{url}/2.0/")
        monkeypatch.setattr(test_settings.lastfm, "auth_url", f"{url}/api/auth/")
        monkeypatch.setattr(test_settings.lastfm, "api_key", fake.api_key)
        monkeypatch.setattr(test_settings.lastfm, "api_secret", SecretStr(fake.secret))
        yield fake


def _access_lines(log: str, path_part: str) -> list[str]:
    return [line for line in log.splitlines() if "http.request" in line and path_part in line]


def _field(line: str, name: str) -> str:
    """A field of a console log line (values with odd characters are printed quoted)."""
    found = re.search(rf"\b{name}=('[^']*'|\S+)", line)
    assert found, line
    return found.group(1).strip("'")


async def test_a_share_flow_and_oauth_callbacks_leave_no_secret_in_the_log(
    client, make_user, tmp_path: Path, trakt, lastfm, capsys, test_settings
):
    _, headers = await make_user()
    movie, _ = await Media(tmp_path).movie(size=2000)
    secrets: list[str] = [headers["Authorization"].removeprefix("Bearer ")]

    with server_logging(test_settings):
        # Share: create, open, stream with ?access= (no cookie, as a player would).
        created = await client.post(
            "/api/v1/users/me/grants",
            json={"media_type": "movie", "media_id": str(movie.id), "max_views": 3},
            headers=headers,
        )
        assert created.status_code == 201, created.text
        share_token = created.json()["token"]
        opened = await client.get(f"/api/v1/share/{share_token}")
        assert opened.status_code == 200, opened.text
        access = opened.json()["access_token"]
        assert access
        client.cookies.clear()
        streamed = await client.get(
            f"/api/v1/share/{share_token}/stream", params={"access": access}
        )
        assert streamed.status_code == 200
        # The link as the owner hands it out: the web UI's page (index.html, or 404 unbuilt).
        page = await client.get(f"/share/{share_token}")
        assert page.status_code in (200, 404)
        secrets += [share_token, access]

        # Trakt: OAuth code flow through the fake, then a forged callback.
        started = await client.post(
            f"{SCROBBLING}/connect/trakt", json={"flow": "code"}, headers=headers
        )
        assert started.status_code == 200, started.text
        back = trakt.authorize(started.json()["authorize_url"], "trakt-user")
        done = await client.get(f"{SCROBBLING}/callback/trakt", params=back, headers=headers)
        assert done.status_code == 200, done.text
        forged = {"code": "f0rg3dC0d3x", "state": "f0rg3dSt4t3x"}
        refused = await client.get(f"{SCROBBLING}/callback/trakt", params=forged, headers=headers)
        assert refused.status_code == 400
        secrets += [back["code"], back["state"], *forged.values()]
        secrets += [*trakt.tokens, *trakt.refresh_tokens, trakt.client_secret]

        # Last.fm: web auth with ?token=, then a callback with an unknown token.
        started = await client.post(f"{SCROBBLING}/connect/lastfm", headers=headers)
        assert started.status_code == 200, started.text
        lastfm_token = parse_qs(urlparse(started.json()["authorize_url"]).query)["token"][0]
        lastfm.approve(lastfm_token, "lastfm-user")
        done = await client.get(
            f"{SCROBBLING}/callback/lastfm", params={"token": lastfm_token}, headers=headers
        )
        assert done.status_code == 200, done.text
        unknown = await client.get(
            f"{SCROBBLING}/callback/lastfm", params={"token": "unkn0wnLfmT0k3n"}, headers=headers
        )
        assert unknown.status_code == 400
        secrets += [
            lastfm_token,
            "unkn0wnLfmT0k3n",
            *lastfm.sessions,
            lastfm.secret,
            lastfm.api_key,
        ]

    captured = capsys.readouterr()
    log = captured.err + captured.out
    assert trakt.tokens and lastfm.sessions  # both connections really were made
    for secret in secrets:
        assert len(secret) >= 8, secret  # long enough not to match by chance
        assert secret not in log, f"secret {secret[:4]}… is in the log"

    # The requests were logged, one access line each, with the secrets replaced.
    opened_lines = [line for line in _access_lines(log, "/api/v1/share/") if "/stream" not in line]
    assert [_field(line, "target") for line in opened_lines] == [f"/api/v1/share/{REDACTED}"]
    assert _field(opened_lines[0], "status") == "200"
    page_lines = [line for line in _access_lines(log, "/share/") if "/api/v1/" not in line]
    assert [_field(line, "target") for line in page_lines] == [f"/share/{REDACTED}"]
    stream_lines = _access_lines(log, "/stream")
    assert [_field(line, "target") for line in stream_lines] == [
        f"/api/v1/share/{REDACTED}/stream?access={REDACTED}"
    ]
    trakt_lines = _access_lines(log, "/callback/trakt")
    assert [(_field(line, "target"), _field(line, "status")) for line in trakt_lines] == [
        (f"{SCROBBLING}/callback/trakt?code={REDACTED}&state={REDACTED}", "200"),
        (f"{SCROBBLING}/callback/trakt?code={REDACTED}&state={REDACTED}", "400"),
    ]
    lastfm_lines = _access_lines(log, "/callback/lastfm")
    assert [(_field(line, "target"), _field(line, "status")) for line in lastfm_lines] == [
        (f"{SCROBBLING}/callback/lastfm?token={REDACTED}", "200"),
        (f"{SCROBBLING}/callback/lastfm?token={REDACTED}", "400"),
    ]
    for line in trakt_lines + lastfm_lines:
        assert _field(line, "method") == "GET"
        assert _field(line, "request_id")


# --- the real process ----------------------------------------------------------------------


@pytest.fixture
async def empty_database_url(database_url: str) -> AsyncIterator[str]:
    """A database of its own on the test server: `revenge serve` migrates it and creates the
    first admin, which must not leak into the shared test database."""
    base, _, query = database_url.partition("?")
    name = f"revenge_serve_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(database_url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.rsplit("/", 1)[0] + "/" + name + (f"?{query}" if query else "")
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


async def test_revenge_serve_prints_no_secret_and_ignores_x_forwarded_for_by_default(
    tmp_path: Path, empty_database_url: str
):
    port = free_port()
    env = {
        **os.environ,
        "REVENGE_DATA_DIR": str(tmp_path / "data"),
        "REVENGE_DATABASE_URL": empty_database_url,
        "REVENGE_PORT": str(port),
        "REVENGE_WORKERS": "0",
        "REVENGE_LOG_JSON": "1",
        "REVENGE_LOGIN_MAX_ATTEMPTS": "3",
        # uvicorn's own fallback trusts 127.0.0.1 when asked to; `revenge serve` must not ask.
        "FORWARDED_ALLOW_IPS": "*",
    }
    env.pop("REVENGE_FORWARDED_ALLOW_IPS", None)
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "revenge.cli", "serve"],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
        )
    share_token, access = "sh4r3T0k3nXyz", "acc3ssT0k3nXyz"
    code, state = "c0d3Xyz0123", "st4t3Xyz0123"
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            for _ in range(600):
                if process.poll() is not None:
                    break
                try:
                    if (await http.get("/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            assert (await http.get("/readyz")).status_code == 200, log_path.read_text()

            statuses = []
            for n in range(4):
                response = await http.post(
                    "/api/v1/auth/login",
                    json={"username": f"nobody{n}", "password": "wrong-password"},
                    headers={"X-Forwarded-For": f"203.0.113.{n + 1}"},
                )
                statuses.append(response.status_code)
            missing = await http.get(
                f"/api/v1/share/{share_token}/stream", params={"access": access}
            )
            callback = await http.get(
                "/api/v1/users/me/scrobbling/callback/trakt", params={"code": code, "state": state}
            )
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    output = log_path.read_text()
    # Every request came from 127.0.0.1, whatever X-Forwarded-For claimed.
    assert statuses == [401, 401, 401, 429], output
    assert (missing.status_code, callback.status_code) == (404, 401)

    for secret in (share_token, access, code, state):
        assert secret not in output, secret
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    access_log = {line["target"]: line for line in lines if line.get("event") == "http.request"}
    stream = access_log[f"/api/v1/share/{REDACTED}/stream?access={REDACTED}"]
    assert (stream["method"], stream["status"], stream["client"]) == ("GET", 404, "127.0.0.1")
    oauth = access_log[
        f"/api/v1/users/me/scrobbling/callback/trakt?code={REDACTED}&state={REDACTED}"
    ]
    assert oauth["status"] == 401
    logins = [line for line in lines if line.get("target") == "/api/v1/auth/login"]
    assert [line["client"] for line in logins] == ["127.0.0.1"] * 4
    assert '"GET /api/v1/share/' not in output  # no uvicorn access log beside ours
