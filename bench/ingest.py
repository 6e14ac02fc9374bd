"""Plays from other servers: webhook acknowledgements, time until applied, ListenBrainz imports.

Runs `revenge serve` (a real uvicorn process with its default 2 job workers) on its own
embedded PostgreSQL database, with a music library of 200,000 tracks and 2,000 movies seeded
directly, 20 users, a Jellyfin source and an API key per user. Then:

1. **Webhooks.** Jellyfin "send all properties" playback notifications (start, 8 progress,
   stop per play: the real plugin's rhythm), built by tests/fakes/media_servers.py and sent
   over raw keep-alive connections (a light client, so that it does not measure itself).
   Measured: the most events per second acknowledged (closed loop, 16 connections); the ack
   p50/p99 at 1,000 events/s offered (open loop: each event is due at its time and its latency
   counts from then); and the time from a burst's first post until the source's counters show
   every event applied (the drain jobs, running in the same `revenge serve` process).
   **Baseline, beside it:** one synchronous match-and-apply per event, what a receiver without
   an inbox would do before answering: the same events stored and drained one at a time in this
   process (store, parse, link the user, match, apply, commit), one after another.
2. **ListenBrainz imports.** `POST /1/submit-listens` with `listen_type=import` and 1,000 listens
   per request (half with a `recording_mbid`, half by artist + track name only), measured in
   listens matched and counted per second. **Baseline, beside it:** the same kind of listens sent
   as `single` submissions, one request per listen (one synchronous match-and-apply each).

Goals on a 2-core machine: ≥ 1,000 events/s acknowledged with p99 < 50 ms, and ≥ 5,000
listens/s imported.

    uv run python bench/ingest.py [--tracks 200000] [--events 6000] [--batches 10]
                                  [--part all|webhooks|listens]

Uses its own embedded PostgreSQL under bench/.work (a database created and dropped per run).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx2 as httpx

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "bench" / ".work"
sys.path.insert(0, str(ROOT))  # tests/fakes/media_servers.py builds the webhook bodies

from tests.fakes.media_servers import FakeItem, FakeUser, jellyfin_playback  # noqa: E402

ADMIN = ("bench-admin", "bench-admin-password-1")
USERS = 20
MOVIES = 2_000
ARTISTS = 5_000
ALBUMS_PER_ARTIST = 4
CLOSED_LOOP_CONNECTIONS = 16
OPEN_LOOP_CONNECTIONS = 64
OFFERED_RATE = 1_000.0  # events per second, the goal


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- the database ----------------------------------------------------------------------------


async def create_database(tracks: int) -> tuple[str, str]:
    """A migrated database with the library seeded; returns (server URL, its URL)."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    from revenge.core.db import start_embedded_postgres, to_sqlalchemy_url
    from revenge.core.migrate import upgrade

    WORK.mkdir(parents=True, exist_ok=True)
    server = to_sqlalchemy_url(start_embedded_postgres(WORK, "postgres"))
    name = f"bench_ingest_{uuid.uuid4().hex[:6]}"
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    base, _, query = server.partition("?")
    url = base.rsplit("/", 1)[0] + "/" + name + (f"?{query}" if query else "")
    engine = create_async_engine(url)
    await upgrade(engine)
    await engine.dispose()
    await seed_library(url, tracks)
    return server, url


def artist_name(n: int) -> str:
    return f"Bench Artist {n:05d}"


def track_title(n: int) -> str:
    return f"Song Number {n:06d}"


def recording_id(n: int) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_OID, f"recording-{n}"))


