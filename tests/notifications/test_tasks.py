"""Notification jobs are declared once (tasks.py) and scheduled by the use cases themselves."""

from __future__ import annotations

import uuid

from revenge.core.config import get_settings
from revenge.core.db import session_scope
from revenge.core.jobs import job_app
from revenge.notifications import new_content, service, tasks


def test_every_declared_task_has_its_body_registered_with_the_same_policy():
    for declared in tasks.DECLARED:
        registered = job_app.tasks[declared.name]
        assert registered is not declared, declared.name
        assert registered.retry_strategy is declared.retry_strategy, declared.name
        assert registered.queueing_lock == declared.queueing_lock, declared.name


async def test_a_few_recipients_get_a_drain_each_many_share_one(make_user, jobs):
    few = [(await make_user())[0].id for _ in range(2)]
    async with session_scope() as s:
        await service.notify_many(
            s, few, "request_approved", {"title": "Dune"}, settings=get_settings()
        )
    pending = await jobs.pending("notifications.email_send")
    assert sorted(job["args"]["user_id"] for job in pending) == sorted(str(u) for u in few)

    many = [(await make_user())[0].id for _ in range(tasks.PER_USER_JOBS_UP_TO + 1)]
    async with session_scope() as s:
        await service.notify_many(
            s, many, "request_approved", {"title": "Heat"}, settings=get_settings()
        )
    pending = await jobs.pending("notifications.email_send")
    assert len(pending) == len(few) + 1
    assert [job["args"]["user_id"] for job in pending][-1] is None


async def test_recording_an_addition_outside_the_job_still_schedules_one_flush(jobs):
    for _ in range(3):  # e.g. a CLI import, not the library.item_added job
        async with session_scope() as s:
            await new_content.record_addition(s, "movie", str(uuid.uuid4()), None)
    assert len(await jobs.pending("notifications.new_content_flush")) == 1
