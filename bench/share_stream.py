"""Share-link streaming throughput against nginx serving the same file from the same disk.

    uv run python bench/share_stream.py [--size-mib 1024] [--ranges 200]

Starts its own embedded PostgreSQL under bench/.work, migrates it, creates a user, a movie whose
file is a SIZE MiB file and a share link, serves the app with a real uvicorn process, and
nginx (installed from Debian if missing, run in the foreground with a generated config on a
free port) serves the same file. Load comes from curl processes (C, keep-alive), one per
client: full reads and random 1 MiB ranges, with 1 and 16 concurrent clients. Both servers
get one process each. Prints MB/s and requests/s per case and the ratio app/nginx, then the
cost of checking the access token and the grant on each request.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "bench" / ".work"
MiB = 1024 * 1024


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port}")


def ensure_file(path: Path, size: int) -> None:
    if path.exists() and path.stat().st_size == size:
        return
    block = os.urandom(MiB)
    with path.open("wb") as fh:
        for _ in range(size // MiB):
            fh.write(block)
        fh.write(block[: size % MiB])


def ensure_nginx() -> str:
    found = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        sys.exit("nginx is missing: install it (Debian: apt-get install -y nginx) and run again")
    print("installing nginx from Debian …", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "nginx"],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    return shutil.which("nginx") or "/usr/sbin/nginx"


def start_nginx(binary: str, docroot: Path, port: int) -> subprocess.Popen[bytes]:
    prefix = WORK / "nginx"
    prefix.mkdir(parents=True, exist_ok=True)
    conf = prefix / "nginx.conf"
    conf.write_text(
        f"""
