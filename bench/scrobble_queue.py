"""Scrobble queue throughput: batched delivery vs one request per scrobble, same run.

Queues 100,000 music plays for 100 users, each connected to Last.fm and ListenBrainz (so
200,000 queue rows), on fakes running in a separate process (real HTTP on 127.0.0.1), then
drains the queue with the real delivery code (`deliver_pending_scrobbles`), first with
zero-latency fakes, then with 50 ms added to every provider response. The baseline is the
same code with batching switched off (one request per scrobble); it runs on a subset of the
queue (see --baseline-plays) and its rate is extrapolated, which the output says.

    uv run python bench/scrobble_queue.py [--plays 100000] [--users 100] [--concurrency 4]

Its own embedded PostgreSQL lives under bench/.work.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx2 as httpx  # noqa: E402
from fastapi import Request  # noqa: E402
from pydantic import SecretStr  # noqa: E402
from sqlalchemy import text  # noqa: E402

from revenge.core.config import (  # noqa: E402
    LastfmSettings,
    ListenBrainzSettings,
    ScrobbleSettings,
    Settings,
    set_settings,
)
from revenge.core.db import (  # noqa: E402
    Database,
    raw_connection,
    set_database,
    start_embedded_postgres,
)
from revenge.core.migrate import upgrade  # noqa: E402
from revenge.library.snapshots import ItemSnapshot  # noqa: E402
from revenge.scrobbling import delivery  # noqa: E402
from revenge.scrobbling import queue as scrobbling_queue  # noqa: E402
from revenge.scrobbling.connections import seal  # noqa: E402
from revenge.scrobbling.models import ScrobbleConnection  # noqa: E402
from revenge.scrobbling.providers.lastfm import LastfmProvider  # noqa: E402
from revenge.scrobbling.providers.listenbrainz import ListenBrainzProvider  # noqa: E402
from revenge.users.models import User  # noqa: E402

WORK = ROOT / "bench" / ".work"
PROVIDERS = ("lastfm", "listenbrainz")


# --- the fakes, in their own process ------------------------------------------------------------
def _serve_fakes(port_lastfm: int, port_lb: int, users: int) -> None:
    import uvicorn
    from tests.fakes.lastfm import FakeLastfm
    from tests.fakes.listenbrainz import FakeListenBrainz

    lastfm, lb = FakeLastfm(), FakeListenBrainz()
    for i in range(users):
        lastfm.sessions[f"sk{i:032d}"] = f"user{i}"
        lb.tokens[f"tok{i:032d}"] = f"user{i}"

    def with_control(fake, app):
        @app.get("/_stats")
        async def stats() -> dict:
            accepted = fake.scrobbles if fake is lastfm else fake.listens
            distinct = {
                (s["user"], int(s.get("timestamp") or s.get("listened_at"))) for s in accepted
            }
            return {"accepted": len(accepted), "distinct": len(distinct)}

        @app.post("/_config")
        async def config(request: Request) -> dict:
            body = await request.json()
            fake.failures.delay = float(body.get("delay", 0))
            if body.get("reset"):
                (fake.scrobbles if fake is lastfm else fake.listens).clear()
            return {"ok": True}

        return app

    async def main() -> None:
        servers = [
            uvicorn.Server(
                uvicorn.Config(
                    with_control(lastfm, lastfm.app()),
                    host="127.0.0.1",
                    port=port_lastfm,
                    log_level="warning",
                    access_log=False,
                )
            ),
            uvicorn.Server(
                uvicorn.Config(
                    with_control(lb, lb.app()),
                    host="127.0.0.1",
                    port=port_lb,
                    log_level="warning",
                    access_log=False,
                )
            ),
        ]
        await asyncio.gather(*(s.serve() for s in servers))

    asyncio.run(main())


async def _control(url: str, path: str, body: dict | None = None) -> dict:
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        response = await (client.post(path, json=body) if body is not None else client.get(path))
        response.raise_for_status()
        return response.json()


# --- data ---------------------------------------------------------------------------------------
async def prepare(
    database: Database, settings: Settings, users: int, plays: int
) -> list[uuid.UUID]:
    async with database.engine.begin() as conn:
        await conn.execute(
            text(
                "TRUNCATE shared.scrobble_queue, shared.scrobble_connections, shared.users CASCADE"
            )
        )
    user_ids = [uuid.uuid4() for _ in range(users)]
    async with database.transaction() as session:
        for i, user_id in enumerate(user_ids):
            session.add(
                User(
                    id=user_id,
                    username=f"bench{i}",
                    email=f"bench{i}@example.test",
                    password_hash="x",
                )
            )
        await session.flush()
        for i, user_id in enumerate(user_ids):
            session.add(
                ScrobbleConnection(
                    user_id=user_id,
                    provider="lastfm",
                    access_token=seal(settings, f"sk{i:032d}"),
                    username=f"user{i}",
                )
            )
            session.add(
                ScrobbleConnection(
                    user_id=user_id,
                    provider="listenbrainz",
                    access_token=seal(settings, f"tok{i:032d}"),
                    username=f"user{i}",
                )
            )
    per_user = plays // users
    base = datetime.now(UTC) - timedelta(days=10)
    now = datetime.now(UTC)
    rows: list[dict] = []
    for u, user_id in enumerate(user_ids):
        for j in range(per_user):
            media_id = uuid.uuid4()
            at = base + timedelta(seconds=300 * j + u)
            snapshot = ItemSnapshot(
                media_type="track",
                media_id=str(media_id),
                title=f"Track {j}",
                artist=f"Artist {j % 37}",
                album=f"Album {j % 11}",
                duration_ms=240_000,
                musicbrainz_recording_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"rec{j}")),
            ).to_json()
            for provider in PROVIDERS:
                rows.append(
                    {
                        "id": uuid.uuid4(),
                        "user_id": user_id,
                        "provider": provider,
                        "media_type": "track",
                        "media_id": media_id,
                        "action": "scrobble",
                        "timestamp": at,
                        "play_started_at": at,
                        "idempotency_key": scrobbling_queue.idempotency_key(
                            "track", media_id, int(at.timestamp() * 1000), "scrobble", None
                        ),
                        "payload": snapshot,
                        "status": "pending",
                        "next_attempt_at": now,
                    }
                )
    # COPY: the fastest way in; the rows are what the playback jobs would have inserted.
    from psycopg.types.json import Jsonb

    columns = list(rows[0])
    async with database.transaction() as session:
        raw = await raw_connection(session)
        async with raw.cursor() as cursor:
            statement = f"COPY shared.scrobble_queue ({', '.join(columns)}) FROM STDIN"
            async with cursor.copy(statement) as copy:
                for row in rows:
                    await copy.write_row(
                        [Jsonb(row[c]) if c == "payload" else row[c] for c in columns]
                    )
    async with database.engine.connect() as conn:
        await conn.execute(text("ANALYZE shared.scrobble_queue"))
    return user_ids


async def reset_queue(database: Database) -> None:
    async with database.transaction() as session:
        await session.execute(
            text(
                "UPDATE shared.scrobble_queue SET status='pending', sent_at=NULL, retry_count=0, next_attempt_at=now(), last_error=NULL"
            )
        )
    async with database.engine.connect() as conn:
        await conn.execute(text("ANALYZE shared.scrobble_queue"))


async def drain(
    settings: Settings, pairs: list[tuple[uuid.UUID, str]], concurrency: int
) -> tuple[int, float]:
    """Run the real delivery for every (user, provider), ``concurrency`` at a time."""
    semaphore = asyncio.Semaphore(concurrency)
    sent = 0

    async def one(user_id: uuid.UUID, provider: str) -> None:
        nonlocal sent
        async with semaphore:
            report = await delivery.deliver_pending_scrobbles(user_id, provider, settings)
            if report.postponed or report.failed:
                raise RuntimeError(f"delivery trouble: {report}")
            sent += report.sent

    started = time.perf_counter()
    await asyncio.gather(*(one(u, p) for u, p in pairs))
    return sent, time.perf_counter() - started


def one_by_one(enabled: bool) -> None:
    """The baseline: the same delivery code with batching off (one request per scrobble)."""
    LastfmProvider.batch_size = 1 if enabled else 50
    ListenBrainzProvider.batch_size = 1 if enabled else 1000


async def run(args: argparse.Namespace) -> None:
    WORK.mkdir(parents=True, exist_ok=True)
    url = start_embedded_postgres(WORK, "scrobble_bench")
    database = Database(url, pool_size=args.concurrency + 4, max_overflow=4)
    await upgrade(database.engine)
    set_database(database)

    from tests.helpers import free_port

    port_lastfm, port_lb = free_port(), free_port()
    fakes = multiprocessing.get_context("spawn").Process(
        target=_serve_fakes, args=(port_lastfm, port_lb, args.users), daemon=True
    )
    fakes.start()
    lastfm_url, lb_url = f"http://127.0.0.1:{port_lastfm}", f"http://127.0.0.1:{port_lb}"
    for _ in range(200):
        try:
            await _control(lastfm_url, "/_stats")
            await _control(lb_url, "/_stats")
            break
        except httpx.TransportError:
            await asyncio.sleep(0.1)

    settings = Settings(
        environment="test",
        data_dir=WORK,
        secret_key="bench-secret-" + "x" * 40,
        lastfm=LastfmSettings(
            api_url=f"{lastfm_url}/2.0/",
            api_key="0123456789abcdef0123456789abcdef",
            api_secret=SecretStr("lastfm-shared-secret"),
        ),
        listenbrainz=ListenBrainzSettings(api_url=lb_url),
        scrobble=ScrobbleSettings(),
        _env_file=None,  # type: ignore[call-arg]
    )
    set_settings(settings)

    t0 = time.perf_counter()
    user_ids = await prepare(database, settings, args.users, args.plays)
    print(
        f"queued {args.plays:,} plays x {len(PROVIDERS)} providers = {args.plays * 2:,} queue rows "
        f"for {args.users} users in {time.perf_counter() - t0:.1f}s"
    )
    baseline_users = max(1, args.baseline_plays * args.users // args.plays)
    print(
        f"concurrency {args.concurrency} drains; baseline = one request per scrobble on "
        f"{baseline_users} users ({baseline_users * args.plays // args.users:,} plays per provider), extrapolated as a rate"
    )
    print()
    print(f"{'latency':>8} {'provider':>13} {'batched/s':>10} {'one-by-one/s':>13} {'ratio':>7}")
    for latency in (0.0, 0.05):
        await reset_queue(database)
        for url_ in (lastfm_url, lb_url):
            await _control(url_, "/_config", {"delay": latency, "reset": True})
        results = {}
        for provider in PROVIDERS:
            # Baseline first, on its subset; then reset that subset and run everything batched.
            one_by_one(True)
            subset = [(u, provider) for u in user_ids[:baseline_users]]
            base_sent, base_time = await drain(settings, subset, args.concurrency)
            one_by_one(False)
            await reset_queue(database)
            for url_ in (lastfm_url, lb_url):
                await _control(url_, "/_config", {"delay": latency, "reset": True})
            pairs = [(u, provider) for u in user_ids]
            sent, elapsed = await drain(settings, pairs, args.concurrency)
            stats = await _control(lastfm_url if provider == "lastfm" else lb_url, "/_stats")
            assert sent == args.plays // args.users * args.users, (sent, args.plays)
            assert stats["accepted"] == stats["distinct"] == sent, stats  # each play once
            results[provider] = (sent / elapsed, base_sent / base_time)
            print(
                f"{int(latency * 1000):>6}ms {provider:>13} {sent / elapsed:>10,.0f} {base_sent / base_time:>13,.0f} "
                f"{(sent / elapsed) / (base_sent / base_time):>6.1f}x   ({sent:,} in {elapsed:.1f}s; baseline {base_sent:,} in {base_time:.1f}s)"
            )
    fakes.terminate()
    await database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--plays", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--baseline-plays", type=int, default=2_000)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
