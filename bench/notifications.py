"""Fan out one "new content" event to 10,000 users (in-app + webhook to a local receiver).

Prints notifications stored per second, webhook deliveries per second and the time until the
last delivery, and compares with a naive baseline measured in the same run: one INSERT and
one signed HTTP POST per user, sequentially. Uses its own embedded PostgreSQL database under
bench/.work/ (fresh each run), migrated with the real migrations.

    uv run python bench/notifications.py [--users 10000] [--baseline-users 500]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx2 as httpx
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import create_async_engine

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from revenge import worker  # noqa: E402,F401  (registers the jobs notify defers)
from revenge.core.config import Settings, set_settings  # noqa: E402
from revenge.core.db import (  # noqa: E402
    Database,
    set_database,
    start_embedded_postgres,
    to_sqlalchemy_url,
)
from revenge.core.migrate import upgrade  # noqa: E402
from revenge.core.security import hash_password  # noqa: E402
from revenge.notifications import delivery, service  # noqa: E402
from revenge.notifications.channels.base import DeliveryItem, Recipient  # noqa: E402
from revenge.notifications.channels.webhook import new_secret, seal_secret, sign  # noqa: E402
from revenge.notifications.channels.webhook_payload import render_payload  # noqa: E402
from revenge.notifications.models import Notification, NotificationChannel  # noqa: E402
from revenge.notifications.types import ChannelKind  # noqa: E402
from revenge.users.models import User  # noqa: E402

WORK = ROOT / "bench" / ".work"
# BENCH_PROFILE=fanout or =delivery prints a cProfile of that phase instead of the figures.
PROFILE = os.environ.get("BENCH_PROFILE", "")


# A webhook receiver in its own process (not sharing the sender's CPU time), importing only
# uvicorn so it starts fast. It answers 204 and counts; GET /count reports the count.
RECEIVER = """
import sys, uvicorn
count = 0
async def app(scope, receive, send):
    global count
    if scope["type"] != "http":
        return
    more = True
    while more:
        more = (await receive()).get("more_body", False)
    if scope["path"] == "/count":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": str(count).encode()})
        return
    count += 1
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _wait_for(url: str) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(2400):
            try:
                await client.get(url)
                return
            except httpx.HTTPError:
                await asyncio.sleep(0.05)
    raise RuntimeError("receiver did not start")


async def _seed_users(
    database: Database, settings: Settings, n: int, hook_url: str
) -> list[uuid.UUID]:
    password = hash_password("bench-password")
    ids = [uuid.uuid4() for _ in range(n)]
    secret = seal_secret(settings, new_secret())
    async with database.transaction() as s:
        await s.execute(
            insert(User),
            [
                {
                    "id": uid,
                    "username": f"bench{i}",
                    "email": f"bench{i}@example.com",
                    "password_hash": password,
                    "locale": ("en", "de", "es", "fr")[i % 4],
                }
                for i, uid in enumerate(ids)
            ],
        )
        await s.execute(
            insert(NotificationChannel),
            [
                {
                    "user_id": uid,
                    "channel_type": "webhook",
                    "name": "bench",
                    "config": {"url": hook_url, "secret_encrypted": secret},
                }
                for uid in ids
            ],
        )
    return ids


async def _baseline(database: Database, user_ids: list[uuid.UUID], hook_url: str) -> float:
    """Naive: per user, one INSERT in its own transaction, then one signed POST, in sequence."""
    secret = new_secret()
    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=10) as client:
        for uid in user_ids:
            async with database.transaction() as s:
                notification = Notification(
                    user_id=uid,
                    type="new_content",
                    title="New: Bench",
                    message="Bench is now available in your library.",
                    data={"title": "Bench"},
                    locale="en",
                )
                s.add(notification)
                await s.flush()
            item = DeliveryItem(
                delivery_id=uuid.uuid4(),
                notification_id=notification.id,
                target_key="x",
                attempt=1,
                type="new_content",
                category="new_content",
                title=notification.title,
                message=notification.message,
                data=notification.data,
                created_at=notification.created_at,
                recipient=Recipient(uid, "u", None, None, "en", "UTC"),
            )
            body, content_type = render_payload(None, item)
            ts = int(time.time())
            msg_id = f"msg_{item.delivery_id.hex}"
            response = await client.post(
                hook_url,
                content=body,
                headers={
                    "content-type": content_type,
                    "webhook-id": msg_id,
                    "webhook-timestamp": str(ts),
                    "webhook-signature": sign(secret, msg_id, ts, body),
                },
            )
            response.raise_for_status()
    return len(user_ids) / (time.perf_counter() - started)


