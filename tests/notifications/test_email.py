"""Email through a real SMTP server (aiosmtpd on 127.0.0.1), in the reader's language."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from revenge.core.config import get_settings
from revenge.notifications.models import NotificationDelivery, NotificationDeliveryAttempt
from tests.notifications.conftest import make_time_pass, send_notification, sweep

CHANNEL = "email"
EXPECTED = {
    "en": ("Request approved: Dune", "Hello", "Open Revenge"),
    "de": ("Anfrage genehmigt: Dune", "Hallo", "Revenge öffnen"),
    "es": ("Solicitud aprobada: Dune", "Hola", "Abrir Revenge"),
    "fr": ("Demande approuvée : Dune", "Bonjour", "Ouvrir Revenge"),
}


@pytest.mark.parametrize("locale", ["en", "de", "es", "fr"])
async def test_localized_multipart_email_is_received(make_user, jobs, smtp, locale):
    user, _ = await make_user(locale=locale, timezone="Europe/Berlin", email="reader@example.com")
    await send_notification(user.id, "request_approved", {"title": "Dune", "note": "<b>soon</b>"})
    await jobs.run("notifications.email_send")

    assert len(smtp.messages) == 1
    recipients, message = smtp.messages[0]
    subject, greeting, link = EXPECTED[locale]
    assert recipients == ["reader@example.com"]
    assert message["Subject"] == subject
    assert message["Content-Language"] == locale
    assert message.is_multipart()
    parts = {p.get_content_type(): p.get_content() for p in message.walk() if not p.is_multipart()}
    text, html = parts["text/plain"], parts["text/html"]
    assert greeting in text and link in text and "Dune" in text
    assert f'lang="{locale}"' in html and link in html
    assert "&lt;b&gt;soon&lt;/b&gt;" in html  # user data is escaped in HTML
    assert "<b>soon</b>" in text


async def test_email_channel_address_overrides_account(client, make_user, jobs, smtp):
    user, headers = await make_user(email="account@example.com")
    created = await client.post(
        "/api/v1/users/me/notification-channels",
        headers=headers,
        json={"channel_type": "email", "name": "work", "address": "work@example.com"},
    )
    assert created.status_code == 201
    await send_notification(user.id, "request_available", {"title": "Dune"})
    await jobs.run("notifications.email_send")
    assert [r for r, _ in smtp.messages] == [["work@example.com"]]


async def test_smtp_down_is_retried_and_delivered_once(make_user, jobs, smtp, session):
    user, _ = await make_user(email="reader@example.com")
    await send_notification(user.id, "request_denied", {"title": "Dune"})
    smtp.down = True
    await jobs.run("notifications.email_send")
    delivery = (
        await session.scalars(
            select(NotificationDelivery).where(NotificationDelivery.channel == CHANNEL)
        )
    ).one()
    assert delivery.status == "pending" and delivery.attempts == 1
    assert "451" in (delivery.last_error or "") or "unavailable" in (delivery.last_error or "")
    assert smtp.messages == []

    smtp.down = False
    await jobs.run("notifications.email_send")  # not due yet: nothing happens
    assert smtp.messages == []
    await make_time_pass(session)
    await sweep(jobs)
    assert len(smtp.messages) == 1
    await session.refresh(delivery)
    assert delivery.status == "sent" and delivery.attempts == 2

    # A job run again (e.g. after a crash) sends nothing twice.
    await make_time_pass(session)
    from revenge.notifications import delivery as delivery_module
    from revenge.notifications.types import ChannelKind

    stats = await delivery_module.deliver_pending(ChannelKind.email, get_settings())
    assert stats.sent == 0 and len(smtp.messages) == 1
    log = (
        await session.execute(
            select(
                NotificationDeliveryAttempt.attempt, NotificationDeliveryAttempt.status
            ).order_by(NotificationDeliveryAttempt.attempt)
        )
    ).all()
    assert [tuple(r) for r in log] == [(1, "retry"), (2, "sent")]