daemon off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    default_type application/octet-stream;
    server {{
        listen 127.0.0.1:{port};
        root {docroot};
        location / {{ }}
    }}
}}
"""
    )
    process = subprocess.Popen([binary, "-c", str(conf), "-p", str(prefix)])
    wait_for_port(port)
    return process


def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# --- load: curl processes ----------------------------------------------------------------


def curl_config(url: str, count: int, size: int, ranged: bool, rng: random.Random) -> str:
    """A curl config making ``count`` requests on one keep-alive connection."""
    entries = []
    for _ in range(count):
        lines = [
            f'url = "{url}"',
            "output = /dev/null",
            'write-out = "%{http_code} %{size_download}\\n"',
        ]
        if ranged:
            start = rng.randrange(0, size - MiB)
            lines.append(f"range = {start}-{start + MiB - 1}")
        entries.append("\n".join(lines))
    return "\nnext\n".join(entries) + "\n"


def run_load(
    url: str, clients: int, per_client: int, size: int, ranged: bool
) -> tuple[float, float]:
    """(MB/s, requests/s) of ``clients`` curl processes running at once."""
    rng = random.Random(42)
    configs = []
    for _ in range(clients):
        path = WORK / f"load-{uuid.uuid4().hex}.curl"
        path.write_text(curl_config(url, per_client, size, ranged, rng))
        configs.append(str(path))
    started = time.perf_counter()
    processes = [
        subprocess.Popen(["curl", "-s", "-K", cfg], stdout=subprocess.PIPE, text=True)
        for cfg in configs
    ]
    outputs = [p.communicate()[0] for p in processes]
    elapsed = time.perf_counter() - started
    for cfg in configs:
        os.unlink(cfg)
    total_bytes, requests = 0, 0
    expected = {"206"} if ranged else {"200"}
    for out in outputs:
        for status, downloaded in (line.split() for line in out.strip().splitlines()):
            if status not in expected:
                raise RuntimeError(f"unexpected HTTP {status} from {url}")
            total_bytes += int(downloaded)
            requests += 1
    if requests != clients * per_client:
        raise RuntimeError(f"{requests} of {clients * per_client} requests completed")
    return total_bytes / elapsed / 1e6, requests / elapsed


# --- the app side ------------------------------------------------------------------------


async def prepare_database(database_url: str, media_path: Path, size: int) -> str:
    """Migrate and create a user, a movie with the big file, and a share link; return its token."""
    from sqlalchemy import delete

    from revenge.core.db import Database
    from revenge.core.migrate import upgrade
    from revenge.core.security import hash_password, new_token, token_digest
    from revenge.library.models import Library, MediaFile, Movie
    from revenge.share_links.models import MediaGrant
    from revenge.users.models import User

    database = Database(database_url)
    await upgrade(database.engine)
    token = new_token(nbytes=32)
    async with database.transaction() as s:
        await s.execute(delete(Library).where(Library.path == str(media_path.parent)))
        await s.execute(delete(MediaFile).where(MediaFile.path == str(media_path)))
        user = User(
            username=f"bench{uuid.uuid4().hex[:8]}", password_hash=hash_password("bench-password")
        )
        library = Library(name="bench", kind="movies", path=str(media_path.parent))
        s.add_all([user, library])
        await s.flush()
        media_file = MediaFile(
            library_id=library.id,
            path=str(media_path),
            size_bytes=size,
            mtime=media_path.stat().st_mtime,
            mime_type="video/mp4",
        )
        s.add(media_file)
        await s.flush()
        movie = Movie(library_id=library.id, title="Benchmark", file_id=media_file.id)
        s.add(movie)
        await s.flush()
        s.add(
            MediaGrant(
                created_by=user.id,
                media_type="movie",
                media_id=movie.id,
                token_hash=token_digest(token),
            )
        )
    await database.dispose()
    return token


def start_app(database_url: str, port: int, secret: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "REVENGE_DATABASE_URL": database_url,
        "REVENGE_DATA_DIR": str(WORK / "data"),
        "REVENGE_SECRET_KEY": secret,
        "REVENGE_WORKERS": "0",
        "REVENGE_LOG_LEVEL": "WARNING",
        "REVENGE_ADMIN_PASSWORD": "bench-admin-password",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "revenge.main:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env=env,
        cwd=ROOT,
    )
    wait_for_port(port)
    return process


def measure_validation(database_url: str, token: str, secret: str, access_token: str) -> None:
    """Per-request cost of the checks, in process: the HMAC alone, and HMAC + grant + file query."""
    from sqlalchemy import text

    from revenge.core.config import Settings
    from revenge.core.db import Database
    from revenge.share_links import access, public

    settings = Settings(secret_key=secret, database_url=database_url, _env_file=None)  # type: ignore[call-arg]
    grant_id = uuid.UUID(access_token.split(".")[0])
    rounds = 20000
    started = time.perf_counter()
    for _ in range(rounds):
        access.is_valid(secret, grant_id, access_token)
    hmac_us = (time.perf_counter() - started) / rounds * 1e6

    async def round_trip() -> tuple[list[float], float]:
        database = Database(database_url)
        timings = []
        cpu_started = time.process_time()
        for _ in range(300):
            async with database.transaction() as session:
                t0 = time.perf_counter()
                await session.execute(text("SELECT 1"))
                timings.append(time.perf_counter() - t0)
        cpu = (time.process_time() - cpu_started) / len(timings)
        await database.dispose()
        return timings, cpu

    async def per_request() -> tuple[list[float], float]:
        database = Database(database_url)
        timings = []
        cpu_started = time.process_time()
        visitor = public.Visitor("0" * 64, "bench")
        for _ in range(300):
            async with database.transaction() as session:
                t0 = time.perf_counter()
                await public.prepare_stream(
                    session,
                    settings,
                    token,
                    access_token=access_token,
                    item_id=None,
                    range_header="bytes=0-1048575",
                    if_range=None,
                    download=False,
                    visitor=visitor,
                )
                timings.append(time.perf_counter() - t0)
        cpu = (time.process_time() - cpu_started) / len(timings)
        await database.dispose()
        return timings, cpu

    baseline_timings, baseline_cpu = asyncio.run(round_trip())
    baseline = median(baseline_timings)
    timings, cpu_per_check = asyncio.run(per_request())
    print(f"access token check (HMAC, no I/O):      {hmac_us:8.1f} µs per request")
    print(
        f"token + grant state + file (1 query):   {median(timings) * 1e3:8.3f} ms median, "
        f"{sorted(timings)[int(len(timings) * 0.95)] * 1e3:.3f} ms p95"
    )
    print(
        f"  CPU time in the app process:          {cpu_per_check * 1e3:8.3f} ms per request "
        "(incl. the transaction)"
    )
    print(
        f"baseline: `SELECT 1` in a transaction:  {baseline * 1e3:8.3f} ms median, "
        f"{baseline_cpu * 1e3:.3f} ms CPU (ratios {median(timings) / baseline:.2f} / "
        f"{cpu_per_check / baseline_cpu:.2f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--ranges", type=int, default=200, help="range requests per client")
    parser.add_argument(
        "--validation-only", action="store_true", help="only the per-request check cost"
    )
    args = parser.parse_args()
    size = args.size_mib * MiB
    WORK.mkdir(parents=True, exist_ok=True)
    docroot = WORK / "files"
    docroot.mkdir(exist_ok=True)
    media_path = docroot / "share_bench.bin"
    print(f"file: {media_path} ({args.size_mib} MiB)", flush=True)
    ensure_file(media_path, size)
    nginx_binary = ensure_nginx()

    from revenge.core.db import start_embedded_postgres, to_sqlalchemy_url

    database_url = to_sqlalchemy_url(start_embedded_postgres(WORK, "share_bench"))
    token = asyncio.run(prepare_database(database_url, media_path, size))
    secret = "bench-secret-" + "s" * 40
    app_port, nginx_port = free_port(), free_port()
    app = start_app(database_url, app_port, secret)
    nginx = start_nginx(nginx_binary, docroot, nginx_port)
    try:
        import httpx2 as httpx

        page = httpx.get(f"http://127.0.0.1:{app_port}/api/v1/share/{token}", timeout=30)
        page.raise_for_status()
        access_token = page.json()["access_token"]
        app_url = f"http://127.0.0.1:{app_port}/api/v1/share/{token}/stream?access={access_token}"
        nginx_url = f"http://127.0.0.1:{nginx_port}/{media_path.name}"
        if args.validation_only:
            measure_validation(database_url, token, secret, access_token)
            return
        # Warm the page cache so both servers read from memory, not the disk's first pass.
        run_load(nginx_url, 1, 1, size, ranged=False)
        cases = [
            ("full reads", 1, 2, False),
            ("full reads", 16, 1, False),
            ("1 MiB ranges", 1, args.ranges, True),
            ("1 MiB ranges", 16, max(1, args.ranges // 4), True),
        ]
        print(
            f"\n{'case':<14}{'clients':>8}  {'app MB/s':>10} {'req/s':>8}  {'nginx MB/s':>10} {'req/s':>8}  {'ratio':>6}"
        )
        for name, clients, per_client, ranged in cases:
            app_mbs, app_rps = run_load(app_url, clients, per_client, size, ranged)
            ngx_mbs, ngx_rps = run_load(nginx_url, clients, per_client, size, ranged)
            print(
                f"{name:<14}{clients:>8}  {app_mbs:>10.0f} {app_rps:>8.1f}  {ngx_mbs:>10.0f} {ngx_rps:>8.1f}"
                f"  {app_mbs / ngx_mbs:>6.2f}",
                flush=True,
            )
        print()
        measure_validation(database_url, token, secret, access_token)
    finally:
        stop(app)
        stop(nginx)


if __name__ == "__main__":
    main()
