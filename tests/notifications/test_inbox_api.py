"""The inbox, preferences, push tokens and channels over the REST API."""

from __future__ import annotations

from sqlalchemy import select

from revenge.core.config import get_settings
from revenge.notifications.models import NotificationDelivery, PushDevice
from tests.notifications.conftest import send_notification

BASE = "/api/v1/users/me"


async def test_inbox_lists_reads_and_clears_in_the_readers_language(client, make_user, settings):
    alice, headers = await make_user(locale="de")
    first = await send_notification(alice.id, "request_approved", {"title": "Dune"})
    await send_notification(alice.id, "request_available", {"title": "Dune"})

    page = (await client.get(f"{BASE}/notifications", headers=headers)).json()
    assert page["total"] == 2 and page["unread"] == 2
    titles = {n["type"]: n["title"] for n in page["items"]}
    assert titles["request_approved"] == "Anfrage genehmigt: Dune"

    read = await client.post(f"{BASE}/notifications/{first}/read", headers=headers)
    assert read.status_code == 200 and read.json()["read_at"] is not None
    assert (await client.get(f"{BASE}/notifications", headers=headers)).json()["unread"] == 1
    unread_only = await client.get(f"{BASE}/notifications?unread_only=true", headers=headers)
    assert [n["type"] for n in unread_only.json()["items"]] == ["request_available"]

    marked = await client.post(f"{BASE}/notifications/read-all", headers=headers)
    assert marked.json() == {"marked": 1}

    deleted = await client.delete(f"{BASE}/notifications/{first}", headers=headers)
    assert deleted.status_code == 204
    page = (await client.get(f"{BASE}/notifications", headers=headers)).json()
    assert page["total"] == 1 and page["unread"] == 0


async def test_another_users_notification_answers_404(client, make_user, settings):
    alice, _ = await make_user()
    _, bob_headers = await make_user(locale="fr")
    secret = await send_notification(alice.id, "system", {"subject": "s", "body": "private"})

    assert (await client.get(f"{BASE}/notifications", headers=bob_headers)).json()["total"] == 0
    for call in (
        client.post(f"{BASE}/notifications/{secret}/read", headers=bob_headers),
        client.delete(f"{BASE}/notifications/{secret}", headers=bob_headers),
    ):
        response = await call
        assert response.status_code == 404
        assert response.json()["code"] == "notifications.not_found"
        assert response.json()["title"] == "Notification introuvable"


async def test_preferences_decide_channels_per_type(client, make_user, session, settings):
    user, headers = await make_user()
    prefs = (await client.get(f"{BASE}/notification-preferences", headers=headers)).json()
    approved = next(p for p in prefs if p["notification_type"] == "request_approved")
    assert approved == {
        "notification_type": "request_approved",
        "in_app": True,
        "email": True,
        "push": False,
        "webhook": True,
    }
    changed = await client.patch(
        f"{BASE}/notification-preferences",
        headers=headers,
        json={
            "preferences": [
                {"notification_type": "request_approved", "in_app": False, "email": True},
                {"notification_type": "new_content", "in_app": False, "webhook": False},
            ]
        },
    )
    assert changed.status_code == 200, changed.text

    # new_content: everything off -> nothing stored at all.
    from revenge.notifications import service

    nothing = await service.notify(
        session, user.id, "new_content", {"title": "x", "count": 1}, settings=get_settings()
    )
    assert nothing is None
    # request_approved: email only -> hidden from the inbox, one email delivery queued.
    nid = await service.notify(
        session, user.id, "request_approved", {"title": "Dune"}, settings=get_settings()
    )
    assert nid is not None
    inbox = (await client.get(f"{BASE}/notifications", headers=headers)).json()
    assert inbox["total"] == 0
    deliveries = (
        await session.scalars(
            select(NotificationDelivery).where(NotificationDelivery.notification_id == nid)
        )
    ).all()
    assert [(d.channel, d.target_key) for d in deliveries] == [("email", "account")]

    refused = await client.patch(
        f"{BASE}/notification-preferences",
        headers=headers,
        json={"preferences": [{"notification_type": "webhook_disabled", "in_app": False}]},
    )
    assert refused.status_code == 422
    assert refused.json()["code"] == "notifications.type_not_configurable"


