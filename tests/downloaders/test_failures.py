"""A downloader that is down loses nothing; Retry-After is honoured; a refusal fails the
hand-off with a reason on the request, tells every admin, and an admin can send it again."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from revenge.core import clock
from revenge.core.config import Settings
from tests.downloaders.conftest import add_downloader
from tests.downloaders.helpers import approve, ask_movie, handoff, notifications_of, read
from tests.helpers import free_port

SWEEP = "downloaders.sweep"


async def sweep(jobs) -> None:
    """What the worker's periodic sweep does, then every job it starts."""
    from revenge.downloaders.jobs import sweep_handoffs

    await sweep_handoffs(0)
    await jobs.run()


async def test_a_downloader_that_is_down_loses_nothing(
    client, make_user, admin, jobs, radarr, clock_at
):
    # Radarr is down: its address answers nothing.
    async with radarr.fake_stopped():
        await add_downloader(client, admin, "radarr", radarr.url)
        _, alice = await make_user()
        request = await ask_movie(client, alice)
        await approve(client, admin, request["id"])
        await jobs.run()

        row = await handoff(request["id"])
        assert (row.status, row.attempts, row.last_error_code) == ("pending", 1, "unreachable")
        assert row.next_attempt_at > clock.utcnow()
        seen = await read(client, alice, request["id"])
        assert (seen["status"], seen["status_reason"]) == ("approved", "handoff_retrying")
        assert "tried again automatically" in seen["status_reason_text"]

    # Back up: the sweep sends it once it is due.
    clock_at(row.next_attempt_at + timedelta(seconds=1))
    await sweep(jobs)
    assert len(radarr.fake.movies) == 1
    seen = await read(client, alice, request["id"])
    assert (seen["status"], seen["status_reason"]) == ("processing", None)


async def test_retry_after_is_honoured(client, make_user, admin, jobs, radarr, clock_at):
    radarr.fake.fail_next(503, retry_after=600)
    await add_downloader(client, admin, "radarr", radarr.url)
    _, alice = await make_user()
    request = await ask_movie(client, alice)
    start = clock.utcnow()
    await approve(client, admin, request["id"])
    await jobs.run()
    row = await handoff(request["id"])
    assert row.status == "pending"
    assert row.next_attempt_at >= start + timedelta(seconds=600)
    assert len(radarr.fake.arrivals) == 1

    clock_at(start + timedelta(seconds=300))  # the backoff alone would be over by now
    await sweep(jobs)
    assert len(radarr.fake.arrivals) == 1  # still waiting as Radarr asked

    clock_at(row.next_attempt_at + timedelta(seconds=1))
    await sweep(jobs)
    assert len(radarr.fake.movies) == 1
    assert min(radarr.fake.arrivals[1:]) >= start + timedelta(seconds=600)


async def test_a_wrong_key_fails_tells_the_admins_and_can_be_sent_again(
    client, make_user, jobs, radarr
):
    admin_user, admin = await make_user(is_admin=True, locale="en")
    german_admin, _ = await make_user(is_admin=True, locale="de")
    alice_user, alice = await make_user()
    created = await add_downloader(client, admin, "radarr", radarr.url, api_key="wrong-key")
    request = await ask_movie(client, alice)
    await approve(client, admin, request["id"])
    await jobs.run()

    row = await handoff(request["id"])
    assert (row.status, row.last_error_code, row.attempts) == ("failed", "unauthorized", 1)
    seen = await read(client, admin, request["id"])
    assert (seen["status"], seen["status_reason"]) == ("approved", "handoff_unauthorized")
    assert seen["handoff_error"] == "Radarr refused the API key"
    assert "refused the API key" in seen["status_reason_text"]
    assert (await read(client, alice, request["id"]))["handoff_error"] is None  # admins only

    [told] = await notifications_of(admin_user.id, "request_handoff_failed")
    assert told.title == "Could not send Heat to My Radarr"
    assert "refused the API key" in told.message
    [told_de] = await notifications_of(german_admin.id, "request_handoff_failed")
    assert told_de.title == "Heat konnte nicht an My Radarr übergeben werden"
    assert await notifications_of(alice_user.id, "request_handoff_failed") == []

    # The admin fixes the key and sends it again.
    fixed = await client.patch(
        f"/api/v1/admin/downloaders/{created['id']}",
        json={"api_key": radarr.fake.api_key},
        headers=admin,
    )
    assert fixed.status_code == 200
    again = await client.post(f"/api/v1/admin/requests/{request['id']}/send", headers=admin)
    assert again.status_code == 200, again.text
    assert (again.json()["status"], again.json()["status_reason"]) == ("approved", None)
    await jobs.run()
    assert len(radarr.fake.movies) == 1
    assert (await read(client, alice, request["id"]))["status"] == "processing"


