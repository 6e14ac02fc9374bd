"""Push: FCM HTTP v1 (own small client, service-account JWT → OAuth token) and Web Push
(RFC 8291 encryption by pywebpush, VAPID by py_vapid, sent with httpx2)."""

from __future__ import annotations

import asyncio
import base64
import json
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx2 as httpx
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from google.auth import crypt, jwt
from py_vapid import Vapid
from pywebpush import WebPusher
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core.clock import utcnow
from revenge.core.config import Settings
from revenge.core.http import (
    PermanentError,
    RetryableError,
    classify_status,
    new_client,
    shared_ssl_context,
)
from revenge.notifications.channels.base import (
    DeliveryItem,
    FollowUp,
    NotSent,
    Outcome,
    Recipient,
    RecordOutcomes,
    SendResult,
    TargetGone,
    send_all,
)
from revenge.notifications.channels.ssrf import UnsafeTarget, check_url
from revenge.notifications.models import PushDevice, any_of
from revenge.notifications.types import ChannelKind

FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
# FCM error codes meaning "this registration token is dead".
DEAD_TOKEN_CODES = {"UNREGISTERED", "SENDER_ID_MISMATCH"}
# OAuth tokens per (service account, token URI), shared by every client in this process.
_TOKEN_CACHE: dict[tuple[str, str], tuple[str, float]] = {}


class FcmClient:
    """FCM HTTP v1 for one service account; the OAuth token is cached until shortly before
    it expires (``expires_in - 60``)."""

    def __init__(self, credentials_file: Path, api_url: str) -> None:
        self.account = json.loads(credentials_file.read_text())
        self.project_id = self.account["project_id"]
        self.signer = crypt.RSASigner.from_service_account_info(self.account)
        self.http = new_client(api_url)
        self._cache_key = (self.account["client_email"], self.account["token_uri"])
        self._lock = asyncio.Lock()

    async def access_token(self, *, force: bool = False) -> str:
        async with self._lock:
            cached = _TOKEN_CACHE.get(self._cache_key)
            if not force and cached and time.monotonic() < cached[1]:
                return cached[0]
            now = int(time.time())
            token_uri = self.account["token_uri"]
            assertion = jwt.encode(
                self.signer,
                {
                    "iss": self.account["client_email"],
                    "scope": FCM_SCOPE,
                    "aud": token_uri,
                    "iat": now,
                    "exp": now + 3600,
                },
            ).decode()
            try:
                response = await self.http.post(
                    token_uri,
                    data={
                        "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                        "assertion": assertion,
                    },
                )
            except httpx.HTTPError as exc:
                raise RetryableError(f"FCM token endpoint unreachable: {exc}") from exc
            if response.status_code != 200:
                raise classify_status(response, f"FCM token request: HTTP {response.status_code}")
            body = response.json()
            token = str(body["access_token"])
            expires = time.monotonic() + max(0, int(body.get("expires_in", 3600)) - 60)
            _TOKEN_CACHE[self._cache_key] = (token, expires)
            return token

    async def send(self, token: str, message: dict[str, Any]) -> SendResult:
        payload = {"message": {"token": token, **message}}
        path = f"/v1/projects/{self.project_id}/messages:send"
        for attempt in range(2):
            bearer = await self.access_token(force=attempt > 0)
            try:
                response = await self.http.post(
                    path, json=payload, headers={"Authorization": f"Bearer {bearer}"}
                )
            except httpx.HTTPError as exc:
                raise RetryableError(f"FCM unreachable: {exc}") from exc
            # 401 without an FCM code = our OAuth token expired early: refresh once.
            if response.status_code == 401 and attempt == 0 and not _fcm_code(response):
                continue
            break
        if response.status_code == 200:
            return SendResult(response.status_code, response.json().get("name"))
        code = _fcm_code(response)
        reason = f"FCM {code or response.status_code}"
        if code in DEAD_TOKEN_CODES or (
            code == "INVALID_ARGUMENT" and "registration token" in response.text
        ):
            raise TargetGone(reason, status_code=response.status_code)
        raise classify_status(response, reason)

    async def aclose(self) -> None:
        await self.http.aclose()


