"""Email over TLS: STARTTLS and implicit TLS against a real aiosmtpd server with a private CA,
AUTH only inside TLS, and a certificate the server does not trust is refused (not sent in clear)."""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pydantic import SecretStr
from sqlalchemy import select

from revenge.core.config import Settings
from revenge.notifications.models import NotificationDelivery
from tests.helpers import free_port
from tests.notifications.conftest import send_notification

USERNAME, PASSWORD = "mailer", "s3cret-pass"
# aiosmtpd warns when AUTH is allowed without STARTTLS; with implicit TLS that is intended.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


def _encrypted(server: Any) -> bool:
    # Asked of the transport: aiosmtpd sets session.ssl only after STARTTLS, not for implicit TLS.
    return server.transport.get_extra_info("ssl_object") is not None


@dataclass
class TlsSink:
    """Records each message with whether its session was encrypted and authenticated."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    logins: list[tuple[str, bool]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(
            {
                "to": list(envelope.rcpt_tos),
                "tls": _encrypted(server),
                "authenticated": session.authenticated,
            }
        )
        return "250 OK"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and (
            auth_data.login.decode(),
            auth_data.password.decode(),
        ) == (USERNAME, PASSWORD)
        self.logins.append((mechanism, _encrypted(server)))
        return AuthResult(success=ok)


def _certificate(
    subject: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Name, signer: Any, *, ca: bool
) -> x509.Certificate:
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
    return builder.sign(signer, hashes.SHA256())


@pytest.fixture
def private_ca(tmp_path: Path) -> tuple[Path, ssl.SSLContext]:
    """A CA file the client may trust and the mail server's TLS context (cert for 127.0.0.1)."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Home CA")])
    ca_cert = _certificate("Home CA", ca_key, ca_name, ca_key, ca=True)
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = _certificate("mail.home", server_key, ca_name, ca_key, ca=False)
    ca_file = tmp_path / "ca.pem"
    ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    chain = tmp_path / "server.pem"
    chain.write_bytes(
        server_cert.public_bytes(serialization.Encoding.PEM)
        + server_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(chain)
    return ca_file, server_context


def _serve(sink: TlsSink, mode: str, server_context: ssl.SSLContext) -> tuple[Controller, int]:
    port = free_port()
    common: dict[str, Any] = {"authenticator": sink.authenticate, "auth_required": True}
    if mode == "tls":
        # The whole connection is TLS; aiosmtpd only knows about STARTTLS, so its own
        # "AUTH needs TLS" rule must be off here (the sink checks the transport instead).
        controller = Controller(
            sink,
            hostname="127.0.0.1",
            port=port,
            ssl_context=server_context,
            auth_require_tls=False,
            **common,
        )
    else:  # STARTTLS required before anything else
        controller = Controller(
            sink,
            hostname="127.0.0.1",
            port=port,
            tls_context=server_context,
            require_starttls=True,
            **common,
        )
    controller.start()
    return controller, port


@pytest.fixture
def smtp_over_tls(
    request: pytest.FixtureRequest,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    private_ca: tuple[Path, ssl.SSLContext],
) -> Iterator[tuple[TlsSink, Path]]:
    mode = request.param
    ca_file, server_context = private_ca
    sink = TlsSink()
    controller, port = _serve(sink, mode, server_context)
    for name, value in {
        "host": "127.0.0.1",
        "port": port,
        "tls": mode,
        "username": USERNAME,
        "password": SecretStr(PASSWORD),
        "ca_file": ca_file,
    }.items():
        monkeypatch.setattr(settings.smtp, name, value)
    try:
        yield sink, ca_file
    finally:
        controller.stop()


@pytest.mark.parametrize("smtp_over_tls", ["starttls", "tls"], indirect=True)
async def test_mail_goes_encrypted_and_authenticated(make_user, jobs, smtp_over_tls):
    sink, _ = smtp_over_tls
    user, _ = await make_user(email="reader@example.com")
    await send_notification(user.id, "request_approved", {"title": "Dune"})
    await jobs.run("notifications.email_send")
    assert sink.messages == [{"to": ["reader@example.com"], "tls": True, "authenticated": True}]
    assert [encrypted for _, encrypted in sink.logins] == [True]  # password never in clear


@pytest.mark.parametrize("smtp_over_tls", ["starttls", "tls"], indirect=True)
async def test_untrusted_certificate_is_refused_and_kept_for_retry(
    make_user, jobs, smtp_over_tls, settings, monkeypatch, session
):
    sink, _ = smtp_over_tls
    monkeypatch.setattr(settings.smtp, "ca_file", None)  # the home CA is not trusted
    user, _ = await make_user(email="reader@example.com")
    await send_notification(user.id, "request_approved", {"title": "Dune"})
    await jobs.run("notifications.email_send")
    assert sink.messages == [] and sink.logins == []
    delivery = (
        await session.scalars(
            select(NotificationDelivery).where(NotificationDelivery.channel == "email")
        )
    ).one()
    assert delivery.status == "pending" and delivery.attempts == 1
    assert "certificate" in (delivery.last_error or "").lower()
