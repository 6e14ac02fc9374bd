from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


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
    occurred_at: AwareDatetime | None = None
    client: str | None = Field(None, max_length=100)
    device: str | None = Field(None, max_length=100)


class PlaySessionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    session_id: uuid.UUID = Field(validation_alias="id")
    media_type: str
    media_id: uuid.UUID
    state: str
    position_ms: int
    played_ms: int
    started_at: datetime
    ended_at: datetime | None
    counted: bool


class HistoryEntry(BaseModel):
    session_id: uuid.UUID
    media_type: str
    media_id: uuid.UUID
    title: str | None
    started_at: datetime
    ended_at: datetime
    played_ms: int
    client: str | None
    device: str | None
