"""The whole story through the API: ask (with TMDB), "me too", approve, the file arrives,
everybody hears about it in-app and by email (real SMTP), in their own language."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from revenge.core import events
from revenge.core.config import Settings
from revenge.notifications.models import Notification
from tests.content_requests.helpers import ask, emit
from tests.factories import make_movie
from tests.helpers import free_port
from tests.notifications.conftest import SmtpSink

CHECK = "content_requests.check_availability"


@pytest.fixture
def smtp(test_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpSink]:
    sink = SmtpSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setattr(test_settings.smtp, "host", "127.0.0.1")
    monkeypatch.setattr(test_settings.smtp, "port", port)
    monkeypatch.setattr(test_settings.smtp, "tls", "none")
    try:
        yield sink
    finally:
        controller.stop()


async def inbox(session, user_id) -> list[Notification]:
    rows = await session.execute(
        select(Notification)
        .where(Notification.user_id == user_id)
        .order_by(Notification.created_at, Notification.type)
    )
    return list(rows.scalars())


def mails_to(smtp: SmtpSink, address: str) -> list[str]:
    return [str(message["Subject"]) for rcpt, message in smtp.messages if address in rcpt]


async def test_request_to_available_notifies_requester_and_me_too_users(
    client, make_user, jobs, smtp, tmdb, session
):
    tmdb.add_movie(949, "Heat", "1995-12-15")
    alice, alice_h = await make_user(locale="en", email="alice@example.test")
    bruno, bruno_h = await make_user(locale="de", email="bruno@example.test")
    _, admin = await make_user(is_admin=True)

    created = await ask(client, alice_h, media_type="movie", external_id="949")
    assert created.status_code == 201
    request_id = created.json()["id"]
    assert (await ask(client, bruno_h, media_type="movie", external_id="949")).status_code == 200

    approved = await client.post(
        f"/api/v1/admin/requests/{request_id}/approve",
        json={"admin_note": "Coming this week."},
        headers=admin,
    )
    assert approved.json()["status"] == "approved"

    # A library scan adds the file: the scanner emits library.item_added.
    movie = await make_movie("Heat", tmdb_id=949)
    await emit(events.LibraryItemAdded, "movie", movie.id, movie.library_id)
    await jobs.run(CHECK)
    body = (await client.get(f"/api/v1/requests/{request_id}", headers=bruno_h)).json()
    assert body["status"] == "available"
    assert body["library_item"]["media_id"] == str(movie.id)

    alice_inbox = await inbox(session, alice.id)
    bruno_inbox = await inbox(session, bruno.id)
    assert [(n.type, n.title) for n in alice_inbox] == [
        ("request_approved", "Request approved: Heat"),
        ("request_available", "Now available: Heat"),
    ]
    assert [(n.type, n.title) for n in bruno_inbox] == [
        ("request_approved", "Anfrage genehmigt: Heat"),
        ("request_available", "Jetzt verfügbar: Heat"),
    ]
    assert alice_inbox[0].data["request_id"] == request_id
    assert alice_inbox[0].data["note"] == "Coming this week."
    # The inbox is what the users see through the notifications API too.
    listed = (await client.get("/api/v1/users/me/notifications", headers=bruno_h)).json()
    assert {item["title"] for item in listed["items"]} == {
        "Anfrage genehmigt: Heat",
        "Jetzt verfügbar: Heat",
    }

    await jobs.run("notifications.email_send")
    assert sorted(mails_to(smtp, "alice@example.test")) == [
        "Now available: Heat",
        "Request approved: Heat",
    ]
    assert sorted(mails_to(smtp, "bruno@example.test")) == [
        "Anfrage genehmigt: Heat",
        "Jetzt verfügbar: Heat",
    ]
    approval = next(
        message
        for rcpt, message in smtp.messages
        if "alice@example.test" in rcpt and message["Subject"] == "Request approved: Heat"
    )
    text = next(
        part.get_content() for part in approval.walk() if part.get_content_type() == "text/plain"
    )
    assert "Coming this week." in text
    assert f"/requests/{request_id}" in text


async def test_deny_tells_everyone_with_the_note(client, make_user, jobs, smtp, session):
    alice, alice_h = await make_user(locale="fr", email="alice@example.test")
    bruno, bruno_h = await make_user(locale="es", email="bruno@example.test")
    _, admin = await make_user(is_admin=True)
    body = {"media_type": "movie", "external_id": "949", "title": "Heat"}
    request_id = (await ask(client, alice_h, **body)).json()["id"]
    await ask(client, bruno_h, **body)
    denied = await client.post(
        f"/api/v1/admin/requests/{request_id}/deny",
        json={"admin_note": "Pas de copie légale."},
        headers=admin,
    )
    assert denied.status_code == 200
    [for_alice] = await inbox(session, alice.id)
    [for_bruno] = await inbox(session, bruno.id)
    assert (for_alice.type, for_alice.title) == ("request_denied", "Demande refusée : Heat")
    assert for_bruno.title == "Solicitud rechazada: Heat"
    assert for_bruno.data["note"] == "Pas de copie légale."
    await jobs.run("notifications.email_send")
    # The requester and the "me too" user (the admin's mail is about the new request).
    assert len(mails_to(smtp, "alice@example.test") + mails_to(smtp, "bruno@example.test")) == 2


async def test_a_withdrawn_me_too_hears_nothing(client, make_user, session):
    _, alice_h = await make_user()
    bruno, bruno_h = await make_user()
    _, admin = await make_user(is_admin=True)
    body = {"media_type": "movie", "external_id": "949", "title": "Heat"}
    request_id = (await ask(client, alice_h, **body)).json()["id"]
    await ask(client, bruno_h, **body)
    await client.delete(f"/api/v1/requests/{request_id}", headers=bruno_h)
    await client.post(f"/api/v1/admin/requests/{request_id}/approve", headers=admin)
    assert await inbox(session, bruno.id) == []


@pytest.fixture(scope="module")
def heat_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("heat") / "Heat (1995).mkv"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=32x24:rate=5:duration=1",
         "-c:v", "mpeg4", str(path)],
        check=True,
        timeout=60,
    )  # fmt: skip
    return path


async def scan(client, jobs, admin, library_id: str) -> None:
    started = await client.post(f"/api/v1/admin/libraries/{library_id}/scan", headers=admin)
    assert started.status_code == 202, started.text
    await jobs.run("library.scan")
    await jobs.run()  # the events the scan emitted, and what they defer


async def test_a_real_library_scan_settles_the_request_both_ways(
    client, make_user, jobs, heat_file, tmp_path, session
):
    alice, alice_h = await make_user()
    _, admin = await make_user(is_admin=True)
    request_id = (
        await ask(client, alice_h, media_type="movie", external_id="949", title="Heat")
    ).json()["id"]
    await client.post(f"/api/v1/admin/requests/{request_id}/approve", headers=admin)
    root = tmp_path / "movies"
    folder = root / "Heat (1995) [tmdbid-949]"
    folder.mkdir(parents=True)
    shutil.copyfile(heat_file, folder / "Heat (1995).mkv")
    created = await client.post(
        "/api/v1/admin/libraries",
        json={"name": "Films", "kind": "movies", "path": str(root)},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    library_id = created.json()["id"]

    await scan(client, jobs, admin, library_id)
    body = (await client.get(f"/api/v1/requests/{request_id}", headers=alice_h)).json()
    assert body["status"] == "available"
    assert body["library_item"]["media_type"] == "movie"
    # (new_content is the notifications feature's own "something new arrived" message.)
    assert [n.type for n in await inbox(session, alice.id) if n.type != "new_content"] == [
        "request_approved",
        "request_available",
    ]

    (folder / "Heat (1995).mkv").unlink()
    await scan(client, jobs, admin, library_id)
    body = (await client.get(f"/api/v1/requests/{request_id}", headers=alice_h)).json()
    assert (body["status"], body["status_reason"]) == ("approved", "item_removed")
