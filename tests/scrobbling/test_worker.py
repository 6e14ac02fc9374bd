"""Worker-level behaviour on committed data: crash mid-batch, two workers at once, sweep."""

from __future__ import annotations

import asyncio
import contextlib

from sqlalchemy import text

from revenge.core.config import get_settings
from revenge.scrobbling.delivery import deliver_pending_scrobbles
from tests.scrobbling.conftest import API, connect_lastfm, connect_listenbrainz, queue_tracks


async def test_worker_killed_mid_batch_restart_delivers_the_rest_exactly_once(
    committed_client, make_user, lastfm
):
    user, headers = await make_user()
    await connect_lastfm(committed_client, headers, lastfm, "crashy")
    starts = await queue_tracks(user.id, "lastfm", 130)
    settings = get_settings()

    first = await deliver_pending_scrobbles(user.id, "lastfm", settings, max_batches=1)
    assert first.sent == 50

    lastfm.failures.set("hold")  # the next request hangs at Last.fm...
    worker = asyncio.create_task(deliver_pending_scrobbles(user.id, "lastfm", settings))
    await asyncio.wait_for(lastfm.failures.held.wait(), 10)
    worker.cancel()  # ...and the worker is killed while it waits
    with contextlib.suppress(asyncio.CancelledError):
        await worker
    lastfm.failures.release.set()
    await asyncio.sleep(0.1)
    lastfm.failures.set(None)

    pending = (await committed_client.get(f"{API}/queue?status=pending", headers=headers)).json()
    assert pending["total"] == 80  # the killed batch was not marked sent

    restarted = await deliver_pending_scrobbles(user.id, "lastfm", settings)
    assert restarted.sent == 80
    assert [s["timestamp"] for s in lastfm.accepted("crashy")] == starts  # once each, in order


async def test_two_workers_never_send_the_same_item(
    committed_client, make_user, listenbrainz, lastfm
):
    user, headers = await make_user()
    await connect_lastfm(committed_client, headers, lastfm, "twice")
    await connect_listenbrainz(committed_client, headers, listenbrainz, "twice-lb")
    lastfm_starts = await queue_tracks(user.id, "lastfm", 160)
    lb_starts = await queue_tracks(user.id, "listenbrainz", 30)
    lastfm.failures.set(None, delay=0.05)
    settings = get_settings()
    reports = await asyncio.gather(
        *(
            deliver_pending_scrobbles(user.id, p, settings)
            for p in ["lastfm"] * 3 + ["listenbrainz"] * 2
        )
    )
    assert sum(r.sent for r in reports) == 190
    assert [s["timestamp"] for s in lastfm.accepted("twice")] == lastfm_starts
    assert [e["listened_at"] for e in listenbrainz.accepted("twice-lb")] == lb_starts


async def test_sweep_after_restart_defers_one_drain_per_user_and_provider(
    committed_client, make_user, lastfm, committed_db
):
    from revenge.scrobbling.jobs import sweep_scrobble_queue

    user, headers = await make_user()
    await connect_lastfm(committed_client, headers, lastfm, "sweepy")
    await queue_tracks(user.id, "lastfm", 5)
    assert await sweep_scrobble_queue(0) == 1
    assert await sweep_scrobble_queue(0) == 1  # absorbed by the waiting job's queueing lock
    async with committed_db.transaction() as session:
        jobs = (
            (
                await session.execute(
                    text(
                        "SELECT args FROM procrastinate_jobs WHERE task_name = 'scrobbling.process'"
                    )
                )
            )
            .scalars()
            .all()
        )
    assert jobs == [{"user_id": str(user.id), "provider": "lastfm"}]
