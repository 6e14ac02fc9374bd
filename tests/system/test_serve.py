"""`revenge serve` as a user starts it: a fresh data dir, the embedded PostgreSQL, migrations,
the first admin with a generated password, workers, and a clean shutdown."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx2 as httpx

from tests.helpers import free_port


def test_serve_on_a_fresh_data_dir_then_shut_down_cleanly(tmp_path: Path):
    port = free_port()
    env = {
        **os.environ,
        "REVENGE_DATA_DIR": str(tmp_path / "data"),
        "REVENGE_PORT": str(port),
        "REVENGE_WORKERS": "1",
        "REVENGE_LOG_JSON": "1",
    }
    env.pop("REVENGE_DATABASE_URL", None)
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "revenge.cli", "serve"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
        )
    try:
        deadline = time.monotonic() + 90
        ready = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
                if ready.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        assert ready is not None and ready.json() == {
            "status": "ok",
            "checks": {"database": "ok", "migrations": "ok"},
        }, log_path.read_text()

        found = re.search(
            r'"password": "([^"]+)".*"event": "first_admin.created"|"event": "first_admin.created".*"password": "([^"]+)"',
            log_path.read_text(),
        )
        assert found, log_path.read_text()
        password = found.group(1) or found.group(2)
        login = httpx.post(
            f"http://127.0.0.1:{port}/api/v1/auth/login",
            json={"username": "admin", "password": password},
        )
        assert login.status_code == 200
        assert (tmp_path / "data" / "secret_key").stat().st_mode & 0o077 == 0  # generated, private
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    # uvicorn re-raises the SIGTERM it handled once shutdown is complete.
    assert process.returncode in (0, -signal.SIGTERM), log_path.read_text()
    assert "Application shutdown complete" in log_path.read_text()
    # The embedded PostgreSQL stopped with its last user.
    assert not (tmp_path / "data" / "pg" / "postmaster.pid").exists()
