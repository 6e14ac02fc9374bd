"""Webhooks: signed deliveries to a receiver that verifies them, retries, auto-disable, SSRF."""

from __future__ import annotations

import json

from sqlalchemy import select

from revenge.notifications.models import NotificationChannel, NotificationDelivery
from tests.notifications.conftest import make_time_pass, send_notification, sweep

BASE = "/api/v1/users/me"
CHANNEL = "webhook"


async def _webhook(client, headers, url, name="home", template=None):
    body = {"channel_type": "webhook", "name": name, "url": url}
    if template:
        body["payload_template"] = template
    response = await client.post(f"{BASE}/notification-channels", headers=headers, json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def test_signed_delivery_verified_by_receiver(client, make_user, jobs, receiver):
    fake, url = receiver
    user, headers = await make_user(locale="de")
    channel = await _webhook(client, headers, f"{url}/hooks/a")
    fake.secrets["/hooks/a"] = channel["secret"]

    nid = await send_notification(user.id, "request_available", {"title": "Dune"})
    await jobs.run("notifications.webhook_send")

    assert fake.rejected == [] and len(fake.received) == 1
    payload = json.loads(fake.received[0]["body"])
    assert payload["type"] == "notification.request_available"
    assert payload["data"]["id"] == str(nid)
    assert payload["data"]["title"] == "Jetzt verfügbar: Dune"

    # A wrong secret is rejected by the receiver: the signature really is checked.
    fake.secrets["/hooks/a"] = "whsec_" + "A" * 32
    await send_notification(user.id, "request_available", {"title": "Heat"})
    await jobs.run("notifications.webhook_send")
    assert fake.rejected == ["bad signature"]


async def test_payload_template_variables(client, make_user, jobs, receiver):
    fake, url = receiver
    user, headers = await make_user()
    template = '{"text": {{ title|tojson }}, "who": "{{ user }}", "kind": "{{ type }}"}'
    channel = await _webhook(client, headers, f"{url}/hooks/t", template=template)
    fake.secrets["/hooks/t"] = channel["secret"]
    await send_notification(user.id, "request_approved", {"title": 'Say "hi"'})
    await jobs.run("notifications.webhook_send")
    body = json.loads(fake.received[0]["body"])
    assert body == {
        "text": 'Request approved: Say "hi"',
        "who": user.username,
        "kind": "request_approved",
    }
    bad = await client.post(
        f"{BASE}/notification-channels",
        headers=headers,
        json={
            "channel_type": "webhook",
            "name": "x",
            "url": f"{url}/h",
            "payload_template": "{{ x(",
        },
    )
    assert bad.status_code == 422 and bad.json()["code"] == "notifications.invalid_template"


async def test_receiver_down_retried_later_same_id_nothing_twice(
    client, make_user, jobs, receiver, session
):
    fake, url = receiver
    user, headers = await make_user()
    channel = await _webhook(client, headers, f"{url}/hooks/r")
    fake.secrets["/hooks/r"] = channel["secret"]
    await send_notification(user.id, "request_approved", {"title": "Dune"})

    fake.fail_with, fake.retry_after = 503, "120"
    await jobs.run("notifications.webhook_send")
    delivery = (
        await session.scalars(
            select(NotificationDelivery).where(NotificationDelivery.channel == CHANNEL)
        )
    ).one()
    assert delivery.status == "pending" and delivery.response_code == 503
    wait = (delivery.next_attempt_at - delivery.updated_at).total_seconds()
    assert wait >= 119  # Retry-After honoured

    fake.fail_with = None
    await make_time_pass(session)
    await sweep(jobs)
    await make_time_pass(session)
    await sweep(jobs)
    assert len(fake.received) == 1
    assert fake.received[0]["id"] == f"msg_{delivery.id.hex}"  # stable across retries
    stored = await session.get(NotificationChannel, channel["id"])
    assert stored.consecutive_failures == 0 and stored.last_success_at is not None


async def test_endpoint_disabled_after_repeated_failures_and_owner_told(
    client, make_user, jobs, receiver, session
):
    fake, url = receiver
    user, headers = await make_user(locale="fr")
    channel = await _webhook(client, headers, f"{url}/hooks/d", name="NAS")
    fake.fail_with = 500
    for title in ("A", "B", "C"):  # max_failures_before_disable = 3 in these tests
        await send_notification(user.id, "request_approved", {"title": title})
        await jobs.run("notifications.webhook_send")

    stored = await session.get(NotificationChannel, channel["id"])
    await session.refresh(stored)
    assert stored.enabled is False and "500" in stored.disabled_reason
    pending = (
        await session.scalars(
            select(NotificationDelivery).where(
                NotificationDelivery.status == "pending", NotificationDelivery.channel == CHANNEL
            )
        )
    ).all()
    assert pending == []  # nothing left hanging on a disabled endpoint
    inbox = (await client.get(f"{BASE}/notifications", headers=headers)).json()
    # (one test transaction: all rows share created_at, so find it by type)
    notice = next(n for n in inbox["items"] if n["type"] == "webhook_disabled")
    assert notice["title"] == "Webhook désactivé : NAS"
    assert "3 échecs de livraison" in notice["message"]


async def test_ssrf_target_refused_at_send_time(
    client, make_user, jobs, receiver, session, settings, monkeypatch
):
    fake, url = receiver
    user, headers = await make_user()
    channel = await _webhook(client, headers, f"{url}/hooks/s")
    fake.secrets["/hooks/s"] = channel["secret"]
    # The allow-list is withdrawn (or DNS now points inside) after the webhook was saved.
    monkeypatch.setattr(settings.webhook, "allow_list", "")
    await send_notification(user.id, "request_approved", {"title": "Dune"})
    await jobs.run("notifications.webhook_send")
    delivery = (
        await session.scalars(
            select(NotificationDelivery).where(NotificationDelivery.channel == CHANNEL)
        )
    ).one()
    assert delivery.status == "failed" and "non-public address" in delivery.last_error
    assert fake.received == []


async def test_test_endpoint_sends_to_that_channel(client, make_user, jobs, receiver):
    fake, url = receiver
    _, headers = await make_user(locale="es")
    channel = await _webhook(client, headers, f"{url}/hooks/x", name="Casa")
    fake.secrets["/hooks/x"] = channel["secret"]
    response = await client.post(
        f"{BASE}/notification-channels/{channel['id']}/test", headers=headers
    )
    assert response.status_code == 202
    await jobs.run("notifications.webhook_send")
    body = json.loads(fake.received[0]["body"])
    assert body["data"]["title"] == "Notificación de prueba" and "Casa" in body["data"]["message"]
    _, other = await make_user()
    assert (
        await client.post(f"{BASE}/notification-channels/{channel['id']}/test", headers=other)
    ).status_code == 404
