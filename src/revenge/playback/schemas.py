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
