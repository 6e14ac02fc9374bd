from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from revenge.notifications.types import NotificationType


class NotificationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    type: str
    title: str
    message: str
    data: dict[str, Any]
    read_at: datetime | None
    created_at: datetime


class NotificationPage(BaseModel):
    items: list[NotificationRead]
    total: int
    unread: int
    limit: int
    offset: int


class ReadAllResult(BaseModel):
    marked: int


class PreferenceRead(BaseModel):
    notification_type: NotificationType
    in_app: bool
    email: bool
    push: bool
    webhook: bool


class PreferenceUpdate(BaseModel):
    notification_type: NotificationType
    in_app: bool | None = None
    email: bool | None = None
    push: bool | None = None
    webhook: bool | None = None


class PreferencesUpdate(BaseModel):
    preferences: list[PreferenceUpdate] = Field(min_length=1, max_length=50)


class PushTokenCreate(BaseModel):
    """An FCM registration token, or a Web Push subscription (endpoint + keys)."""

    kind: Literal["fcm", "webpush"] = "fcm"
    platform: Literal["android", "ios", "web"] = "android"
    token: str = Field(min_length=8, max_length=4096)
    keys: dict[str, str] | None = None


class WebPushKeyRead(BaseModel):
    """The VAPID public key, base64url (no padding) of the uncompressed P-256 point."""

    public_key: str


class PushTokenDelete(BaseModel):
    token: str = Field(min_length=8, max_length=4096)


class PushDeviceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: str
    platform: str
    last_seen_at: datetime
    disabled_at: datetime | None


class ChannelCreate(BaseModel):
    channel_type: Literal["email", "webhook"]
    name: str = Field(min_length=1, max_length=100)
    enabled: bool = True
    address: EmailStr | None = None  # email
    url: str | None = Field(None, max_length=2000)  # webhook
    payload_template: str | None = Field(None, max_length=20_000)  # webhook


class ChannelUpdate(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=100)
    enabled: bool | None = None
    address: EmailStr | None = None
    url: str | None = Field(None, max_length=2000)
    payload_template: str | None = Field(None, max_length=20_000)
    rotate_secret: bool = False


class ChannelRead(BaseModel):
    id: uuid.UUID
    channel_type: str
    name: str
    enabled: bool
    address: str | None = None
    url: str | None = None
    payload_template: str | None = None
    consecutive_failures: int
    disabled_reason: str | None
    last_success_at: datetime | None
    last_failure_at: datetime | None
    created_at: datetime
    # Shown once: when a webhook is created or its secret rotated.
    secret: str | None = None


class ChannelTestResult(BaseModel):
    notification_id: uuid.UUID
    delivery_id: uuid.UUID
    status: str
