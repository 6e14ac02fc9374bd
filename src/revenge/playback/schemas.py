from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from revenge.core.artwork_urls import Artwork
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
    # The display title ("Dark S01E02 – Lies"); None when the item has left the library.
    title: Text | None
    # The second line of the player's pages ("Dark S01E02", "Massive Attack – Mezzanine").
    subtitle: Text | None = None
    artwork: Artwork | None = None
    started_at: SaneDatetime
    ended_at: SaneDatetime
    played_ms: int
    client: Text | None
    device: Text | None


# --- playing in the browser ----------------------------------------------------------------------

PlayableType = Literal["movie", "episode", "track"]


class PlaybackFile(BaseModel):
    """What the browser needs to know whether it can play the file itself."""

    # What the stream's Content-Type says: the scanner's type, else a guess from the name.
    mime_type: Text
    container: Text | None
    video_codec: Text | None
    audio_codec: Text | None
    width: int | None
    height: int | None
    size_bytes: int


class PlaybackInfo(BaseModel):
    media_type: PlayableType
    media_id: uuid.UUID
    # Its own title ("Lies"); the series or artist and album are the subtitle.
    title: Text
    subtitle: Text | None
    duration_ms: int | None
    file: PlaybackFile
    # ``/api/v1/stream/{file_id}?t=…``: for ``<video src>``/``<audio src>`` (no login header
    # needed; the token is this user's, for this file, until ``stream_expires_at``).
    stream_url: Text
    stream_expires_at: SaneDatetime
    # Where to resume; None when never started, finished (last 5 %), under 30 s in, or marked
    # played or unplayed since.
    resume_position_ms: int | None
    # A counted play since the item was last marked unplayed, or marked played.
    played: bool
    # Every counted play of the item by this user (marking unplayed keeps them).
    play_count: int
    artwork: Artwork | None


class PlayedState(BaseModel):
    played: bool
    play_count: int


class HomeEntry(BaseModel):
    media_type: PlayableType
    media_id: uuid.UUID
    title: Text
    subtitle: Text | None
    # Where the play stopped (continue) or ended (recent plays).
    position_ms: int
    duration_ms: int | None
    last_played_at: SaneDatetime
    artwork: Artwork | None


class AddedEntry(BaseModel):
    media_type: Literal["movie", "series", "album"]
    media_id: uuid.UUID
    title: Text
    subtitle: Text | None
    year: int | None
    # A movie's or album's arrival; a series' newest episode's.
    added_at: SaneDatetime
    artwork: Artwork | None


class HomeRead(BaseModel):
    """The web app's start page, all of it the caller's own (no other user's plays)."""

    model_config = ConfigDict(populate_by_name=True)

    # Started and not finished, most recently heard first (at most 20).
    continue_: list[HomeEntry] = Field(alias="continue")
    # The last counted play of each of the 20 items played most recently, newest first.
    recent_plays: list[HomeEntry]
    # The 20 newest movies, series (by newest episode) and albums.
    recently_added: list[AddedEntry]


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
    # The same picture as signed URLs an <img> loads without the token; null without one.
    artwork: Artwork | None = None


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
