"""The scan job's declaration, and scans requested outside the API (as a CLI would)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from revenge.core.db import session_scope
from revenge.core.jobs import job_app
from revenge.library import jobs as library_jobs
from revenge.library import service, tasks
from revenge.library.scan_plan import ScanAlreadyRun, ScanBusy
from revenge.library.schemas import LibraryCreate


def test_every_declared_task_has_its_body_registered_with_the_same_policy():
    for declared in tasks.DECLARED:
        registered = job_app.tasks[declared.name]
        assert registered is not declared, declared.name
        assert registered.retry_strategy is declared.retry_strategy, declared.name
        assert registered.queueing_lock == declared.queueing_lock, declared.name
    assert job_app.tasks["library.scan"] is library_jobs.scan_library


def test_a_scan_waits_for_the_running_one_every_thirty_seconds_for_an_hour():
    policy = library_jobs.scan_library.retry_strategy
    busy = ScanBusy("library.scan_in_progress", "busy")
    before = datetime.now(UTC)
    decision = policy.get_retry_decision(exception=busy, job=SimpleNamespace(attempts=0))
    assert (
        before + timedelta(seconds=30)
        <= decision.retry_at
        <= datetime.now(UTC) + timedelta(seconds=30)
    )
    assert policy.get_retry_decision(exception=busy, job=SimpleNamespace(attempts=119)) is not None
    assert policy.get_retry_decision(exception=busy, job=SimpleNamespace(attempts=120)) is None
    for other in (ScanAlreadyRun("x", "done"), RuntimeError("boom")):
        assert policy.get_retry_decision(exception=other, job=SimpleNamespace(attempts=0)) is None


async def test_a_scan_requested_outside_the_api_is_queued_once_and_run(jobs, tree):
    t = tree("outside")
    t.add("Up (2009)/Up.mp4", t.media.mp4)
    async with session_scope() as session:  # as a CLI command would
        library = await service.create_library(
            session,
            LibraryCreate(name=f"Films {uuid.uuid4().hex[:6]}", kind="movies", path=str(t.root)),
        )
        first = await service.request_scan(session, library.id)
        second = await service.request_scan(session, library.id)
        library_id, scan_id = library.id, first.id
    assert second.id == scan_id
    pending = await jobs.pending("library.scan")
    assert [job["args"] for job in pending] == [
        {"scan_id": str(scan_id), "library_id": str(library_id)}
    ]
    assert await jobs.run("library.scan") == ["library.scan"]
    async with session_scope() as session:
        scan = await service.get_scan(session, scan_id)
        assert (scan.status, scan.items_added) == ("done", 1)
