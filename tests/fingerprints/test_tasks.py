"""Fingerprints' job declarations, and use cases that schedule their own follow-up jobs
whoever calls them (API, CLI or job)."""

from __future__ import annotations

from types import SimpleNamespace

from revenge.core.config import get_settings
from revenge.core.db import session_scope
from revenge.core.jobs import job_app
from revenge.fingerprints import jobs as fingerprint_jobs
from revenge.fingerprints import service, tasks
from revenge.fingerprints.schemas import GenerateTarget
from tests.fingerprints.conftest import add_library, add_track


def test_every_declared_task_has_its_body_registered_with_the_same_policy():
    for declared in tasks.DECLARED:
        registered = job_app.tasks[declared.name]
        assert registered is not declared, declared.name
        assert registered.retry_strategy is declared.retry_strategy, declared.name
        assert registered.queueing_lock == declared.queueing_lock, declared.name
    assert job_app.tasks["fingerprints.run_library"] is fingerprint_jobs.run_library


def test_the_periodic_resume_is_not_retried_the_next_run_is():
    policy = fingerprint_jobs.resume_runs.retry_strategy
    assert policy is not None
    decision = policy.get_retry_decision(exception=RuntimeError(), job=SimpleNamespace(attempts=0))
    assert decision is None


async def test_a_run_started_outside_the_api_gets_one_chunk_job(jobs, audio):
    music = await add_library("music")
    await add_track(music, audio["mp3"])
    async with session_scope() as session:  # as a CLI command would
        run = await service.start_run(session)
        again = await service.start_run(session)
        run_id = run.id
    assert again.id == run_id
    pending = await jobs.pending("fingerprints.run_library")
    assert [job["args"] for job in pending] == [{"run_id": str(run_id)}]
    ran = await jobs.run()
    assert ran[0] == "fingerprints.run_library"
    assert "fingerprints.detect_duplicates" in ran
    async with session_scope() as session:
        done = await service.get_run(session, run_id)
        assert (done.status, done.done) == ("done", 1)


async def test_generating_an_item_outside_the_api_queues_duplicate_detection(jobs, audio):
    music = await add_library("music")
    track = await add_track(music, audio["flac"])
    async with session_scope() as session:
        await service.generate_item(session, get_settings(), GenerateTarget.track, track.id)
    (job,) = await jobs.pending("fingerprints.detect_duplicates")
    assert job["args"] == {"subjects": [f"track:{track.id}"]}
