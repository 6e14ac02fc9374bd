from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class ConnectionRead(BaseModel):
    """A provider as the user sees it: available, connected, healthy, syncing."""

    provider: str
    label: str
    available: bool
    connected: bool
    media_types: list[str]
    username: str | None = None
    enabled: bool | None = None
    scrobble_movies: bool | None = None
    scrobble_tv: bool | None = None
    scrobble_music: bool | None = None
    status: str | None = None  # connected | needs_reconnect
    status_reason: str | None = None
    status_message: str | None = None  # translated, for needs_reconnect
    last_error: str | None = None
    expires_at: datetime | None = None
    last_sync_at: datetime | None = None
    sync_status: str | None = None
    sync_items: int | None = None
    sync_pages_done: int | None = None
    sync_error: str | None = None
    pending: int = 0
    failed: int = 0


class ConnectRequest(BaseModel):
    # Trakt: "code" (browser redirect, default) or "device" (headless). ListenBrainz: token.
    flow: Literal["code", "device"] | None = None
    token: str | None = Field(None, min_length=1, max_length=200)


class ConnectResponse(BaseModel):
    provider: str
    kind: Literal["redirect", "device", "token"]
    authorize_url: str | None = None
    state: str | None = None
    user_code: str | None = None
    verification_url: str | None = None
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
    provider: str
    media_type: str
    media_id: uuid.UUID
    action: str
    timestamp: datetime
    title: str | None = None
    artist: str | None = None
    progress: float | None
    status: str
    retry_count: int
    next_attempt_at: datetime
    last_error: str | None
    last_status_code: int | None
    sent_at: datetime | None
    created_at: datetime


class SyncStarted(BaseModel):
    provider: str
    sync_status: str


class RecommendationRead(BaseModel):
    kind: str
    title: str | None
    artist: str | None = None
    year: int | None = None
    score: float | None = None
    ids: dict[str, Any] = {}


class RecommendationsRead(BaseModel):
    provider: str
    items: list[RecommendationRead]


class ImportedRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    provider: str
    external_id: str
    media_type: str
    title: str | None
    artist: str | None
    year: int | None
    ids: dict[str, Any]
    at: datetime | None = None
    rating: int | None = None


class LoveRead(BaseModel):
    track_id: uuid.UUID
    loved: bool