async def seed_library(url: str, tracks: int) -> None:
    """Movies with TMDB ids and tracks with their match keys, written in bulk (a real scan of
    200,000 files is bench/library_scan.py's business, not this one's)."""
    from sqlalchemy import insert, text
    from sqlalchemy.ext.asyncio import create_async_engine

    from revenge.library.match_keys import title_key, track_match_key
    from revenge.library.models import Album, Artist, Library, Movie, Track

    engine = create_async_engine(url)
    films, music = uuid.uuid4(), uuid.uuid4()
    async with engine.begin() as conn:
        await conn.execute(
            insert(Library),
            [
                # Seeded rows with no files behind them: no scheduled scan may mark them missing.
                {
                    "id": films,
                    "name": "Films",
                    "kind": "movies",
                    "path": "/bench/films",
                    "scan_interval_minutes": 0,
                },
                {
                    "id": music,
                    "name": "Music",
                    "kind": "music",
                    "path": "/bench/music",
                    "scan_interval_minutes": 0,
                },
            ],
        )
        await conn.execute(
            insert(Movie),
            [
                {
                    "library_id": films,
                    "title": f"Bench Film {n}",
                    "match_key": title_key(f"Bench Film {n}"),
                    "year": 1990 + n % 30,
                    "tmdb_id": 100_000 + n,
                    "duration_ms": 2 * 3600 * 1000,
                }
                for n in range(MOVIES)
            ],
        )
        artists = [uuid.uuid4() for _ in range(ARTISTS)]
        await conn.execute(
            insert(Artist),
            [{"id": a, "library_id": music, "name": artist_name(n)} for n, a in enumerate(artists)],
        )
        albums = [(uuid.uuid4(), artists[n % ARTISTS]) for n in range(ARTISTS * ALBUMS_PER_ARTIST)]
        await conn.execute(
            insert(Album),
            [
                {"id": album, "artist_id": artist, "title": f"Album {n}"}
                for n, (album, artist) in enumerate(albums)
            ],
        )
        for start in range(0, tracks, 20_000):
            rows = []
            for n in range(start, min(tracks, start + 20_000)):
                album, artist = albums[n % len(albums)]
                artist_n = (n % len(albums)) % ARTISTS
                rows.append(
                    {
                        "album_id": album,
                        "artist_id": artist,
                        "title": track_title(n),
                        "match_key": track_match_key(artist_name(artist_n), track_title(n)),
                        "duration_ms": 200_000 + n % 100_000,
                        "musicbrainz_recording_id": recording_id(n),
                    }
                )
            await conn.execute(insert(Track), rows)
        # Statistics, as autovacuum would gather them on a server that has been running.
        await conn.execute(text("ANALYZE"))
    await engine.dispose()


