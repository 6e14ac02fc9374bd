"""Analytics tables (schema ``shared``): one fact row per play session and the rollups built
from those facts. Every rollup can be rebuilt from ``shared.play_sessions``; the facts let a
session that finishes twice (resumed within the window) update the rollups by its delta only."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Float,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from revenge.core.db import Base

SCHEMA = {"schema": "shared"}


def _count() -> Mapped[int]:
    return mapped_column(BigInteger, server_default="0")


class PlayFact(Base):
    """What one finished session contributed to the statistics (the last time it was applied)."""

    __tablename__ = "analytics_play_facts"
    # By session (the delta path) and by UTC day (the rankings' windows); the rebuild scans.
    __table_args__ = (Index("ix_analytics_play_facts_utc_day", "utc_day"), SCHEMA)

    session_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    media_type: Mapped[str] = mapped_column(String(16))
    media_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    started_at: Mapped[datetime]
    # The play's day and hour in the user's timezone (user statistics, hour/weekday charts) …
    local_day: Mapped[date] = mapped_column(Date)
    local_hour: Mapped[int] = mapped_column(SmallInteger)
    local_dow: Mapped[int] = mapped_column(SmallInteger)  # ISO: 1 = Monday … 7 = Sunday
    # … and its UTC day (server-wide and per-item rollups).
    utc_day: Mapped[date] = mapped_column(Date)
    played_ms: Mapped[int] = mapped_column(BigInteger)
    counted: Mapped[bool] = mapped_column(Boolean)
    completed: Mapped[bool] = mapped_column(Boolean)
    client: Mapped[str] = mapped_column(String(100))
    device: Mapped[str] = mapped_column(String(100))


class PlayStatistics(Base):
    """All-time figures per item, kept current when a play finishes."""

    __tablename__ = "play_statistics"
    __table_args__ = (SCHEMA,)

    media_type: Mapped[str] = mapped_column(String(16), primary_key=True)
    media_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    total_plays: Mapped[int] = _count()
    unique_users: Mapped[int] = _count()
    total_duration_ms: Mapped[int] = _count()
    completed_plays: Mapped[int] = _count()
    first_played: Mapped[datetime | None]
    last_played: Mapped[datetime | None]


class MediaUser(Base):
    """Who played what (unique users per item; a user's top genres, artists, series)."""

    __tablename__ = "analytics_media_users"
    __table_args__ = (SCHEMA,)

    media_type: Mapped[str] = mapped_column(String(16), primary_key=True)
    media_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    plays: Mapped[int] = _count()
    duration_ms: Mapped[int] = _count()


class UserTops(Base):
    """A user's plays per genre, artist and series (the top lists of /users/me/stats)."""

    __tablename__ = "analytics_user_tops"
    # /users/me/stats reads ten rows per kind from this index alone (a heavy listener has
    # thousands of rows per kind, spread over the table).
    __table_args__ = (
        Index(
            "ix_analytics_user_tops_ranked",
            "user_id",
            "kind",
            text("plays DESC"),
            "name",
            postgresql_include=["key"],
        ),
        SCHEMA,
    )

    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)  # genre|artist|series
    key: Mapped[str] = mapped_column(String(100), primary_key=True)  # genre name or item id
    name: Mapped[str] = mapped_column(String(500))
    plays: Mapped[int] = _count()


class UserStatistics(Base):
    """Per user and period (day|week|month|year|all) in the user's timezone."""

    __tablename__ = "user_statistics"
    # Reports list every user's row of one period (read from the index alone).
    __table_args__ = (
        Index(
            "ix_user_statistics_period",
            "period",
            "period_start",
            postgresql_include=[
                "user_id",
                "movies_watched",
                "episodes_watched",
                "music_tracks_played",
                "total_watch_time_ms",
            ],
        ),
        SCHEMA,
    )

    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    period: Mapped[str] = mapped_column(String(8), primary_key=True)
    # The local date the period starts on (1970-01-01 for "all").
    period_start: Mapped[date] = mapped_column(Date, primary_key=True)
    movies_watched: Mapped[int] = _count()
    episodes_watched: Mapped[int] = _count()
    music_tracks_played: Mapped[int] = _count()
    total_watch_time_ms: Mapped[int] = _count()
    movie_time_ms: Mapped[int] = _count()
    episode_time_ms: Mapped[int] = _count()
    music_time_ms: Mapped[int] = _count()


