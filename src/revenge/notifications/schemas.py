from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from revenge.core.artwork_urls import Artwork
from revenge.core.types import SaneDatetime, Text
from revenge.notifications.types import NotificationType


class NotificationRead(BaseModel):
    """A notice as the reader reads it: title and message in the reader's current language."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    type: Text
    title: Text
    message: Text
    data: dict[Text, Any]
    # The web app's page the notice is about (an item, the requests, a settings page).
    link: Text | None = None
    # The poster or cover of the item it is about, as this API serves it.
    thumbnail: Text | None = None
    # The same picture as signed URLs (no login needed, so an <img> can show it).
    artwork: Artwork | None = None
    read_at: SaneDatetime | None
    created_at: SaneDatetime


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
    token: Text = Field(min_length=8, max_length=4096)
    keys: dict[Text, Text] | None = None


class WebPushKeyRead(BaseModel):
    """The VAPID public key, base64url (no padding) of the uncompressed P-256 point."""

    public_key: Text


class PushTokenDelete(BaseModel):
    token: Text = Field(min_length=8, max_length=4096)


class PushDeviceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: Text
    platform: Text
    last_seen_at: SaneDatetime
    disabled_at: SaneDatetime | None


class ChannelCreate(BaseModel):
    channel_type: Literal["email", "webhook"]
    name: Text = Field(min_length=1, max_length=100)
    enabled: bool = True
    address: EmailStr | None = None  # email
    url: Text | None = Field(None, max_length=2000)  # webhook
    payload_template: Text | None = Field(None, max_length=20_000)  # webhook


class ChannelUpdate(BaseModel):
    name: Text | None = Field(None, min_length=1, max_length=100)
    enabled: bool | None = None
    address: EmailStr | None = None
    url: Text | None = Field(None, max_length=2000)
    payload_template: Text | None = Field(None, max_length=20_000)
    rotate_secret: bool = False


class ChannelRead(BaseModel):
    id: uuid.UUID
    channel_type: Text
    name: Text
    enabled: bool
    address: Text | None = None
    url: Text | None = None
    payload_template: Text | None = None
    consecutive_failures: int
    disabled_reason: Text | None
    last_success_at: SaneDatetime | None
    last_failure_at: SaneDatetime | None
    created_at: SaneDatetime
    # Shown once: when a webhook is created or its secret rotated.
    secret: Text | None = None


class ChannelTestResult(BaseModel):
    notification_id: uuid.UUID
    delivery_id: uuid.UUID
    status: Text
