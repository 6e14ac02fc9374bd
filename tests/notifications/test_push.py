"""Push: FCM HTTP v1 against a fake that checks the OAuth JWT, bearer and message shape;
Web Push against a fake push service that decrypts like a browser."""

from __future__ import annotations

from sqlalchemy import select

from revenge.notifications.models import NotificationDelivery, PushDevice
from tests.notifications.conftest import make_time_pass, send_notification, sweep

BASE = "/api/v1/users/me"


async def _enable_push(client, headers, kind="request_available"):
    response = await client.patch(
        f"{BASE}/notification-preferences",
        headers=headers,
        json={"preferences": [{"notification_type": kind, "push": True, "email": False}]},
    )
    assert response.status_code == 200


async def test_fcm_delivery_and_cached_token(client, make_user, jobs, fcm):
    user, headers = await make_user(locale="es")
    await _enable_push(client, headers)
    for token in ("device-one-token", "device-two-token"):
        await client.post(f"{BASE}/push-token", headers=headers, json={"token": token})
    await send_notification(user.id, "request_available", {"title": "Dune"})
    await send_notification(user.id, "request_available", {"title": "Heat"})
    await jobs.run("notifications.push_send")

    assert len(fcm.delivered) == 4
    assert {m["token"] for m in fcm.delivered} == {"device-one-token", "device-two-token"}
    first = fcm.delivered[0]
    assert first["notification"]["title"].startswith("Ya disponible: ")
    assert first["data"]["type"] == "request_available"
    assert len(fcm.tokens_issued) == 1  # the OAuth token was fetched once and reused


async def test_fcm_unregistered_token_is_disabled(client, make_user, jobs, fcm, session):
    user, headers = await make_user()
    await _enable_push(client, headers)
    await client.post(f"{BASE}/push-token", headers=headers, json={"token": "dead-token-xyz"})
    fcm.unregistered.add("dead-token-xyz")
    await send_notification(user.id, "request_available", {"title": "Dune"})
    await jobs.run("notifications.push_send")
    device = (await session.scalars(select(PushDevice))).one()
    assert device.disabled_at is not None and "UNREGISTERED" in device.disabled_reason
    delivery = (await session.scalars(select(NotificationDelivery))).one()
    assert delivery.status == "failed" and delivery.response_code == 404
    # A disabled device gets nothing afterwards.
    await send_notification(user.id, "request_available", {"title": "Heat"})
    assert await jobs.pending("notifications.push_send") == []


async def test_fcm_unavailable_is_retried_after_retry_after(client, make_user, jobs, fcm, session):
    user, headers = await make_user()
    await _enable_push(client, headers)
    await client.post(f"{BASE}/push-token", headers=headers, json={"token": "busy-token-123"})
    fcm.unavailable, fcm.retry_after = 1, "90"
    await send_notification(user.id, "request_available", {"title": "Dune"})
    await jobs.run("notifications.push_send")
    delivery = (await session.scalars(select(NotificationDelivery))).one()
    assert delivery.status == "pending" and delivery.response_code == 503, delivery.last_error
    assert (delivery.next_attempt_at - delivery.updated_at).total_seconds() >= 89
    assert fcm.delivered == []

    await make_time_pass(session)
    await sweep(jobs)
    await make_time_pass(session)
    await sweep(jobs)
    await session.refresh(delivery)
    assert delivery.status == "sent" and len(fcm.delivered) == 1  # delivered, and once


async def test_web_push_is_encrypted_for_the_browser_and_410_removes_it(
    client, make_user, jobs, push_service, session
):
    from tests.fakes.webpush import Subscriber

    fake, url = push_service
    user, headers = await make_user(locale="fr")
    await _enable_push(client, headers)
    for sub_id in ("live", "expired"):
        fake.subscribers[sub_id] = Subscriber.new()
        registered = await client.post(
            f"{BASE}/push-token",
            headers=headers,
            json={
                "kind": "webpush",
                "platform": "web",
                "token": f"{url}/push/{sub_id}",
                "keys": fake.subscribers[sub_id].keys(),
            },
        )
        assert registered.status_code == 201, registered.text
    fake.gone.add("expired")
    await send_notification(user.id, "request_available", {"title": "Dune"})
    await jobs.run("notifications.push_send")

    assert [r["sub"] for r in fake.received] == ["live"]
    assert fake.received[0]["payload"]["title"] == "Disponible : Dune"
    devices = (await session.scalars(select(PushDevice.token))).all()
    assert devices == [f"{url}/push/live"]


async def test_web_push_endpoints_on_internal_addresses_are_refused(
    client, make_user, jobs, push_service, session, settings, monkeypatch
):
    """A subscription endpoint is a URL the server POSTs to: the webhook SSRF guard applies
    when it is registered and again when a push is sent."""
    from tests.fakes.webpush import Subscriber

    fake, url = push_service  # on 127.0.0.1, allowed by the notifications tests' allow list
    user, headers = await make_user()
    await _enable_push(client, headers)
    fake.subscribers["inside"] = Subscriber.new()
    subscription = {
        "kind": "webpush",
        "platform": "web",
        "token": f"{url}/push/inside",
        "keys": fake.subscribers["inside"].keys(),
    }
    assert (
        await client.post(f"{BASE}/push-token", headers=headers, json=subscription)
    ).status_code == 201

    monkeypatch.setattr(settings.webhook, "allow_list", "")
    for endpoint in (f"{url}/push/other", "http://169.254.169.254/latest/meta-data"):
        refused = await client.post(
            f"{BASE}/push-token", headers=headers, json={**subscription, "token": endpoint}
        )
        assert refused.status_code == 422
        assert refused.json()["code"] == "notifications.push_endpoint_refused"

    # Registered while allowed, refused at send time: nothing is sent, the device goes.
    await send_notification(user.id, "request_available", {"title": "Dune"})
    await jobs.run("notifications.push_send")
    assert fake.received == []
    assert (await session.scalars(select(PushDevice.token))).all() == []