class UserTotals(Base):
    """All-time figures per user; ``last_played`` answers "active in the last N days"."""

    __tablename__ = "analytics_user_totals"
    __table_args__ = (Index("ix_analytics_user_totals_last_played", "last_played"), SCHEMA)

    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    plays: Mapped[int] = _count()
    duration_ms: Mapped[int] = _count()
    first_played: Mapped[datetime | None]
    last_played: Mapped[datetime | None]


class MediaDaily(Base):
    __tablename__ = "analytics_media_daily"
    __table_args__ = (Index("ix_analytics_media_daily_day", "day"), SCHEMA)

    media_type: Mapped[str] = mapped_column(String(16), primary_key=True)
    media_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    plays: Mapped[int] = _count()
    duration_ms: Mapped[int] = _count()


class MediaPeriods(Base):
    """Plays per item and UTC calendar month/year, indexed so a period's top items are read
    in order (reports) instead of summing a month of daily rows."""

    __tablename__ = "analytics_media_periods"
    __table_args__ = (
        Index(
            "ix_analytics_media_periods_top",
            "period",
            "period_start",
            text("plays DESC"),
            "media_type",
            "media_id",
        ),
        SCHEMA,
    )

    period: Mapped[str] = mapped_column(String(8), primary_key=True)  # month|year
    period_start: Mapped[date] = mapped_column(Date, primary_key=True)
    media_type: Mapped[str] = mapped_column(String(16), primary_key=True)
    media_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    plays: Mapped[int] = _count()
    duration_ms: Mapped[int] = _count()


class DailyTotals(Base):
    __tablename__ = "analytics_daily_totals"
    __table_args__ = (SCHEMA,)

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    media_type: Mapped[str] = mapped_column(String(16), primary_key=True)
    plays: Mapped[int] = _count()
    duration_ms: Mapped[int] = _count()
    # How often this day's rollups changed since the last rebuild: part of a cached report's
    # stamp (a sum of counters that only grow cannot come back to an earlier value).
    changes: Mapped[int] = _count()


class DailyClients(Base):
    __tablename__ = "analytics_daily_clients"
    __table_args__ = (SCHEMA,)

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    client: Mapped[str] = mapped_column(String(100), primary_key=True)
    device: Mapped[str] = mapped_column(String(100), primary_key=True)
    plays: Mapped[int] = _count()
    duration_ms: Mapped[int] = _count()


class DailyHours(Base):
    __tablename__ = "analytics_daily_hours"
    __table_args__ = (SCHEMA,)

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    local_hour: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    local_dow: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    plays: Mapped[int] = _count()


class Ranking(Base):
    """Precomputed popular/top/trending lists per window (refreshed by the aggregation job)."""

    __tablename__ = "analytics_rankings"
    __table_args__ = (SCHEMA,)

    window_days: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(16), primary_key=True)  # media type or "all"
    metric: Mapped[str] = mapped_column(String(16), primary_key=True)
    rank: Mapped[int] = mapped_column(Integer, primary_key=True)
    media_type: Mapped[str] = mapped_column(String(16))
    media_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    plays: Mapped[int] = mapped_column(BigInteger)
    unique_users: Mapped[int] = mapped_column(BigInteger)
    duration_ms: Mapped[int] = mapped_column(BigInteger)
    previous_plays: Mapped[int] = mapped_column(BigInteger)
    score: Mapped[float] = mapped_column(Float)
    # Looked up when the ranking is computed, so reading a ranking is a single query.
    title: Mapped[str | None] = mapped_column(String(500))
    computed_at: Mapped[datetime]


class AnalyticsState(Base):
    """When derived data was last refreshed (e.g. the rankings)."""

    __tablename__ = "analytics_state"
    __table_args__ = (SCHEMA,)

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    updated_at: Mapped[datetime]
    data: Mapped[dict | None] = mapped_column(JSONB)


class ReportCache(Base):
    """A report as built (``users_json``: every user's row; ``head_json``: the rest, without
    titles), valid while ``stamp`` matches; titles are looked up on every read.
    ``users_json`` is stored uncompressed (migration 0012)."""

    __tablename__ = "analytics_report_cache"
    __table_args__ = (SCHEMA,)

    period: Mapped[str] = mapped_column(String(8), primary_key=True)
    period_start: Mapped[date] = mapped_column(Date, primary_key=True)
    stamp: Mapped[str] = mapped_column(String(100))
    users_json: Mapped[str] = mapped_column(Text)
    head_json: Mapped[str] = mapped_column(Text)
    built_at: Mapped[datetime] = mapped_column(server_default=func.now())
