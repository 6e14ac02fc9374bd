"""Another user's GET /api/v1/users/me while 200 wrong logins arrive at once.

The attempt limits count each guess before its password is checked, on the request's own
connection, and argon2 runs in a few worker threads off the event loop: a storm of guesses
should neither exhaust the database pool nor stall the other users. This measures it against
`revenge serve` (a real uvicorn process, the default pool of 10 + 20 connections, 3 s pool
wait, 2 argon2 checks at once, 10 attempts per IP and per username).

Baseline: a bystander's GET /users/me, one after another, with nothing else running. Then
the same requests while a storm runs, in two kinds:

- one target: 200 wrong passwords for one username from one IP (as tests/core/
  test_attempt_limits.py sends them): the limit lets 10 be checked, 190 get 429;
- distributed: 200 wrong logins for 200 unknown usernames from 200 IPs (X-Forwarded-For from
  a trusted proxy): no limit binds, so all 200 cost one argon2 check each.

A storm is sent by a separate process (its client work does not slow the measuring one) and
repeated, with the limits cleared in between, until enough GETs ran during storms. Prints
p50/p95 of each, their ratio to the baseline, how long a storm took to be answered in full,
and the statuses it got (any 5xx would be a failure of the hardening).

    uv run python bench/hardening.py [--storm 200] [--samples 50]

Uses its own embedded PostgreSQL under bench/.work (a database created and dropped per run).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2 as httpx

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "bench" / ".work"
BYSTANDER = ("bench-bystander", "bystander-password-1")
VICTIM = ("bench-victim", "victim-password-1")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- the storm process ------------------------------------------------------------------------


async def storm_client(base: str) -> None:
    """Reads one JSON order per line from stdin, sends that storm at once, prints how it went.

    Each storm comes on fresh connections, one per request, as from as many clients (idle
    keep-alive connections from the storm before could have been closed by the server)."""
    loop = asyncio.get_running_loop()
    print("ready", flush=True)
    while line := await loop.run_in_executor(None, sys.stdin.readline):
        order = json.loads(line)
        limits = httpx.Limits(max_connections=order["count"])
        async with httpx.AsyncClient(base_url=base, limits=limits, timeout=120) as client:

            async def login(n: int, order: dict = order) -> int | str:
                if order["mode"] == "one":
                    body = {"username": order["username"], "password": f"guess-{n}"}
                    headers = {}
                else:
                    body = {"username": f"nobody-{order['round']}-{n}", "password": "guess"}
                    ip = f"10.{order['round'] % 250}.{n // 250}.{n % 250}"
                    headers = {"X-Forwarded-For": ip}
                try:
                    response = await client.post("/api/v1/auth/login", json=body, headers=headers)
                except httpx.HTTPError as exc:
                    return type(exc).__name__  # no answer at all: counted, not hidden
                return response.status_code

            started = time.perf_counter()
            statuses = await asyncio.gather(*(login(n) for n in range(order["count"])))
            seconds = time.perf_counter() - started
        print(json.dumps({"seconds": seconds, "statuses": statuses}), flush=True)


# --- the measuring process --------------------------------------------------------------------


async def create_database() -> tuple[str, str]:
    """A migrated database with the bystander and the victim; returns (server URL, its URL)."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    from revenge.core.db import Database, start_embedded_postgres, to_sqlalchemy_url
    from revenge.core.migrate import upgrade
    from revenge.core.security import hash_password
    from revenge.users.models import User

    WORK.mkdir(parents=True, exist_ok=True)
    server = to_sqlalchemy_url(start_embedded_postgres(WORK, "postgres"))
    name = f"bench_hardening_{uuid.uuid4().hex[:6]}"
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    base, _, query = server.partition("?")
    url = base.rsplit("/", 1)[0] + "/" + name + (f"?{query}" if query else "")
    engine = create_async_engine(url)
    await upgrade(engine)
    await engine.dispose()
    database = Database(url, pool_size=1, max_overflow=0)
    async with database.transaction() as session:
        for username, password in (BYSTANDER, VICTIM):
            session.add(
                User(
                    username=username,
                    email=f"{username}@example.test",
                    password_hash=hash_password(password),
                )
            )
    await database.dispose()
    return server, url


