"""Use cases schedule their own follow-up jobs, whoever calls them (API, CLI or job)."""

from __future__ import annotations

from revenge.core.config import get_settings
from revenge.core.db import session_scope
from revenge.core.jobs import job_app
from revenge.scrobbling import authorisation, tasks
from revenge.scrobbling.providers.base import ProviderName
from revenge.scrobbling.schemas import ConnectRequest
from tests.scrobbling.conftest import queue_tracks


def test_every_declared_task_has_its_body_registered_with_the_same_policy():
    for declared in tasks.DECLARED:
        registered = job_app.tasks[declared.name]
        assert registered is not declared, declared.name
        assert registered.retry_strategy is declared.retry_strategy, declared.name
        assert registered.queueing_lock == declared.queueing_lock, declared.name


async def test_connecting_outside_the_api_still_sends_what_was_queued(
    make_user, jobs, listenbrainz
):
    user, _ = await make_user()
    stamps = await queue_tracks(user.id, "listenbrainz", 3)
    token = listenbrainz.add_user("cli-user")
    async with session_scope() as session:  # as a CLI command would
        await authorisation.connect(
            session,
            user.id,
            ProviderName.listenbrainz,
            ConnectRequest(token=token),
            get_settings(),
            "en",
        )
    assert await jobs.run() == ["scrobbling.process"]
    assert [e["listened_at"] for e in listenbrainz.accepted("cli-user")] == stamps