async def test_a_missing_profile_is_refused_with_radarrs_own_words(
    client, make_user, admin, jobs, radarr
):
    await add_downloader(client, admin, "radarr", radarr.url, quality_profile_id=99)
    _, alice = await make_user()
    request = await ask_movie(client, alice)
    await approve(client, admin, request["id"])
    await jobs.run()
    row = await handoff(request["id"])
    assert (row.status, row.last_error_code, row.last_status_code) == ("failed", "rejected", 400)
    assert row.last_error == "Radarr: Quality Profile does not exist"
    assert radarr.fake.movies == {}


async def test_sending_again_needs_an_approved_request(client, make_user, admin):
    _, alice = await make_user()
    request = await ask_movie(client, alice)
    answer = await client.post(f"/api/v1/admin/requests/{request['id']}/send", headers=admin)
    assert (answer.status_code, answer.json()["code"]) == (409, "content_request.not_approved")
    assert (
        await client.post(f"/api/v1/admin/requests/{request['id']}/send", headers=alice)
    ).status_code == 403


async def test_too_many_failed_attempts_fail_for_good(
    client, make_user, admin, jobs, clock_at, test_settings: Settings, monkeypatch
):
    monkeypatch.setattr(test_settings.downloaders, "max_attempts", 3)
    await add_downloader(client, admin, "radarr", f"http://127.0.0.1:{free_port()}")
    _, alice = await make_user()
    request = await ask_movie(client, alice)
    await approve(client, admin, request["id"])
    await jobs.run()
    for _ in range(2):
        row = await handoff(request["id"])
        clock_at(row.next_attempt_at + timedelta(seconds=1))
        await sweep(jobs)
    row = await handoff(request["id"])
    assert (row.status, row.attempts, row.last_error_code) == ("failed", 3, "unreachable")
    seen = await read(client, admin, request["id"])
    assert seen["status_reason"] == "handoff_unreachable"


async def test_a_lost_job_is_picked_up_by_the_sweep(client, make_user, admin, jobs, radarr, db):
    await add_downloader(client, admin, "radarr", radarr.url)
    _, alice = await make_user()
    request = await ask_movie(client, alice)
    await approve(client, admin, request["id"])
    await jobs.run("downloaders.on_request_approved")
    # The attempt's job is lost (a crash, a purge): the row still says pending.
    async with db.transaction() as s:
        await s.execute(text("DELETE FROM procrastinate_jobs WHERE task_name = 'downloaders.send'"))
    await sweep(jobs)
    assert len(radarr.fake.movies) == 1


async def test_a_downloader_that_does_not_answer_in_time_is_tried_again(
    client, make_user, admin, jobs, radarr, test_settings: Settings, monkeypatch
):
    monkeypatch.setattr(test_settings.downloaders, "timeout_seconds", 0.3)
    radarr.fake.delay = 1.0
    await add_downloader(client, admin, "radarr", radarr.url)
    _, alice = await make_user()
    request = await ask_movie(client, alice)
    await approve(client, admin, request["id"])
    await jobs.run()
    row = await handoff(request["id"])
    assert (row.status, row.last_error_code) == ("pending", "unreachable")
    assert row.last_error == "Radarr did not answer in time"
