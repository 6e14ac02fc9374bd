"""Scheduled scans: a library's interval (admin API), the periodic job that queues a full scan
when it is due, and the sweep that gives stranded queued scans their job back."""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timedelta

from sqlalchemy import select, text, update

from revenge.core import clock
from revenge.core.db import session_scope
from revenge.core.jobs import job_app
from revenge.library import jobs as library_jobs
from revenge.library import scans
from revenge.library.models import Library, LibraryScan
from tests.library.conftest import create_and_scan


async def new_library(client, admin, tree, **fields):
    t = tree("scheduled")
    t.add("Up (2009)/Up.mp4", t.media.mp4)
    created = await client.post(
        "/api/v1/admin/libraries",
        json={"name": f"Films {uuid.uuid4().hex[:6]}", "kind": "movies", "path": str(t.root)}
        | fields,
        headers=admin,
    )
    assert created.status_code == 201, created.text
    return created.json()


async def due(now=None) -> list[tuple[str, str | None]]:
    async with session_scope() as session:
        queued = await scans.queue_due_scans(session, now)
        return [(str(scan.library_id), scan.target_path) for scan in queued]


async def queued_scans(library_id) -> list[LibraryScan]:
    async with session_scope() as session:
        rows = await session.execute(
            select(LibraryScan).where(
                LibraryScan.library_id == uuid.UUID(library_id), LibraryScan.status == "queued"
            )
        )
        return list(rows.scalars())


async def test_interval_and_watch_are_set_shown_and_checked(client, admin, tree, make_user):
    library = await new_library(client, admin, tree)
    assert (library["scan_interval_minutes"], library["watch"]) == (360, False)
    assert library["next_scan_at"] == library["created_at"]  # never scanned: due at once
    url = f"/api/v1/admin/libraries/{library['id']}"

    changed = await client.patch(
        url, json={"scan_interval_minutes": 90, "watch": True}, headers=admin
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["scan_interval_minutes"], body["watch"], body["name"]) == (
        90,
        True,
        library["name"],
    )
    off = await client.patch(url, json={"scan_interval_minutes": 0}, headers=admin)
    assert (off.json()["scan_interval_minutes"], off.json()["watch"]) == (0, True)
    assert off.json()["next_scan_at"] is None
    listed = (await client.get("/api/v1/admin/libraries", headers=admin)).json()["items"]
    assert [(lib["scan_interval_minutes"], lib["watch"]) for lib in listed] == [(0, True)]

    for bad in ({"scan_interval_minutes": -1}, {"scan_interval_minutes": 525_601}, {"watch": "x"}):
        refused = await client.patch(url, json=bad, headers=admin)
        assert refused.status_code == 422, (bad, refused.text)
    other = await new_library(client, admin, tree, scan_interval_minutes=0, watch=True)
    assert (other["scan_interval_minutes"], other["watch"], other["next_scan_at"]) == (
        0,
        True,
        None,
    )
    taken = await client.patch(url, json={"name": other["name"].upper()}, headers=admin)
    assert (taken.status_code, taken.json()["code"]) == (409, "library.name_taken")
    missing = await client.patch(
        f"/api/v1/admin/libraries/{uuid.uuid4()}", json={"watch": False}, headers=admin
    )
    assert missing.status_code == 404
    _, user_headers = await make_user()
    assert (await client.patch(url, json={"watch": False}, headers=user_headers)).status_code == 403


async def test_a_full_scan_is_queued_when_the_interval_has_passed(client, jobs, admin, tree):
    library = await new_library(client, admin, tree, scan_interval_minutes=60)
    # Never scanned: due now, queued once (a waiting scan holds the next round back).
    assert await due() == [(library["id"], None)]
    assert await due() == []
    assert len(await jobs.pending("library.scan")) == 1
    await jobs.run("library.scan")

    async with session_scope() as session:
        ended = (await session.get(Library, uuid.UUID(library["id"]))).last_scan_at
    now = clock.utcnow()
    assert await due(now + timedelta(minutes=59)) == []
    shown = (await client.get("/api/v1/admin/libraries", headers=admin)).json()["items"][0]
    next_scan_at = datetime.fromisoformat(shown["next_scan_at"].replace("Z", "+00:00"))
    assert abs(next_scan_at - (ended + timedelta(minutes=60))) < timedelta(milliseconds=1)
    assert await due(ended + timedelta(minutes=60, seconds=1)) == [(library["id"], None)]
    [scan] = await queued_scans(library["id"])
    assert scan.target_path is None


