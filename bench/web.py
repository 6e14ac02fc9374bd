"""The web app's first load on an emulated slow 4G link (issue 18's goals: < 160 KB over the
wire and < 1.5 s until the dashboard is drawn).

Starts `revenge serve` on a fresh data directory (the embedded PostgreSQL, as `make run`),
records a few plays of the seeded library through the API so the dashboard's charts have
something to draw, then runs bench/web.mjs in Debian's Chromium: each page loaded cold (fresh
browser context) and warm, on Lighthouse's slow 4G preset. The baseline, in the same run, is the
same loads with ``Accept-Encoding: identity`` (no compression, as the app served everything
before): bytes and times are printed beside, with the ratio.

usage: uv run python bench/web.py [--runs R]
needs: the built web UI (`make web`) and /usr/bin/chromium (`make system-deps`)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from statistics import median
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "bench" / "web.mjs"
ADMIN = ("bench-admin", "bench-admin-password")
PAGES = ["/admin/analytics", "/"]
GOAL_BYTES, GOAL_MS = 160 * 1024, 1500


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def call(base: str, method: str, route: str, token: str | None, body: Any = None) -> Any:
    request = urllib.request.Request(
        f"{base}/api/v1{route}",
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={
            "Content-Type": "application/json",
            **({"Authorization": f"Bearer {token}"} if token else {}),
        },
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read() or b"null")


@contextmanager
def revenge_serve() -> Iterator[tuple[str, Path]]:
    """`revenge serve` on a fresh data dir with the embedded PostgreSQL (no job workers, so
    nothing runs beside the page loads)."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="revenge-web-bench-") as data_dir:
        env = {
            **os.environ,
            "REVENGE_DATA_DIR": data_dir,
            "REVENGE_PORT": str(port),
            "REVENGE_HOST": "127.0.0.1",
            "REVENGE_WORKERS": "0",
            "REVENGE_ADMIN_USERNAME": ADMIN[0],
            "REVENGE_ADMIN_PASSWORD": ADMIN[1],
            "REVENGE_LOG_LEVEL": "WARNING",
        }
        env.pop("REVENGE_DATABASE_URL", None)
        revenge = shutil.which("revenge") or "revenge"
        process = subprocess.Popen(
            [revenge, "serve"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 180
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"revenge serve exited with {process.returncode}")
                try:
                    with urllib.request.urlopen(f"{base}/readyz", timeout=2) as answer:
                        if answer.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("revenge serve did not become ready")
                time.sleep(0.25)
            yield base, Path(data_dir)
        finally:
            process.terminate()
            process.wait(timeout=30)
            # The embedded PostgreSQL outlives `revenge serve` by design: stop it.
            pid_file = Path(data_dir) / "pg" / "postmaster.pid"
            if pid_file.exists():
                pid = int(pid_file.read_text().split("\n")[0])
                with suppress(ProcessLookupError):
                    os.kill(pid, 2)
                for _ in range(100):
                    if not pid_file.exists():
                        break
                    time.sleep(0.1)


def seed(base: str, data_dir: Path) -> None:
    """The e2e seed (a movie with a real clip) and a few of the admin's plays of it."""
    env = {**os.environ, "REVENGE_DATA_DIR": str(data_dir)}
    env.pop("REVENGE_DATABASE_URL", None)
    env["REVENGE_ADMIN_USERNAME"], env["REVENGE_ADMIN_PASSWORD"] = ADMIN
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "e2e_seed.py")],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"tools/e2e_seed.py failed:\n{done.stderr}")
    movie_id = json.loads(done.stdout.strip().splitlines()[-1])["movie_id"]
    token = call(base, "POST", "/auth/login", None, {"username": ADMIN[0], "password": ADMIN[1]})[
        "access_token"
    ]
    for hours_ago in (30, 20, 5):
        start = time.time() - hours_ago * 3600
        iso = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start))
        stop = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start + 3600))
        body = {"media_type": "movie", "media_id": movie_id, "position_ms": 0}
        first = call(
            base, "POST", "/playback/events", token, {**body, "event": "start", "occurred_at": iso}
        )
        call(
            base,
            "POST",
            "/playback/events",
            token,
            {**body, "event": "stop", "position_ms": 3_600_000, "occurred_at": stop,
             "session_id": first["session_id"]},
        )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5, help="cold + warm loads per page and mode")
    args = parser.parse_args()
    if not (ROOT / "web" / "dist" / "index.html").exists():
        raise SystemExit("build the web UI first: make web")
    with revenge_serve() as (base, data_dir):
        seed(base, data_dir)
        arguments = {
            "baseUrl": base,
            "username": ADMIN[0],
            "password": ADMIN[1],
            "runs": args.runs,
            "pages": PAGES,
        }
        done = subprocess.run(
            ["node", str(SCRIPT), json.dumps(arguments)], capture_output=True, text=True
        )
    if done.returncode != 0:
        raise SystemExit(f"{SCRIPT.name} failed:\n{done.stderr}")
    results: dict[str, dict[str, list[dict[str, dict[str, float]]]]] = json.loads(
        done.stdout.strip().splitlines()[-1]
    )

    def p50(loads: list[dict[str, dict[str, float]]], kind: str, field: str) -> float:
        return float(median(load[kind][field] for load in loads))

    print(f"slow 4G (150 ms RTT, 1.6 Mbit/s down), {args.runs} runs, phone viewport; p50")
    print(
        f"{'page, load':<30}{'KB':>9}{'ms':>8}{'KB identity':>13}{'ms identity':>13}{'bytes ×':>9}"
    )
    for page, modes in results.items():
        for kind in ("cold", "warm"):
            kb = p50(modes["compressed"], kind, "bytes") / 1024
            ms = p50(modes["compressed"], kind, "ms")
            kb_base = p50(modes["identity"], kind, "bytes") / 1024
            ms_base = p50(modes["identity"], kind, "ms")
            ratio = kb_base / kb if kb else float("nan")
            print(
                f"{page + ', ' + kind:<30}{kb:>9.1f}{ms:>8.0f}{kb_base:>13.1f}{ms_base:>13.0f}{ratio:>8.1f}×"
            )
    cold = results[PAGES[0]]["compressed"]
    print(
        f"goals, dashboard cold: {p50(cold, 'cold', 'bytes') / 1024:.1f} KB (< {GOAL_BYTES // 1024} KB), "
        f"{p50(cold, 'cold', 'ms'):.0f} ms (< {GOAL_MS} ms)"
    )
    print("load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
