"""The VAPID public key a browser subscribes with: configured, generated once, or switched off."""

from __future__ import annotations

import base64
import stat

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.notifications.conftest import send_notification

KEY_URL = "/api/v1/notifications/webpush/public-key"
BASE = "/api/v1/users/me"


def _point(public_key: str) -> bytes:
    return base64.urlsafe_b64decode(public_key + "=" * (-len(public_key) % 4))


async def test_the_key_needs_a_signed_in_user(client):
    response = await client.get(KEY_URL)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_a_configured_key_file_is_served_as_an_uncompressed_p256_point(
    client, make_user, push_service, settings
):
    _, headers = await make_user()
    response = await client.get(KEY_URL, headers=headers)
    assert response.status_code == 200, response.text
    key = serialization.load_pem_private_key(
        settings.webpush.vapid_private_key_file.read_bytes(), None
    )
    expected = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    public_key = response.json()["public_key"]
    assert "=" not in public_key and "+" not in public_key and "/" not in public_key
    assert _point(public_key) == expected and len(expected) == 65 and expected[0] == 4


async def test_switched_off_answers_a_translated_404(client, make_user, settings, monkeypatch):
    monkeypatch.setattr(settings.webpush, "enabled", False)
    _, headers = await make_user(locale="de")
    response = await client.get(KEY_URL, headers=headers)
    assert response.status_code == 404
    body = response.json()
    assert body["code"] == "notifications.webpush_unavailable"
    assert body["title"] == "Browser-Push nicht verfügbar"


async def test_an_unreadable_key_file_is_a_problem_not_a_crash(
    client, make_user, settings, monkeypatch, tmp_path
):
    broken = tmp_path / "broken.pem"
    broken.write_text("not a key")
    monkeypatch.setattr(settings.webpush, "vapid_private_key_file", broken)
    _, headers = await make_user()
    response = await client.get(KEY_URL, headers=headers)
    assert response.status_code == 404
    assert response.json()["code"] == "notifications.webpush_unavailable"
    monkeypatch.setattr(settings.webpush, "vapid_private_key_file", tmp_path / "missing.pem")
    response = await client.get(KEY_URL, headers=headers)
    assert response.status_code == 404
    assert not (tmp_path / "missing.pem").exists()  # not quietly generated at a configured path


async def test_without_a_configured_key_one_is_generated_once_and_used_for_sending(
    client, make_user, jobs, push_service, settings, monkeypatch, tmp_path
):
    from tests.fakes.webpush import Subscriber

    fake, url = push_service
    monkeypatch.setattr(settings.webpush, "vapid_private_key_file", None)
    monkeypatch.setattr(settings, "data_dir", tmp_path / "data")
    user, headers = await make_user(locale="en")

    first = await client.get(KEY_URL, headers=headers)
    assert first.status_code == 200, first.text
    key_file = tmp_path / "data" / "vapid_private_key.pem"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    generated = serialization.load_pem_private_key(key_file.read_bytes(), None)
    assert isinstance(generated, ec.EllipticCurvePrivateKey)
    assert isinstance(generated.curve, ec.SECP256R1)
    again = await client.get(KEY_URL, headers=headers)
    assert again.json() == first.json()

    # The browser subscribes with that key; the push service accepts only messages signed by it.
    subscriber = Subscriber.new()
    subscriber.application_server_key = first.json()["public_key"]
    fake.subscribers["browser"] = subscriber
    # One made with some other server's key is refused by the push service (403).
    stale = Subscriber.new()
    stale.application_server_key = Subscriber.new().keys()["p256dh"]
    fake.subscribers["stale"] = stale
    await client.patch(
        f"{BASE}/notification-preferences",
        headers=headers,
        json={"preferences": [{"notification_type": "request_available", "push": True}]},
    )
    for name, sub in (("browser", subscriber), ("stale", stale)):
        registered = await client.post(
            f"{BASE}/push-token",
            headers=headers,
            json={
                "kind": "webpush",
                "platform": "web",
                "token": f"{url}/push/{name}",
                "keys": sub.keys(),
            },
        )
        assert registered.status_code == 201, registered.text
    await send_notification(user.id, "request_available", {"title": "Dune"})
    await jobs.run("notifications.push_send")
    assert [r["sub"] for r in fake.received] == ["browser"]
    assert fake.received[0]["payload"]["title"] == "Now available: Dune"