async def drop_database(server: str, url: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    name = url.rsplit("/", 1)[1].partition("?")[0]
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


async def clear_limits(url: str) -> None:
    """Every storm meets fresh limits (as a new attacker would within a new window)."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("DELETE FROM shared.rate_limit_buckets"))
    await engine.dispose()


@contextmanager
def revenge_serve(url: str) -> Iterator[str]:
    """`revenge serve` with its production defaults, no job workers; yields its base URL."""
    from revenge.core.db import to_libpq_url

    port = free_port()
    with tempfile.TemporaryDirectory(prefix="revenge-hardening-") as data_dir:
        env = {
            **os.environ,
            "REVENGE_DATABASE_URL": to_libpq_url(url),
            "REVENGE_DATA_DIR": data_dir,
            "REVENGE_PORT": str(port),
            "REVENGE_HOST": "127.0.0.1",
            "REVENGE_WORKERS": "0",
            "REVENGE_LOG_LEVEL": "ERROR",
            "REVENGE_FORWARDED_ALLOW_IPS": "127.0.0.1",
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
                    if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("revenge serve did not become ready")
                time.sleep(0.25)
            yield base
        finally:
            process.terminate()
            process.wait(timeout=30)


async def me_once(client: httpx.AsyncClient, headers: dict[str, str]) -> tuple[float, int]:
    """One GET /users/me: its latency and status (a 503 counts with the time it took)."""
    started = time.perf_counter()
    response = await client.get("/api/v1/users/me", headers=headers)
    return time.perf_counter() - started, response.status_code


class Storms:
    """The storm process, driven one storm at a time."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            "--storm-client",
            self.base,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        assert self.process.stdout is not None
        if (await self.process.stdout.readline()).strip() != b"ready":
            raise RuntimeError("the storm process did not start")

    async def send(self, order: dict) -> asyncio.Future[dict]:
        """Start a storm; the future resolves to its result once every answer is in."""
        assert self.process is not None and self.process.stdin and self.process.stdout
        self.process.stdin.write((json.dumps(order) + "\n").encode())
        await self.process.stdin.drain()
        stdout = self.process.stdout

        async def result() -> dict:
            return dict(json.loads(await stdout.readline()))

        return asyncio.ensure_future(result())

    async def stop(self) -> None:
        if self.process is not None and self.process.stdin is not None:
            self.process.stdin.close()
            await self.process.wait()


async def during_storms(
    storms: Storms,
    url: str,
    client: httpx.AsyncClient,
    headers: dict[str, str],
    order: dict,
    samples: int,
) -> tuple[list[float], Counter[int], list[float], Counter[int | str]]:
    """GET /users/me one after another while storms run, until ``samples`` were measured;
    returns those latencies and statuses, each storm's time to be answered in full, and every
    status the storms got."""
    latencies: list[float] = []
    me_statuses: Counter[int] = Counter()
    storm_seconds: list[float] = []
    storm_statuses: Counter[int | str] = Counter()
    rounds = 0
    while len(latencies) < samples or rounds < 3:
        await clear_limits(url)
        done = await storms.send({**order, "round": rounds})
        while not done.done():
            latency, status = await me_once(client, headers)
            latencies.append(latency)
            me_statuses[status] += 1
        result = await done
        storm_seconds.append(result["seconds"])
        storm_statuses.update(result["statuses"])
        rounds += 1
    return latencies, me_statuses, storm_seconds, storm_statuses


def failures(statuses: Counter) -> int:
    """Answers a user would see as the server failing: 5xx, or none at all."""
    return sum(n for status, n in statuses.items() if not isinstance(status, int) or status >= 500)


async def measure(args: argparse.Namespace) -> None:
    from revenge.core.logging import configure_logging

    configure_logging(json=False, level="WARNING")
    server, url = await create_database()
    try:
        with revenge_serve(url) as base:
            storms = Storms(base)
            await storms.start()
            try:
                async with httpx.AsyncClient(base_url=base, timeout=120) as client:
                    login = await client.post(
                        "/api/v1/auth/login",
                        json={"username": BYSTANDER[0], "password": BYSTANDER[1]},
                    )
                    login.raise_for_status()
                    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
                    for _ in range(10):  # warm-up: connections, caches, first queries
                        await me_once(client, headers)
                    baseline_runs = [await me_once(client, headers) for _ in range(args.samples)]
                    baseline = [latency for latency, _ in baseline_runs]
                    report(
                        "no storm (baseline)",
                        baseline,
                        Counter(s for _, s in baseline_runs),
                        baseline,
                    )
                    # One storm unmeasured: first-use costs in the server (statements, threads).
                    await clear_limits(url)
                    one = {"mode": "one", "username": VICTIM[0], "count": args.storm}
                    await (await storms.send({**one, "round": 0}))
                    for label, order in (
                        (f"{args.storm} wrong logins, one username, one IP", one),
                        (
                            f"{args.storm} wrong logins, {args.storm} unknown usernames and IPs",
                            {"mode": "many", "count": args.storm},
                        ),
                    ):
                        latencies, me_statuses, storm_seconds, statuses = await during_storms(
                            storms, url, client, headers, order, args.samples
                        )
                        report(f"during {label}", latencies, me_statuses, baseline)
                        rounds = len(storm_seconds)
                        per_storm = ", ".join(
                            f"{status}: {count / rounds:g}"
                            for status, count in sorted(statuses.items(), key=str)
                        )
                        print(
                            f"    the storm answered in full: median {percentile(storm_seconds, 0.5):.2f} s, "
                            f"max {max(storm_seconds):.2f} s over {rounds} storms; "
                            f"answers per storm: {per_storm}; 5xx or none in all: "
                            f"{failures(statuses)}",
                            flush=True,
                        )
            finally:
                await storms.stop()
    finally:
        await drop_database(server, url)


def report(
    label: str, latencies: list[float], statuses: Counter[int], baseline: list[float]
) -> None:
    p50, p95 = percentile(latencies, 0.5), percentile(latencies, 0.95)
    b50, b95 = percentile(baseline, 0.5), percentile(baseline, 0.95)
    answers = ", ".join(f"{status}: {n}" for status, n in sorted(statuses.items()))
    print(
        f"GET /users/me, {label}: n={len(latencies)}  p50 {p50 * 1000:7.1f} ms  "
        f"p95 {p95 * 1000:7.1f} ms  ratio to baseline p50 {p50 / b50:5.2f}  p95 {p95 / b95:5.2f}"
        f"  ({answers})",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--storm", type=int, default=200, help="wrong logins sent at once")
    parser.add_argument("--samples", type=int, default=50, help="GET /users/me per measurement")
    parser.add_argument("--storm-client", metavar="BASE_URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.storm_client:
        asyncio.run(storm_client(args.storm_client))
        return
    print(f"machine: {os.cpu_count()} CPUs; server: revenge serve, production defaults", flush=True)
    asyncio.run(measure(args))


if __name__ == "__main__":
    main()
