"""Email: localized Jinja2 templates (HTML + plain text) sent with aiosmtplib."""

from __future__ import annotations

import ssl
import uuid
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

import aiosmtplib
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core.config import Settings, SmtpSettings
from revenge.core.http import PermanentError, RetryableError
from revenge.core.i18n import format_datetime_local, translate
from revenge.notifications.channels.base import (
    DeliveryItem,
    FollowUp,
    NotSent,
    Recipient,
    RecordOutcomes,
    SendResult,
    send_all,
)
from revenge.notifications.models import NotificationChannel, any_of
from revenge.notifications.types import ChannelKind

TEMPLATES = Path(__file__).resolve().parents[1] / "templates" / "email"
ACCOUNT_ADDRESS = "account"  # target key: the address on the user's account

_html_env = Environment(
    loader=ChoiceLoader([FileSystemLoader(TEMPLATES)]),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
# Plain-text parts must not be HTML-escaped.
_text_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=False,  # noqa: S701
    trim_blocks=True,
    lstrip_blocks=True,
)


def _template_name(notification_type: str, ext: str) -> str:
    name = f"{notification_type}.{ext}"
    return name if (TEMPLATES / name).exists() else f"generic.{ext}"


def render_email(item: DeliveryItem, settings: Settings) -> tuple[str, str, str]:
    """(subject, text, html) in the recipient's language and timezone."""
    locale = item.recipient.locale

    def t(key: str, **params: Any) -> str:
        return translate(key, locale, **params)

    context = {
        "t": t,
        "locale": locale,
        "title": item.title,
        "message": item.message,
        "data": item.data,
        "name": item.recipient.display_name or item.recipient.username,
        "sent_at": format_datetime_local(item.created_at, locale, item.recipient.timezone),
        "app_url": settings.public_url,
    }
    text = _text_env.get_template(_template_name(item.type, "txt")).render(context)
    html = _html_env.get_template(_template_name(item.type, "html")).render(context)
    return item.title, text, html


def build_message(item: DeliveryItem, address: str, settings: Settings) -> EmailMessage:
    subject, text, html = render_email(item, settings)
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.smtp.from_
    message["To"] = address
    # Stable across retries, so a receiving server can drop a duplicate.
    message["Message-ID"] = make_msgid(idstring=str(item.delivery_id), domain="revenge.local")
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    # After the parts: making the message multipart moves Content-* headers into the parts.
    message["Content-Language"] = item.recipient.locale
    return message


class EmailChannel:
    kind = ChannelKind.email
    max_attempts = 10

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def targets(
        self, session: AsyncSession, recipients: Sequence[Recipient]
    ) -> dict[uuid.UUID, list[str]]:
        by_user = {r.id: r for r in recipients}
        rows = await session.execute(
            select(
                NotificationChannel.user_id, NotificationChannel.id, NotificationChannel.enabled
            ).where(
                any_of(NotificationChannel.user_id, by_user),
                NotificationChannel.channel_type == ChannelKind.email.value,
            )
        )
        overrides: dict[uuid.UUID, list[str]] = {}
        for user_id, channel_id, enabled in rows:
            keys = overrides.setdefault(user_id, [])
            if enabled:
                keys.append(str(channel_id))
        result: dict[uuid.UUID, list[str]] = {}
        for user_id, recipient in by_user.items():
            if user_id in overrides:  # the user configured addresses: those (if enabled) only
                result[user_id] = overrides[user_id]
            elif recipient.email:
                result[user_id] = [ACCOUNT_ADDRESS]
        return result

    async def deliver(
        self,
        session: AsyncSession,
        items: Sequence[DeliveryItem],
        *,
        concurrency: int,
        record: RecordOutcomes,
    ) -> list[FollowUp]:
        addresses = await self._addresses(session, items)
        outcomes = await send_all(
            items,
            lambda item: self._send(item, addresses[item.delivery_id]),
            max_attempts=self.max_attempts,
            concurrency=concurrency,
        )
        await record(outcomes)
        return []

    async def _addresses(
        self, session: AsyncSession, items: Sequence[DeliveryItem]
    ) -> dict[uuid.UUID, str | None]:
        """Each item's address, by delivery id: the account's own, or an enabled override's."""
        ids = [uuid.UUID(i.target_key) for i in items if i.target_key != ACCOUNT_ADDRESS]
        overrides: dict[str, str | None] = {}
        if ids:
            rows = await session.execute(
                select(NotificationChannel.id, NotificationChannel.config).where(
                    any_of(NotificationChannel.id, ids), NotificationChannel.enabled.is_(True)
                )
            )
            overrides = {str(cid): cfg.get("address") for cid, cfg in rows}
        return {
            item.delivery_id: item.recipient.email
            if item.target_key == ACCOUNT_ADDRESS
            else overrides.get(item.target_key)
            for item in items
        }

    async def _send(self, item: DeliveryItem, address: str | None) -> SendResult:
        smtp: SmtpSettings = self.settings.smtp
        if not smtp.host:
            raise NotSent("SMTP is not configured (REVENGE_SMTP_HOST)")
        if not address:
            raise NotSent("no email address")
        message = build_message(item, address, self.settings)
        context = ssl.create_default_context(cafile=smtp.ca_file)
        try:
            errors, response = await aiosmtplib.send(
                message,
                hostname=smtp.host,
                port=smtp.port,
                username=smtp.username,
                password=smtp.password.get_secret_value() if smtp.password else None,
                use_tls=smtp.tls == "tls",
                start_tls=smtp.tls == "starttls",
                tls_context=context if smtp.tls != "none" else None,
                timeout=smtp.timeout_seconds,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            if any(400 <= code < 500 for code in codes):
                raise RetryableError(str(exc), status_code=codes[0]) from exc
            raise PermanentError(f"recipient refused: {exc}", status_code=codes[0]) from exc
        except aiosmtplib.SMTPResponseException as exc:
            if 400 <= exc.code < 500:
                raise RetryableError(exc.message, status_code=exc.code) from exc
            # 535 bad credentials and friends: an admin must fix the settings; retrying
            # a few times (max_attempts) still covers a password being rotated.
            raise RetryableError(exc.message, status_code=exc.code) from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise RetryableError(f"SMTP unreachable: {exc}") from exc
        if errors:
            raise PermanentError(f"recipient refused: {errors}")
        code = int(response.split(" ", 1)[0]) if response[:3].isdigit() else 250
        return SendResult(response_code=code)

    async def aclose(self) -> None:
        return None