async def main(users: int, baseline_users: int) -> None:
    WORK.mkdir(parents=True, exist_ok=True)
    server = to_sqlalchemy_url(start_embedded_postgres(WORK, "postgres"))
    name = f"bench_notifications_{os.getpid()}"
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    base, _, query = server.partition("?")
    url = base.rsplit("/", 1)[0] + "/" + name + (f"?{query}" if query else "")
    engine = create_async_engine(url)
    await upgrade(engine)
    await engine.dispose()

    settings = Settings(
        environment="test",
        data_dir=WORK,
        secret_key="bench-secret-" + "x" * 40,
        _env_file=None,  # type: ignore[call-arg]
    )
    settings.webhook.allow_list = "127.0.0.1/32"
    set_settings(settings)
    database = Database(url, pool_size=10, max_overflow=10)
    set_database(database)

    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-c", RECEIVER, str(port)])
    hook = f"http://127.0.0.1:{port}/hook"
    try:
        await _wait_for(f"http://127.0.0.1:{port}/count")
        user_ids = await _seed_users(database, settings, users + baseline_users, hook)
        fan_out_ids, baseline_ids = user_ids[:users], user_ids[users:]
        # Baseline users have no channel in the fan-out: delete theirs (the fan-out targets all).
        async with database.transaction() as s:
            await s.execute(
                text("DELETE FROM shared.users WHERE id = ANY(:ids)"), {"ids": baseline_ids}
            )
        async with database.transaction() as s:
            await s.execute(
                insert(User),
                [
                    {"id": uid, "username": f"base{i}", "password_hash": "x"}
                    for i, uid in enumerate(baseline_ids)
                ],
            )

        profiler = None
        if PROFILE == "fanout":
            profiler = cProfile.Profile()
            profiler.enable()
        data = {
            "title": "Dark",
            "count": 10,
            "kind": "episode",
            "items": [f"Dark S01E{i:02d}" for i in range(1, 11)],
        }
        started = time.perf_counter()
        async with database.transaction() as s:
            created = await service.notify_many(
                s, fan_out_ids, "new_content", data, settings=settings
            )
        stored_s = time.perf_counter() - started
        if PROFILE == "delivery":
            profiler = cProfile.Profile()
            profiler.enable()
        send_started = time.perf_counter()
        stats = await delivery.deliver_pending(
            ChannelKind.webhook, batch_size=1000, concurrency=64, settings=settings
        )
        send_s = time.perf_counter() - send_started
        if profiler is not None:
            profiler.disable()
            pstats.Stats(profiler).sort_stats(
                os.environ.get("BENCH_PROFILE_SORT", "tottime")
            ).print_stats(os.environ.get("BENCH_PROFILE_FILTER", ""), 30)
            return
        total_s = time.perf_counter() - started
        async with httpx.AsyncClient() as client:
            received = int((await client.get(f"http://127.0.0.1:{port}/count")).text)

        baseline_rate = await _baseline(database, baseline_ids, hook)
        stored_rate = len(created) / stored_s
        delivery_rate = stats.sent / send_s
        end_to_end = stats.sent / total_s
        print(
            f"users: {users}; notifications stored: {len(created)}; webhooks sent: {stats.sent} "
            f"(receiver counted {received}), failed: {stats.failed}, retried: {stats.retried}"
        )
        print(
            f"fan-out (in-app + delivery rows + jobs, one transaction): {stored_s:.2f} s "
            f"= {stored_rate:,.0f} notifications/s   (goal: {users:,} in < 2 s)"
        )
        print(
            f"webhook delivery: {send_s:.2f} s = {delivery_rate:,.0f} deliveries/s   (goal: >= 500/s)"
        )
        print(f"time until last delivery: {total_s:.2f} s  (end to end {end_to_end:,.0f} users/s)")
        print(
            f"naive baseline (INSERT + POST per user, sequential, {len(baseline_ids)} users): "
            f"{baseline_rate:,.0f} users/s"
        )
        print(
            f"ratio end to end vs baseline: {end_to_end / baseline_rate:.1f}x; "
            f"stored/s vs baseline: {stored_rate / baseline_rate:.1f}x; "
            f"deliveries/s vs baseline: {delivery_rate / baseline_rate:.1f}x"
        )
        print(
            json.dumps(
                {
                    "stored_per_s": round(stored_rate),
                    "deliveries_per_s": round(delivery_rate),
                    "last_delivery_s": round(total_s, 2),
                    "baseline_per_s": round(baseline_rate),
                }
            )
        )
    finally:
        proc.terminate()
        proc.wait(10)
        await database.dispose()
        set_database(None)
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--baseline-users", type=int, default=500)
    args = parser.parse_args()
    asyncio.run(main(args.users, args.baseline_users))