async def test_no_scheduled_scan_when_off_or_busy(client, jobs, admin, tree):
    off = await new_library(client, admin, tree, scan_interval_minutes=0)
    busy = await new_library(client, admin, tree, scan_interval_minutes=60)
    async with session_scope() as session:
        running = LibraryScan(library_id=uuid.UUID(busy["id"]), status="running")
        session.add(running)
    # Both never scanned: "off" is never due, "busy" not while its scan runs.
    assert await due() == []
    assert await queued_scans(off["id"]) == []

    # A "running" scan not updated for over an hour died with its worker: no longer busy.
    async with session_scope() as session:
        await session.execute(
            update(LibraryScan)
            .where(LibraryScan.id == running.id)
            .values(updated_at=clock.utcnow() - timedelta(hours=2))
        )
    assert await due() == [(busy["id"], None)]


async def test_targeted_scans_do_not_count_as_the_last_full_scan(client, jobs, admin, tree):
    library = await new_library(client, admin, tree, scan_interval_minutes=60)
    library_id, _ = await create_and_scan(client, jobs, admin, library_id=library["id"])
    async with session_scope() as session:
        folder = (await session.get(Library, uuid.UUID(library_id))).path + "/Up (2009)"
        [targeted] = await scans.request_targeted_scan(session, [folder])
    await jobs.run("library.scan")
    async with session_scope() as session:
        done = await session.get(LibraryScan, targeted.id, populate_existing=True)
        assert (done.status, done.target_path) == ("done", folder)
        # Its end is later than the full scan's, yet the schedule counts from the full scan.
        full_end = (await session.get(Library, uuid.UUID(library_id))).last_scan_at
    assert done.finished_at > full_end
    assert await due(full_end + timedelta(minutes=60, microseconds=1)) == [(library_id, None)]


async def test_a_failed_full_scan_counts_so_an_unmounted_disk_is_not_rescanned_every_round(
    client, jobs, admin, tree
):
    library = await new_library(client, admin, tree, scan_interval_minutes=60)
    async with session_scope() as session:
        path = (await session.get(Library, uuid.UUID(library["id"]))).path
    os.rename(path, path + "-unmounted")
    assert await due() == [(library["id"], None)]
    await jobs.run("library.scan", raise_errors=False)
    assert await due() == []
    assert await due(clock.utcnow() + timedelta(minutes=61)) == [(library["id"], None)]


async def test_the_periodic_job_queues_due_scans_and_requeues_stranded_ones(
    client, jobs, admin, tree
):
    periodic = {
        task.task.name: task.cron for task in job_app.periodic_registry.periodic_tasks.values()
    }
    assert periodic["library.scheduled_scans"] == "*/5 * * * *"

    library = await new_library(client, admin, tree, scan_interval_minutes=60)
    assert await library_jobs.queue_scheduled_scans.func(timestamp=0) == 1
    assert len(await jobs.pending("library.scan")) == 1

    # The job got lost (e.g. it failed on an earlier scan): the sweep gives it a new one after
    # ten minutes, and never a second one while one waits.
    async with session_scope() as session:
        await session.execute(
            update(LibraryScan).values(created_at=clock.utcnow() - timedelta(minutes=11))
        )
        await session.execute(
            text("UPDATE procrastinate_jobs SET status = 'failed' WHERE task_name = 'library.scan'")
        )
    assert await library_jobs.queue_scheduled_scans.func(timestamp=0) == 0
    assert len(await jobs.pending("library.scan")) == 1
    assert await library_jobs.queue_scheduled_scans.func(timestamp=0) == 0
    assert len(await jobs.pending("library.scan")) == 1
    await jobs.run("library.scan")
    assert await queued_scans(library["id"]) == []
