from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from revenge.core.config import Settings, get_settings
from revenge.core.db import session_scope
from revenge.notifications import service
from tests.fakes.fcm import FakeFcm
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.fakes.webpush import FakePushService
from tests.helpers import free_port, serve_asgi


@pytest.fixture(autouse=True)
def settings(test_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The test settings; notification knobs changed here are restored after each test."""
    monkeypatch.setattr(test_settings.webhook, "allow_list", "127.0.0.1/32")
    monkeypatch.setattr(test_settings.webhook, "max_failures_before_disable", 3)
    monkeypatch.setattr(test_settings.smtp, "host", None)
    return test_settings


@dataclass
class SmtpSink:
    """What a real SMTP server (aiosmtpd) received."""

    messages: list[tuple[list[str], Message]] = field(default_factory=list)
    down: bool = False

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.down:
            return "451 4.3.0 Mail server temporarily unavailable"
        self.messages.append(
            (list(envelope.rcpt_tos), message_from_bytes(envelope.content, policy=policy.default))
        )
        return "250 OK"


@pytest.fixture
def smtp(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpSink]:
    sink = SmtpSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setattr(settings.smtp, "host", "127.0.0.1")
    monkeypatch.setattr(settings.smtp, "port", port)
    monkeypatch.setattr(settings.smtp, "tls", "none")
    try:
        yield sink
    finally:
        controller.stop()


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[WebhookReceiver, str]]:
    fake = WebhookReceiver()
    async with serve_asgi(fake.app()) as url:
        yield fake, url


def _rsa_service_account(tmp_path: Path) -> tuple[dict[str, Any], str]:
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fcm-test")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    account = {
        "type": "service_account",
        "project_id": "revenge-test",
        "private_key_id": uuid.uuid4().hex,
        "private_key": pem,
        "client_email": "push@revenge-test.iam.gserviceaccount.com",
    }
    return account, cert.public_bytes(serialization.Encoding.PEM).decode()


@pytest.fixture
async def fcm(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[FakeFcm]:
    from revenge.notifications.channels import push

    account, cert = _rsa_service_account(tmp_path)
    fake = FakeFcm(account["project_id"], account["client_email"], cert)
    async with serve_asgi(fake.app()) as url:
        fake.token_url = f"{url}/token"
        account["token_uri"] = fake.token_url
        path = tmp_path / "fcm.json"
        path.write_text(json.dumps(account))
        monkeypatch.setattr(settings.fcm, "credentials_file", path)
        monkeypatch.setattr(settings.fcm, "api_url", url)
        monkeypatch.setattr(push, "_TOKEN_CACHE", {})
        yield fake


@pytest.fixture
async def push_service(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[FakePushService, str]]:
    key = ec.generate_private_key(ec.SECP256R1())
    path = tmp_path / "vapid.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    monkeypatch.setattr(settings.webpush, "vapid_private_key_file", path)
    fake = FakePushService()
    async with serve_asgi(fake.app()) as url:
        fake.origin = url
        yield fake, url


async def send_notification(user_id: uuid.UUID, kind: str, data: dict[str, Any]) -> uuid.UUID:
    async with session_scope() as s:
        created = await service.notify(s, user_id, kind, data, settings=get_settings())
    assert created is not None
    return created


async def make_time_pass(session: Any) -> None:
    """Retry times are in the future after a failure; pretend they have come."""
    from sqlalchemy import text

    await session.execute(
        text(
            "UPDATE shared.notification_deliveries SET next_attempt_at = now() - interval '1 second' "
            "WHERE status = 'pending'"
        )
    )


async def sweep(jobs: Any) -> None:
    """What the every-minute ``notifications.retry_due`` sweeper does, then the drains."""
    from revenge.core.jobs import job_app

    await job_app.tasks["notifications.retry_due"].func(timestamp=0)
    await jobs.run()


__all__ = ["asyncio", "make_time_pass", "send_notification"]
