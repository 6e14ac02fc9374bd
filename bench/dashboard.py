"""First load of the admin analytics dashboard with 1 M plays in the database (issue 9's
quality bar: under a second on this machine).

Loads N plays (default 1 M; 10,000 users, 200,000 items, one year) into an embedded PostgreSQL
under bench/.work with bench/analytics.py's loader, rebuilds the rollups, starts
`revenge serve` on it and times, in Debian's Chromium (web/e2e/dashboard-timing.mjs), the
navigation to /admin/analytics until the overview, the top/trending lists, the per-user table
and both charts are drawn: cold (fresh browser context, nothing cached) and warm (the same page
loaded again), several runs each. The baseline is the same page served from an empty database
(migrated, no plays) in the same run; the slowest analytics API call of each load is printed
too.

usage: uv run python bench/dashboard.py [--plays N] [--runs R] [--reuse]
needs: the built web UI (`make web`) and /usr/bin/chromium (`make system-deps`)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

# bench/analytics.py (this script's directory is on sys.path): the 1 M-play loader.
import analytics as loader
from revenge.analytics import service
from revenge.core.db import Database, to_libpq_url
from revenge.core.migrate import upgrade
from revenge.users import repository as users_repository
from revenge.users import service as users_service
from revenge.users.schemas import UserCreate

ROOT = Path(__file__).resolve().parents[1]
TIMING_SCRIPT = ROOT / "web" / "e2e" / "dashboard-timing.mjs"
ADMIN = ("bench-admin", "bench-admin-password")
LOADED, EMPTY = "dashboard_bench", "dashboard_empty"


def log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", flush=True)


async def create_database(server: str, name: str) -> str:
    """A migrated, empty database ``name`` on the bench server (bench/analytics.py's helpers
    work on the database its module constant names)."""
    loader.DATABASE = name
    url: str = loader.database_url(server)
    await loader.create_database(server, url)
    return url


async def load_plays(server: str, args: argparse.Namespace) -> str:
    url = await create_database(server, LOADED)
    log(f"loading {args.plays:,} plays")
    loader.load(url, args, datetime.now(UTC) - timedelta(days=args.days))
    database = Database(url, pool_size=2, max_overflow=0)
    started = time.perf_counter()
    async with database.transaction() as session:
        await service.rebuild(session, None, lambda step: log(f"  rebuild: {step}"))
    async with database.transaction() as session:
        await session.execute(text("ANALYZE"))
    await database.dispose()
    log(f"rollups rebuilt: {time.perf_counter() - started:.1f} s")
    return url


async def ensure_admin(url: str) -> None:
    """The admin who opens the dashboard (the first-start admin is made only in an empty
    database, and the loaded one has the bench users)."""
    database = Database(url, pool_size=1, max_overflow=0)
    async with database.transaction() as session:
        if await users_repository.get_user_by_username(session, ADMIN[0]) is None:
            await users_service.create_user(
                session, UserCreate(username=ADMIN[0], password=ADMIN[1], is_admin=True)
            )
    await database.dispose()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def revenge_serve(url: str) -> Iterator[str]:
    """`revenge serve` on ``url`` (no job workers: nothing may run beside the page loads)."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="revenge-dashboard-") as data_dir:
        env = {
            **os.environ,
            "REVENGE_DATABASE_URL": to_libpq_url(url),
            "REVENGE_DATA_DIR": data_dir,
            "REVENGE_PORT": str(port),
            "REVENGE_HOST": "127.0.0.1",
            "REVENGE_WORKERS": "0",
            "REVENGE_ADMIN_USERNAME": ADMIN[0],
            "REVENGE_ADMIN_PASSWORD": ADMIN[1],
            "REVENGE_LOG_LEVEL": "WARNING",
        }
        revenge = shutil.which("revenge") or "revenge"
        process = subprocess.Popen([revenge, "serve"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
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
            yield base
        finally:
            process.terminate()
            process.wait(timeout=30)


def time_page_loads(base: str, runs: int, trace: bool) -> dict[str, Any]:
    arguments = {
        "baseUrl": base,
        "username": ADMIN[0],
        "password": ADMIN[1],
        "runs": runs,
        "trace": trace,
    }
    done = subprocess.run(
        ["node", str(TIMING_SCRIPT), json.dumps(arguments)],
        cwd=ROOT / "web",
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"{TIMING_SCRIPT.name} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def p50(values: list[float]) -> float:
    return float(loader.percentile(values, 0.5))


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--plays", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--items", type=int, default=200_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--runs", type=int, default=7, help="page loads, cold and warm each")
    parser.add_argument("--reuse", action="store_true", help="keep the data of the last run")
    parser.add_argument("--trace", action="store_true", help="print a cold load's requests")
    args = parser.parse_args()
    if not (ROOT / "web" / "dist" / "index.html").exists():
        raise SystemExit("build the web UI first: make web")

    server = loader.server_url()
    if args.reuse:
        loader.DATABASE = LOADED
        loaded = loader.database_url(server)
        engine = create_async_engine(loaded)
        await upgrade(engine)
        await engine.dispose()
    else:
        loaded = await load_plays(server, args)
    empty = await create_database(server, EMPTY)
    for url in (loaded, empty):
        await ensure_admin(url)

    load_before = os.getloadavg()
    results: dict[str, dict[str, Any]] = {}
    for label, url in (("empty database", empty), (f"{args.plays:,} plays", loaded)):
        with revenge_serve(url) as base:
            log(f"{label}: {args.runs} cold + {args.runs} warm loads of /admin/analytics")
            results[label] = time_page_loads(base, args.runs, args.trace)
    load_average = os.getloadavg()

    print()
    print(
        f"plays={args.plays:,} users={args.users:,} items={args.items:,} days={args.days} "
        f"runs={args.runs}"
    )
    print(f"{'dashboard first load (ms)':<28}{'p50':>8}{'max':>8}   (navigation → charts drawn)")
    for label, result in results.items():
        for kind in ("cold", "warm"):
            times = result[kind]
            print(f"{label + ', ' + kind:<28}{p50(times):>8.0f}{max(times):>8.0f}")
        api = result["api"]
        print(f"{label + ', slowest API call':<28}{p50(api):>8.0f}{max(api):>8.0f}")
    full, base = results[f"{args.plays:,} plays"], results["empty database"]
    print(
        f"ratio to the empty-database baseline (p50): cold "
        f"{p50(full['cold']) / p50(base['cold']):.2f}×, warm "
        f"{p50(full['warm']) / p50(base['warm']):.2f}×"
    )
    if args.trace:
        for label, result in results.items():
            print(f"a cold load's requests, {label} (start → end, ms since navigation):")
            for entry in result["waterfall"]:
                print(f"  {entry['start']:>6} → {entry['end']:>6}  {entry['name']}")
            print(f"  ready at {result['cold'][-1]:.0f}")
    print(f"plays drawn in the hour chart (30 days): {full['bars']:,}")
    print(
        f"goal: first load < 1000 ms → cold p50 {p50(full['cold']):.0f} ms, max {max(full['cold']):.0f} ms"
    )
    print(
        "load average (1, 5, 15 min) before / after the page loads: "
        + ", ".join(f"{x:.2f}" for x in load_before)
        + " / "
        + ", ".join(f"{x:.2f}" for x in load_average)
    )


if __name__ == "__main__":
    asyncio.run(main())
