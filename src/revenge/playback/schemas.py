from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from revenge.core.types import SaneAwareDatetime, SaneDatetime, Text


class PlaybackEventType(StrEnum):
    start = "start"
    pause = "pause"
    resume = "resume"
    progress = "progress"
    stop = "stop"


class PlaybackEventCreate(BaseModel):
    session_id: uuid.UUID | None = None
    media_type: Literal["movie", "episode", "track"]
    media_id: uuid.UUID
    event: PlaybackEventType
    position_ms: int = Field(ge=0, le=7 * 24 * 3600 * 1000)
    occurred_at: SaneAwareDatetime | None = None
    client: Text | None = Field(None, max_length=100)
    device: Text | None = Field(None, max_length=100)


class PlaySessionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    session_id: uuid.UUID = Field(validation_alias="id")
    media_type: Text
    media_id: uuid.UUID
    state: Text
    position_ms: int
    played_ms: int
    started_at: SaneDatetime
    ended_at: SaneDatetime | None
    counted: bool


class HistoryEntry(BaseModel):
    session_id: uuid.UUID
    media_type: Text
    media_id: uuid.UUID
    title: Text | None
    started_at: SaneDatetime
    ended_at: SaneDatetime
    played_ms: int
    client: Text | None
    device: Text | None


# --- live activity (admins) ----------------------------------------------------------------------


class ActivityUser(BaseModel):
    id: uuid.UUID
    # The display name, else the username.
    name: Text


class ActivityItem(BaseModel):
    media_type: Text
    media_id: uuid.UUID
    # The display title ("Dark S01E02 – Lies", "Massive Attack – Teardrop"); None when the
    # item has been removed from the library since.
    title: Text | None
    # What it belongs to, for a second line: a track's album, an episode's season.
    parent_title: Text | None
    year: int | None
    # The poster or cover (an episode's falls back to its series', a track's to its album's);
    # fetched with the caller's token like any other route.
    image_url: Text | None


class ActivitySessionRead(BaseModel):
    session_id: uuid.UUID
    user: ActivityUser
    item: ActivityItem
    # Where the play comes in: native, jellyfin, emby, plex or listenbrainz.
    source: Text
    # The source's name as the admin gave it (a webhook source), else None.
    source_name: Text | None
    client: Text | None
    device: Text | None
    state: Literal["playing", "paused"]
    # Where playback is at ``as_of``: while playing, the last reported position plus the time
    # since, capped at the duration.
    position_ms: int
    duration_ms: int | None
    # position / duration, 0..1; None without a known duration.
    progress: float | None
    started_at: SaneDatetime
    last_event_at: SaneDatetime


class ActivityRead(BaseModel):
    """What plays now, oldest start first. The stream sends the same document."""

    items: list[ActivitySessionRead]
    total: int
    # The moment the positions were computed for (a page moves playing bars on from here).
    as_of: SaneDatetime
