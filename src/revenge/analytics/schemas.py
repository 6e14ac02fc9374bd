from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from revenge.core.artwork_urls import Artwork
from revenge.core.types import SaneDatetime, Text

PlayableType = Literal["movie", "episode", "track"]


class Window(StrEnum):
    d7 = "7d"
    d30 = "30d"
    d90 = "90d"
    d365 = "365d"

    @property
    def days(self) -> int:
        return int(self.value[:-1])


class Interval(StrEnum):
    day = "day"
    week = "week"
    month = "month"


class ReportPeriod(StrEnum):
    day = "day"
    week = "week"
    month = "month"
    year = "year"


class RankMetric(StrEnum):
    plays = "plays"
    users = "users"
    duration = "duration"


class PeriodTotals(BaseModel):
    period: Text
    period_start: date
    movies_watched: int = 0
    episodes_watched: int = 0
    music_tracks_played: int = 0
    total_watch_time_ms: int = 0


class NamedCount(BaseModel):
    id: uuid.UUID | None = None
    name: Text
    plays: int


class MyStatsRead(BaseModel):
    timezone: Text
    periods: list[PeriodTotals]
    top_genres: list[NamedCount]
    top_artists: list[NamedCount]
    top_series: list[NamedCount]
    current_streak_days: int


class HistoryPoint(BaseModel):
    period_start: date
    plays: int
    watch_time_ms: int


class MyHistoryRead(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    interval: Interval
    from_: date = Field(alias="from")
    to: date
    media_type: PlayableType | None
    points: list[HistoryPoint]


class Bucket(BaseModel):
    key: int
    plays: int


class ClientUsage(BaseModel):
    client: Text | None
    device: Text | None
    plays: int
    watch_time_ms: int


class MediaTypeTotals(BaseModel):
    media_type: Text
    plays: int
    watch_time_ms: int


class DailyPlays(BaseModel):
    """One UTC day's counted plays per media type (the stacked plays-over-time chart)."""

    day: date
    movie: int = 0
    episode: int = 0
    track: int = 0


class OverviewRead(BaseModel):
    window: Window
    start: date
    end: date
    plays: int
    watch_time_ms: int
    by_media_type: list[MediaTypeTotals]
    active_users: int
    total_users: int
    library: dict[Text, int]
    plays_by_hour: list[Bucket]
    plays_by_weekday: list[Bucket]
    # Every day of the window, oldest first (days without plays are zeros).
    plays_by_day: list[DailyPlays]
    clients: list[ClientUsage]


class RankedItem(BaseModel):
    rank: int
    media_type: Text
    media_id: uuid.UUID
    title: Text | None
    plays: int
    unique_users: int
    duration_ms: int
    # The poster or cover (a track's album cover, an episode's own still or its series'
    # poster); None when there is none to show.
    artwork: Artwork | None = None


class TrendingItem(RankedItem):
    previous_plays: int
    score: float


class PopularRead(BaseModel):
    window: Window
    media_type: PlayableType | None
    metric: RankMetric
    computed_at: SaneDatetime | None
    # When the waiting refresh will rank the plays that arrived after ``computed_at`` (None:
    # nothing waits, the lists are current). Rankings are refreshed a while after plays, in
    # one batch, so a play shows in the totals at once and in the rankings by then.
    refresh_due_at: SaneDatetime | None
    items: list[RankedItem]
    trending: list[TrendingItem]


class RankingsRefreshRead(BaseModel):
    # When the refresh runs: now, unless the job worker is busy.
    refresh_due_at: SaneDatetime


class UserUsage(BaseModel):
    user_id: uuid.UUID
    username: Text
    display_name: Text | None
    plays: int
    watch_time_ms: int
    movies_watched: int
    episodes_watched: int
    music_tracks_played: int
    first_played: SaneDatetime | None
    last_seen: SaneDatetime | None


class MediaStatsRead(BaseModel):
    media_type: PlayableType
    media_id: uuid.UUID
    title: Text | None
    total_plays: int
    unique_users: int
    total_duration_ms: int
    completion_rate: float | None
    first_played: SaneDatetime | None
    last_played: SaneDatetime | None
    window: Window
    plays_over_time: list[HistoryPoint]


class ReportUserRow(BaseModel):
    user_id: uuid.UUID
    username: Text
    plays: int
    watch_time_ms: int
    movies_watched: int
    episodes_watched: int
    music_tracks_played: int


class ReportMediaTypeRow(BaseModel):
    media_type: Text
    plays: int
    watch_time_ms: int
    unique_users: int


class ReportContentRow(BaseModel):
    media_type: Text
    media_id: uuid.UUID
    title: Text | None
    plays: int
    watch_time_ms: int


class ReportRead(BaseModel):
    period: ReportPeriod
    start: date
    end: date
    users: list[ReportUserRow]
    media_types: list[ReportMediaTypeRow]
    top_content: list[ReportContentRow]