async def drop_database(server: str, url: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    name = url.rsplit("/", 1)[1].partition("?")[0]
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


@contextmanager
def revenge_serve(url: str, data_dir: str) -> Iterator[str]:
    """`revenge serve` with its production defaults (2 job workers); yields its base URL."""
    from revenge.core.db import to_libpq_url

    port = free_port()
    env = {
        **os.environ,
        "REVENGE_DATABASE_URL": to_libpq_url(url),
        "REVENGE_DATA_DIR": data_dir,
        "REVENGE_PORT": str(port),
        "REVENGE_HOST": "127.0.0.1",
        "REVENGE_LOG_LEVEL": "ERROR",
        "REVENGE_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "REVENGE_ADMIN_USERNAME": ADMIN[0],
        "REVENGE_ADMIN_PASSWORD": ADMIN[1],
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


# --- setting up through the API --------------------------------------------------------------


async def setup(client: httpx.AsyncClient) -> tuple[dict[str, str], list[str], dict]:
    """Admin headers, one API key per user, and a Jellyfin source (with its webhook URL)."""
    login = await client.post(
        "/api/v1/auth/login", json={"username": ADMIN[0], "password": ADMIN[1]}
    )
    login.raise_for_status()
    admin = {"authorization": f"Bearer {login.json()['access_token']}"}
    keys = []
    for n in range(USERS):
        username, password = f"listener{n:02d}", f"listener-password-{n:02d}"
        created = await client.post(
            "/api/v1/admin/users",
            headers=admin,
            json={"username": username, "password": password, "email": f"{username}@example.com"},
        )
        created.raise_for_status()
        token = (
            await client.post(
                "/api/v1/auth/login", json={"username": username, "password": password}
            )
        ).json()["access_token"]
        key = await client.post(
            "/api/v1/users/me/api-keys",
            headers={"authorization": f"Bearer {token}"},
            json={"name": "bench"},
        )
        key.raise_for_status()
        keys.append(key.json()["key"])
    source = await client.post(
        "/api/v1/admin/sources", headers=admin, json={"kind": "jellyfin", "name": "Bench"}
    )
    source.raise_for_status()
    return admin, keys, source.json()


def webhook_events(count: int, start: datetime) -> list[tuple[str, bytes, dict[str, str]]]:
    """Plays of movies by the users: start, 8 progress notifications 10 s apart, stop."""
    users = [FakeUser(name=f"listener{n:02d}") for n in range(USERS)]
    requests: list[tuple[str, bytes, dict[str, str]]] = []
    play = 0
    while len(requests) < count:
        user = users[play % USERS]
        n = play % MOVIES
        item = FakeItem(
            kind="movie", title=f"Bench Film {n}", year=1990 + n % 30, tmdb_id=100_000 + n
        )
        at = start + timedelta(hours=play // USERS * 3)
        steps = [("PlaybackStart", 0)]
        steps += [("PlaybackProgress", (k + 1) * 10_000) for k in range(8)]
        steps += [("PlaybackStop", 90_000)]
        for kind, offset in steps:
            request = jellyfin_playback(
                kind,  # type: ignore[arg-type]
                user,
                item,
                at=at + timedelta(milliseconds=offset),
                position_ms=offset,
            )
            requests.append((kind, request.body, request.headers))
        play += 1
    return requests[:count]


# --- part 1: webhooks --------------------------------------------------------------------------


class RawConnection:
    """A keep-alive HTTP/1.1 connection that sends prebuilt requests: the client's own CPU
    stays far below the server's (httpx would spend about as much per request as the server
    on this 2-core machine and so measure itself)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, request: bytes) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        await self.reader.readexactly(length)
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def raw_request(path: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines += [f"Content-Length: {len(body)}", "", ""]
    return "\r\n".join(lines).encode() + body


async def post_webhooks(
    base: str,
    path: str,
    events: list[tuple[str, bytes, dict[str, str]]],
    *,
    rate: float | None,
    connections: int,
) -> tuple[list[float], float, int]:
    """Post every event over ``connections`` keep-alive connections; returns the ack latencies,
    the wall time and the non-2xx count.

    ``rate`` None: closed loop, each connection posts its next event when the last is answered
    (the most the server acknowledges). A rate: open loop, event i is due at i / rate seconds,
    and its latency counts from when it was due, so a server that falls behind is charged for
    the wait (no coordinated omission)."""
    host, port = base.removeprefix("http://").split(":")
    requests = [raw_request(path, body, headers) for _, body, headers in events]
    latencies: list[float] = []
    failures = 0
    next_index = 0
    started = time.perf_counter()

    async def sender() -> None:
        nonlocal failures, next_index
        connection = RawConnection(host, int(port))
        try:
            while next_index < len(requests):
                index = next_index
                next_index += 1
                due = started + index / rate if rate else time.perf_counter()
                if rate and (wait := due - time.perf_counter()) > 0:
                    await asyncio.sleep(wait)
                status = await connection.post(requests[index])
                latencies.append(time.perf_counter() - due)
                if status >= 300:
                    failures += 1
        finally:
            connection.close()

    await asyncio.gather(*(sender() for _ in range(connections)))
    return latencies, time.perf_counter() - started, failures


async def wait_applied(
    client: httpx.AsyncClient, admin: dict[str, str], source_id: str, total: int
) -> dict:
    """Poll the source until every received event is accounted for."""
    deadline = time.monotonic() + 600
    while True:
        source = (await client.get(f"/api/v1/admin/sources/{source_id}", headers=admin)).json()
        done = source["applied"] + source["duplicates"] + source["unmatched"]
        if done >= total or time.monotonic() > deadline:
            return dict(source)
        await asyncio.sleep(0.05)


async def baseline_webhooks(
    url: str, source_id: str, token: str, events: list[tuple[str, bytes, dict[str, str]]]
) -> list[float]:
    """One synchronous match-and-apply per event: store it and drain it before the next."""
    from revenge.core.config import Settings, set_settings
    from revenge.core.db import Database, set_database
    from revenge.ingest import receiver
    from revenge.ingest.drain import drain_source

    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    set_settings(settings)
    database = Database(url, pool_size=2, max_overflow=0)
    set_database(database)
    latencies = []
    try:
        for _, body, headers in events:
            began = time.perf_counter()
            await receiver.receive_webhook(source_id, token, headers["Content-Type"], body)
            await drain_source(uuid.UUID(source_id), settings)
            latencies.append(time.perf_counter() - began)
    finally:
        set_database(None)
        await database.dispose()
    return latencies


# --- part 2: ListenBrainz imports -------------------------------------------------------------


def listen(n: int, listened_at: int, *, with_mbid: bool) -> dict:
    artist_n = (n % (ARTISTS * ALBUMS_PER_ARTIST)) % ARTISTS
    info = {"submission_client": "bench", "duration_ms": 200_000 + n % 100_000}
    if with_mbid:
        info["recording_mbid"] = recording_id(n)
    return {
        "listened_at": listened_at,
        "track_metadata": {
            "artist_name": artist_name(artist_n),
            "track_name": track_title(n),
            "additional_info": info,
        },
    }


async def imports(base: str, key: str, tracks: int, batches: int, first_ts: int) -> list[float]:
    """``batches`` imports of 1,000 listens; returns the seconds each took."""
    seconds = []
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        for batch in range(batches):
            payload = [
                listen(
                    (batch * 7919 + k * 104_729) % tracks,
                    first_ts + batch * 1_000 + k,
                    with_mbid=k % 2 == 0,
                )
                for k in range(1_000)
            ]
            began = time.perf_counter()
            response = await client.post(
                "/1/submit-listens",
                json={"listen_type": "import", "payload": payload},
                headers={"Authorization": f"Token {key}"},
            )
            seconds.append(time.perf_counter() - began)
            response.raise_for_status()
    return seconds


async def singles(base: str, key: str, tracks: int, count: int, first_ts: int) -> list[float]:
    seconds = []
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        for k in range(count):
            began = time.perf_counter()
            response = await client.post(
                "/1/submit-listens",
                json={
                    "listen_type": "single",
                    "payload": [
                        listen((k * 15_485_863) % tracks, first_ts + k, with_mbid=k % 2 == 0)
                    ],
                },
                headers={"Authorization": f"Token {key}"},
            )
            seconds.append(time.perf_counter() - began)
            response.raise_for_status()
    return seconds


async def counted_plays(url: str, source: str) -> int:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url)
    async with engine.connect() as conn:
        found = await conn.execute(
            text("SELECT count(*) FROM shared.play_sessions WHERE counted AND source = :s"),
            {"s": source},
        )
        total = int(found.scalar_one())
    await engine.dispose()
    return total


# --- the run ------------------------------------------------------------------------------------


async def webhook_part(
    base: str, client: httpx.AsyncClient, admin: dict[str, str], source: dict, event_count: int
) -> tuple[float, list[float]]:
    """Prints the webhook figures; returns the max ack rate and the open-loop latencies."""
    path = source["webhook_url"].removeprefix(base)
    # Plays in the past (playback refuses events from the future).
    start = datetime.now(UTC) - timedelta(days=300)
    events = webhook_events(event_count, start)
    # Closed loop: the most the server acknowledges (the drain jobs run meanwhile in the same
    # process, as they do in `revenge serve`).
    closed, wall, failures = await post_webhooks(
        base, path, events, rate=None, connections=CLOSED_LOOP_CONNECTIONS
    )
    ack_rate = len(events) / wall
    # Open loop at the goal's rate, on a fresh burst: latency as senders see it; then the time
    # from its first post until every event is applied.
    later = webhook_events(event_count, start + timedelta(days=100))
    began = time.perf_counter()
    opened, wall2, failures2 = await post_webhooks(
        base, path, later, rate=OFFERED_RATE, connections=OPEN_LOOP_CONNECTIONS
    )
    finished = await wait_applied(client, admin, source["id"], len(events) + len(later))
    until_applied = time.perf_counter() - began
    print()
    print(f"webhooks: bursts of {len(events):,} Jellyfin playback events")
    print(
        f"  max acknowledged {ack_rate:6.0f} events/s   ({CLOSED_LOOP_CONNECTIONS} connections, closed loop;"
        f" p50 {percentile(closed, 0.5) * 1000:.1f} ms, p99 {percentile(closed, 0.99) * 1000:.1f} ms; non-2xx {failures})"
    )
    print(
        f"  at {OFFERED_RATE:,.0f}/s offered  ack p50 {percentile(opened, 0.5) * 1000:6.1f} ms   p99 {percentile(opened, 0.99) * 1000:6.1f} ms"
        f"   (achieved {len(later) / wall2:.0f}/s; non-2xx {failures2})"
    )
    print(
        f"  until applied    {until_applied:6.2f} s from the first post to the last event applied"
        f" ({len(later) / until_applied:.0f} events/s applied)"
    )
    print(
        f"  source           applied {finished['applied']:,}  duplicates {finished['duplicates']:,}"
        f"  unmatched {finished['unmatched']:,}  error {finished['last_error']}"
    )
    return ack_rate, opened


async def webhook_baseline_part(
    url: str, baseline_events: int, ack_rate: float, opened: list[float]
) -> None:
    """One synchronous match-and-apply per event, with the server stopped (same database)."""
    source_id, token = await new_source(url)
    start = datetime.now(UTC) - timedelta(days=100)
    baseline = await baseline_webhooks(
        url, source_id, token, webhook_events(baseline_events, start)
    )
    baseline_rate = len(baseline) / sum(baseline)
    print()
    print(
        f"baseline: one synchronous match-and-apply per event ({len(baseline):,} events, one after another)"
    )
    print(
        f"  per event     {baseline_rate:8.0f} events/s   p50 {percentile(baseline, 0.5) * 1000:6.1f} ms   p99 {percentile(baseline, 0.99) * 1000:6.1f} ms"
    )
    print(
        f"  ratio         {ack_rate / baseline_rate:8.1f} × events/s acknowledged; ack p99 at"
        f" {OFFERED_RATE:,.0f}/s offered vs a synchronous apply's p99:"
        f" {percentile(opened, 0.99) * 1000:.1f} ms vs {percentile(baseline, 0.99) * 1000:.1f} ms"
    )


async def listen_part(base: str, keys: list[str], tracks: int, batches: int, url: str) -> None:
    first_ts = int(datetime(2025, 1, 1, tzinfo=UTC).timestamp())
    seconds = await imports(base, keys[0], tracks, batches, first_ts)
    listens = batches * 1_000
    import_rate = listens / sum(seconds)
    single_seconds = await singles(base, keys[1], tracks, 500, first_ts)
    single_rate = len(single_seconds) / sum(single_seconds)
    counted = await counted_plays(url, "listenbrainz")
    print()
    print(f"ListenBrainz: {batches} imports of 1,000 listens into {tracks:,} tracks")
    print(
        f"  import        {import_rate:8.0f} listens/s   per batch p50 {percentile(seconds, 0.5) * 1000:6.0f} ms   max {max(seconds) * 1000:6.0f} ms"
    )
    print(
        f"  baseline      {single_rate:8.0f} listens/s   (one 'single' request per listen, p50 {percentile(single_seconds, 0.5) * 1000:.1f} ms)"
    )
    print(f"  ratio         {import_rate / single_rate:8.1f} ×")
    print(f"  counted plays from /1/: {counted:,} (expected {listens + len(single_seconds):,})")


async def run(tracks: int, event_count: int, batches: int, baseline_events: int, part: str) -> None:
    print(f"seeding {tracks:,} tracks and {MOVIES:,} movies …", flush=True)
    began = time.perf_counter()
    server, url = await create_database(tracks)
    print(f"  seeded in {time.perf_counter() - began:.1f} s", flush=True)
    try:
        with tempfile.TemporaryDirectory(prefix="revenge-ingest-") as data_dir:
            with revenge_serve(url, data_dir) as base:
                async with httpx.AsyncClient(base_url=base, timeout=60) as client:
                    admin, keys, source = await setup(client)
                    if part in ("all", "webhooks"):
                        ack_rate, opened = await webhook_part(
                            base, client, admin, source, event_count
                        )
                if part in ("all", "listens"):
                    await listen_part(base, keys, tracks, batches, url)
            if part in ("all", "webhooks"):
                await webhook_baseline_part(url, baseline_events, ack_rate, opened)
    finally:
        await drop_database(server, url)


async def new_source(url: str) -> tuple[str, str]:
    """A second Jellyfin source for the baseline (its own counters)."""
    from revenge.core.config import Settings, set_settings
    from revenge.core.db import Database
    from revenge.ingest.schemas import SourceCreate
    from revenge.ingest.sources import create_source

    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    set_settings(settings)
    database = Database(url, pool_size=1, max_overflow=0)
    async with database.transaction() as session:
        created = await create_source(
            session, settings, SourceCreate(kind="jellyfin", name="Baseline")
        )
    await database.dispose()
    return str(created.id), created.token


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tracks", type=int, default=200_000)
    parser.add_argument("--events", type=int, default=6_000)
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--baseline-events", type=int, default=1_000)
    parser.add_argument("--part", choices=("all", "webhooks", "listens"), default="all")
    args = parser.parse_args()
    asyncio.run(run(args.tracks, args.events, args.batches, args.baseline_events, args.part))


if __name__ == "__main__":
    main()
