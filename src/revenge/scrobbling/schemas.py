from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from revenge.core.types import SaneDatetime, Text


class ConnectionRead(BaseModel):
    """A provider as the user sees it: available, connected, healthy, syncing."""

    provider: Text
    label: Text
    available: bool
    connected: bool
    media_types: list[Text]
    username: Text | None = None
    enabled: bool | None = None
    scrobble_movies: bool | None = None
    scrobble_tv: bool | None = None
    scrobble_music: bool | None = None
    status: Text | None = None  # connected | needs_reconnect
    status_reason: Text | None = None
    status_message: Text | None = None  # translated, for needs_reconnect
    last_error: Text | None = None
    expires_at: SaneDatetime | None = None
    last_sync_at: SaneDatetime | None = None
    sync_status: Text | None = None
    sync_items: int | None = None
    sync_pages_done: int | None = None
    sync_error: Text | None = None
    pending: int = 0
    failed: int = 0


class ConnectRequest(BaseModel):
    # Trakt: "code" (browser redirect, default) or "device" (headless). ListenBrainz: token.
    flow: Literal["code", "device"] | None = None
    token: Text | None = Field(None, min_length=1, max_length=200)


class ConnectResponse(BaseModel):
    provider: Text
    kind: Literal["redirect", "device", "token"]
    authorize_url: Text | None = None
    state: Text | None = None
    user_code: Text | None = None
    verification_url: Text | None = None
    expires_in: int | None = None
    interval: int | None = None
    connection: ConnectionRead | None = None


class ConnectionSettingsUpdate(BaseModel):
    enabled: bool | None = None
    scrobble_movies: bool | None = None
    scrobble_tv: bool | None = None
    scrobble_music: bool | None = None


class QueueItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    provider: Text
    media_type: Text
    media_id: uuid.UUID
    action: Text
    timestamp: SaneDatetime
    title: Text | None = None
    artist: Text | None = None
    progress: float | None
    status: Text
    retry_count: int
    next_attempt_at: SaneDatetime
    last_error: Text | None
    last_status_code: int | None
    sent_at: SaneDatetime | None
    created_at: SaneDatetime


class SyncStarted(BaseModel):
    provider: Text
    sync_status: Text


class RecommendationRead(BaseModel):
    kind: Text
    title: Text | None
    artist: Text | None = None
    year: int | None = None
    score: float | None = None
    ids: dict[Text, Any] = {}


class RecommendationsRead(BaseModel):
    provider: Text
    items: list[RecommendationRead]


class ImportedRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    provider: Text
    external_id: Text
    media_type: Text
    title: Text | None
    artist: Text | None
    year: int | None
    ids: dict[Text, Any]
    at: SaneDatetime | None = None
    rating: int | None = None


class LoveRead(BaseModel):
    track_id: uuid.UUID
    loved: bool