def _fcm_code(response: httpx.Response) -> str | None:
    try:
        error = response.json().get("error", {})
    except ValueError:
        return None
    for detail in error.get("details", []) or []:
        if "errorCode" in detail:
            return str(detail["errorCode"])
    return None


def vapid_public_key(key_file: Path) -> str:
    """The browser's ``applicationServerKey``: the VAPID public key as an uncompressed P-256
    point, base64url without padding (what ``PushManager.subscribe`` takes)."""
    return _public_key(key_file.resolve(), key_file.stat().st_mtime_ns)


@lru_cache(maxsize=4)
def _public_key(key_file: Path, _mtime_ns: int) -> str:
    # from_pem, not from_file: from_file quietly generates a new key when the file is missing.
    point = Vapid.from_pem(key_file.read_bytes()).public_key.public_bytes(
        Encoding.X962, PublicFormat.UncompressedPoint
    )
    return base64.urlsafe_b64encode(point).rstrip(b"=").decode()


class WebPushClient:
    """Web Push to a browser subscription, VAPID-signed."""

    def __init__(self, vapid_key_file: Path, subject: str) -> None:
        self.vapid = Vapid.from_file(str(vapid_key_file))
        self.subject = subject
        self.http = httpx.AsyncClient(
            timeout=httpx.Timeout(10.0, connect=5.0), verify=shared_ssl_context()
        )

    async def send(
        self, endpoint: str, keys: dict[str, str], payload: dict[str, Any]
    ) -> SendResult:
        subscription = {"endpoint": endpoint, "keys": keys}
        body = WebPusher(subscription).encode(
            json.dumps(payload).encode(), content_encoding="aes128gcm"
        )["body"]
        parts = urlsplit(endpoint)
        claims = {
            "sub": self.subject,
            "aud": f"{parts.scheme}://{parts.netloc}",
            "exp": int(time.time()) + 12 * 3600,
        }
        headers = dict(self.vapid.sign(claims))
        headers.update(
            {
                "TTL": "86400",
                "Urgency": "normal",
                "Content-Encoding": "aes128gcm",
                "Content-Type": "application/octet-stream",
            }
        )
        try:
            response = await self.http.post(endpoint, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise RetryableError(f"push service unreachable: {exc}") from exc
        if response.status_code in (200, 201, 202):
            return SendResult(response.status_code, response.headers.get("location"))
        if response.status_code in (404, 410):
            raise TargetGone(f"subscription gone ({response.status_code})", status_code=404)
        raise classify_status(response, f"push service: HTTP {response.status_code}")

    async def aclose(self) -> None:
        await self.http.aclose()


@dataclass(frozen=True)
class _Device:
    kind: str  # fcm | webpush
    token: str  # FCM token or Web Push endpoint URL
    keys: dict[str, Any] | None


class PushChannel:
    """One delivery per active device; the device kind picks the sender."""

    kind = ChannelKind.push
    max_attempts = 8

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._fcm: FcmClient | None = None
        self._webpush: WebPushClient | None = None
        self._senders: dict[str, Callable[[DeliveryItem, _Device], Awaitable[SendResult]]] = {
            "fcm": self._send_fcm,
            "webpush": self._send_webpush,
        }

    async def targets(
        self, session: AsyncSession, recipients: Sequence[Recipient]
    ) -> dict[uuid.UUID, list[str]]:
        rows = await session.execute(
            select(PushDevice.user_id, PushDevice.id).where(
                any_of(PushDevice.user_id, [r.id for r in recipients]),
                PushDevice.disabled_at.is_(None),
            )
        )
        result: dict[uuid.UUID, list[str]] = {}
        for user_id, device_id in rows:
            result.setdefault(user_id, []).append(str(device_id))
        return result

    async def deliver(
        self,
        session: AsyncSession,
        items: Sequence[DeliveryItem],
        *,
        concurrency: int,
        record: RecordOutcomes,
    ) -> list[FollowUp]:
        devices = await self._devices(session, items)
        outcomes = await send_all(
            items,
            lambda item: self._send(item, devices.get(item.target_key)),
            max_attempts=self.max_attempts,
            concurrency=concurrency,
        )
        await record(outcomes)
        await self._forget_gone(session, devices, outcomes)
        return []

    async def _devices(
        self, session: AsyncSession, items: Sequence[DeliveryItem]
    ) -> dict[str, _Device]:
        ids = [uuid.UUID(i.target_key) for i in items]
        rows = await session.execute(
            select(PushDevice.id, PushDevice.kind, PushDevice.token, PushDevice.keys).where(
                any_of(PushDevice.id, ids), PushDevice.disabled_at.is_(None)
            )
        )
        return {str(device_id): _Device(kind, token, keys) for device_id, kind, token, keys in rows}

    async def _send(self, item: DeliveryItem, device: _Device | None) -> SendResult:
        if device is None:
            raise NotSent("device removed")
        return await self._senders[device.kind](item, device)

    async def _send_fcm(self, item: DeliveryItem, device: _Device) -> SendResult:
        if self._fcm is None:
            if self.settings.fcm.credentials_file is None:
                raise NotSent("FCM is not configured (REVENGE_FCM_CREDENTIALS_FILE)")
            self._fcm = FcmClient(self.settings.fcm.credentials_file, self.settings.fcm.api_url)
        message = {
            "notification": {"title": item.title[:200], "body": item.message[:1000]},
            # FCM data values must be strings.
            "data": {
                "notification_id": str(item.notification_id),
                "type": item.type,
            },
            "android": {"collapse_key": item.type, "priority": "normal"},
        }
        return await self._fcm.send(device.token, message)

    async def _send_webpush(self, item: DeliveryItem, device: _Device) -> SendResult:
        if self._webpush is None:
            key_file = self.settings.vapid_key_file
            if key_file is None:
                raise NotSent("Web Push is switched off (REVENGE_WEBPUSH_ENABLED=false)")
            self._webpush = WebPushClient(key_file, self.settings.webpush.vapid_subject)
        payload = {
            "id": str(item.notification_id),
            "type": item.type,
            "title": item.title,
            "body": item.message,
        }
        endpoint = device.token
        try:  # checked again at send time: DNS may have changed since it was registered
            await check_url(endpoint, self.settings.webhook.allow_list)
        except UnsafeTarget as exc:
            raise TargetGone(f"push endpoint refused: {exc}") from exc
        return await self._webpush.send(endpoint, device.keys or {}, payload)

    async def _forget_gone(
        self, session: AsyncSession, devices: dict[str, _Device], outcomes: Sequence[Outcome]
    ) -> None:
        """Devices the push service no longer knows stop receiving."""
        for outcome in (o for o in outcomes if o.target_gone):
            key = outcome.item.target_key
            device_id = uuid.UUID(key)
            device = devices.get(key)
            if device is not None and device.kind == "webpush":
                # An expired browser subscription is gone for good; the browser subscribes anew.
                await session.execute(delete(PushDevice).where(PushDevice.id == device_id))
            else:
                await session.execute(
                    update(PushDevice)
                    .where(PushDevice.id == device_id)
                    .values(disabled_at=utcnow(), disabled_reason=outcome.error)
                )

    async def aclose(self) -> None:
        for client in (self._fcm, self._webpush):
            if client is not None:
                await client.aclose()


__all__ = ["FcmClient", "PermanentError", "PushChannel", "WebPushClient", "vapid_public_key"]