async def test_push_token_register_refresh_and_unregister(client, make_user, session, settings):
    _, headers = await make_user()
    token = "fcm-token-" + "a" * 40
    created = await client.post(f"{BASE}/push-token", headers=headers, json={"token": token})
    assert created.status_code == 201
    again = await client.post(f"{BASE}/push-token", headers=headers, json={"token": token})
    assert again.json()["id"] == created.json()["id"]  # idempotent
    bad = await client.post(
        f"{BASE}/push-token",
        headers=headers,
        json={"kind": "webpush", "platform": "web", "token": "https://push.example/x"},
    )
    assert bad.status_code == 422 and bad.json()["code"] == "notifications.invalid_subscription"

    _, other = await make_user()
    assert (
        await client.delete(f"{BASE}/push-token", params={"token": token}, headers=other)
    ).status_code == 404
    gone = await client.delete(f"{BASE}/push-token", params={"token": token}, headers=headers)
    assert gone.status_code == 204
    assert (await session.scalars(select(PushDevice))).all() == []


async def test_channel_crud_keeps_the_secret_encrypted(client, make_user, session, settings):
    _, headers = await make_user()
    created = await client.post(
        f"{BASE}/notification-channels",
        headers=headers,
        json={"channel_type": "webhook", "name": "home", "url": "http://127.0.0.1:9/hook"},
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["secret"].startswith("whsec_")
    from revenge.notifications.models import NotificationChannel

    stored = await session.get(NotificationChannel, body["id"])
    assert body["secret"] not in str(stored.config)  # only the ciphertext is stored

    listed = (await client.get(f"{BASE}/notification-channels", headers=headers)).json()
    assert [c["name"] for c in listed] == ["home"] and listed[0]["secret"] is None

    _, other = await make_user()
    assert (
        await client.get(f"{BASE}/notification-channels/{body['id']}", headers=other)
    ).status_code == 404
    assert (
        await client.patch(
            f"{BASE}/notification-channels/{body['id']}", headers=other, json={"name": "x"}
        )
    ).status_code == 404

    renamed = await client.patch(
        f"{BASE}/notification-channels/{body['id']}",
        headers=headers,
        json={"name": "NAS", "rotate_secret": True},
    )
    assert renamed.json()["name"] == "NAS" and renamed.json()["secret"] not in (
        None,
        body["secret"],
    )
    email = await client.post(
        f"{BASE}/notification-channels",
        headers=headers,
        json={"channel_type": "email", "name": "work", "address": "me@example.com"},
    )
    assert email.status_code == 201 and email.json()["address"] == "me@example.com"
    assert (
        await client.delete(f"{BASE}/notification-channels/{body['id']}", headers=headers)
    ).status_code == 204
    assert len((await client.get(f"{BASE}/notification-channels", headers=headers)).json()) == 1


async def test_webhook_to_internal_addresses_is_refused_without_allow_list(
    client, make_user, settings, monkeypatch
):
    monkeypatch.setattr(settings.webhook, "allow_list", "")
    _, headers = await make_user(locale="es")
    for url in (
        "http://127.0.0.1:8080/x",
        "http://localhost/x",
        "http://10.1.2.3/x",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/x",
        "http://224.0.0.1/x",
        "ftp://example.com/x",
    ):
        response = await client.post(
            f"{BASE}/notification-channels",
            headers=headers,
            json={"channel_type": "webhook", "name": "x", "url": url},
        )
        assert response.status_code == 422, url
        assert response.json()["code"] == "notifications.webhook_url_refused"
        assert response.json()["title"] == "URL de webhook rechazada"
