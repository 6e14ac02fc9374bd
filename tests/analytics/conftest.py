"""Generated play histories with known answers: raw sessions are written the way the playback
feature writes them, and every statistic is recomputed from those rows in plain Python."""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from revenge.core import events
from revenge.core.clock import utcnow
from revenge.core.config import PlayRuleSettings
from revenge.core.db import session_scope
from revenge.library.models import Album, Artist, Episode, Library, Movie, Season, Series, Track
from revenge.playback.models import PlaySession
from revenge.playback.rules import meets_play_rule
from revenge.playback.service import facts_of

RULES = PlayRuleSettings()
ANALYTICS_TABLES = [
    "analytics_play_facts",
    "play_statistics",
    "analytics_media_users",
    "user_statistics",
    "analytics_user_totals",
    "analytics_media_daily",
    "analytics_daily_totals",
    "analytics_daily_clients",
    "analytics_daily_hours",
    "analytics_user_tops",
    "analytics_media_periods",
]

# ``changes`` counts incremental updates (for the report cache); a rebuild starts it at 0.
SNAPSHOT_COLUMNS = {"analytics_daily_totals": "day, media_type, plays, duration_ms"}


@dataclass
class Catalogue:
    items: list[tuple[str, uuid.UUID, int]] = field(default_factory=list)  # type, id, duration
    genres: dict[tuple[str, uuid.UUID], list[str]] = field(default_factory=dict)
    artist_of: dict[uuid.UUID, tuple[uuid.UUID, str]] = field(default_factory=dict)
    series_of: dict[uuid.UUID, tuple[uuid.UUID, str]] = field(default_factory=dict)
    titles: dict[tuple[str, uuid.UUID], str] = field(default_factory=dict)


async def make_catalogue() -> Catalogue:
    """Three movies, two series with episodes, two artists with tracks, all with genres."""
    cat = Catalogue()
    async with session_scope() as s:
        libs = {
            k: Library(name=f"{k}-{uuid.uuid4().hex[:6]}", kind=k, path=f"/srv/{uuid.uuid4().hex}")
            for k in ("movies", "tv", "music")
        }
        s.add_all(libs.values())
        await s.flush()
        for title, genres, minutes in (
            ("Heat", ["Crime", "Thriller"], 170),
            ("Alien", ["Horror", "Science Fiction"], 117),
            ("Amélie", ["Comedy", "Romance"], 122),
        ):
            movie = Movie(
                library_id=libs["movies"].id,
                title=title,
                genres=genres,
                duration_ms=minutes * 60_000,
            )
            s.add(movie)
            await s.flush()
            cat.items.append(("movie", movie.id, movie.duration_ms))
            cat.genres[("movie", movie.id)] = genres
            cat.titles[("movie", movie.id)] = title
        for title, genres in (("Dark", ["Drama", "Science Fiction"]), ("Fargo", ["Crime"])):
            series = Series(library_id=libs["tv"].id, title=title, genres=genres)
            s.add(series)
            await s.flush()
            season = Season(series_id=series.id, season_number=1)
            s.add(season)
            await s.flush()
            for number in (1, 2):
                episode = Episode(
                    series_id=series.id,
                    season_id=season.id,
                    season_number=1,
                    episode_number=number,
                    duration_ms=50 * 60_000,
                )
                s.add(episode)
                await s.flush()
                cat.items.append(("episode", episode.id, episode.duration_ms))
                cat.genres[("episode", episode.id)] = genres
                cat.series_of[episode.id] = (series.id, title)
        for name, genres in (("Massive Attack", ["Trip Hop"]), ("Björk", ["Electronic", "Pop"])):
            artist = Artist(library_id=libs["music"].id, name=name)
            s.add(artist)
            await s.flush()
            album = Album(artist_id=artist.id, title=f"{name} LP", genres=genres)
            s.add(album)
            await s.flush()
            for number, seconds in ((1, 330), (2, 25), (3, 600)):
                track = Track(
                    album_id=album.id,
                    artist_id=artist.id,
                    title=f"{name} {number}",
                    duration_ms=seconds * 1000,
                )
                s.add(track)
                await s.flush()
                cat.items.append(("track", track.id, track.duration_ms))
                cat.genres[("track", track.id)] = genres
                cat.artist_of[track.id] = (artist.id, name)
    return cat


async def add_session(
    user_id: uuid.UUID,
    media_type: str,
    media_id: uuid.UUID,
    duration_ms: int,
    started_at: datetime,
    played_ms: int,
    *,
    paused_ms: int = 0,
    client: str | None = None,
    device: str | None = None,
    announce: bool = True,
) -> uuid.UUID:
    """A finished raw session as playback writes it (time capped, rule applied), announced."""
    played_ms = min(played_ms, duration_ms)
    ended = started_at + timedelta(milliseconds=played_ms + paused_ms)
    async with session_scope() as s:
        play = PlaySession(
            user_id=user_id,
            media_type=media_type,
            media_id=media_id,
            state="stopped",
            client=client,
            device=device,
            started_at=started_at,
            last_event_at=ended,
            playing_since=None,
            position_ms=played_ms,
            played_ms=played_ms,
            item_duration_ms=duration_ms,
            ended_at=ended,
            counted=meets_play_rule(media_type, played_ms, duration_ms, RULES),
        )
        s.add(play)
        await s.flush()
        if announce:
            await events.emit(s, facts_of(events.PlaybackSessionFinished, play, "stop", RULES))
        return play.id


async def generate_history(
    users: list[Any], cat: Catalogue, plays: int, seed: int = 7, days: int = 75
) -> None:
    rng = random.Random(seed)
    now = utcnow()
    clients = [("Web", "Firefox"), ("Android", "Pixel 8"), ("Kodi", "Living room"), (None, None)]
    for _ in range(plays):
        user = rng.choice(users)
        media_type, media_id, duration = rng.choice(cat.items)
        started = now - timedelta(minutes=rng.randint(5, days * 24 * 60))
        share = rng.choice([0.05, 0.2, 0.45, 0.55, 0.9, 1.0, 1.6])  # > 1: over-long session
        client, device = rng.choice(clients)
        await add_session(
            user.id,
            media_type,
            media_id,
            duration,
            started,
            int(duration * share),
            paused_ms=rng.choice([0, 0, 600_000]),
            client=client,
            device=device,
        )


# --- the reference: plain Python over the raw rows --------------------------------------


@dataclass
class RawPlay:
    session_id: uuid.UUID
    user_id: uuid.UUID
    media_type: str
    media_id: uuid.UUID
    started_at: datetime
    played_ms: int
    duration_ms: int
    counted: bool
    client: str | None
    device: str | None
    timezone: str

    @property
    def local(self) -> datetime:
        return self.started_at.astimezone(ZoneInfo(self.timezone))

    @property
    def utc_day(self) -> date:
        return self.started_at.astimezone(UTC).date()


async def raw_plays(counted_only: bool = True) -> list[RawPlay]:
    async with session_scope() as s:
        rows = await s.execute(
            text(
                "SELECT s.id, s.user_id, s.media_type, s.media_id, s.started_at, s.played_ms, "
                "s.item_duration_ms, s.counted, s.client, s.device, u.timezone "
                "FROM shared.play_sessions s JOIN shared.users u ON u.id = s.user_id "
                "WHERE s.ended_at IS NOT NULL"
            )
        )
        plays = [RawPlay(*r) for r in rows]
    return [p for p in plays if p.counted or not counted_only]


def period_start(period: str, day: date) -> date:
    return {
        "day": day,
        "week": day - timedelta(days=day.weekday()),
        "month": day.replace(day=1),
        "year": day.replace(month=1, day=1),
        "all": date(1970, 1, 1),
    }[period]


def expected_user_statistics(plays: list[RawPlay]) -> dict[tuple, dict[str, int]]:
    stats: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for p in plays:
        for period in ("day", "week", "month", "year", "all"):
            row = stats[(p.user_id, period, period_start(period, p.local.date()))]
            row[
                {
                    "movie": "movies_watched",
                    "episode": "episodes_watched",
                    "track": "music_tracks_played",
                }[p.media_type]
            ] += 1
            row["total_watch_time_ms"] += p.played_ms
    return stats


async def rankings() -> list[tuple]:
    """The ranked lists of every window, scope and metric, in order."""
    async with session_scope() as s:
        rows = await s.execute(
            text(
                "SELECT window_days, scope, metric, rank, media_type, media_id, plays, "
                "unique_users, duration_ms, previous_plays, score, title "
                "FROM shared.analytics_rankings ORDER BY 1, 2, 3, 4"
            )
        )
        return [tuple(r) for r in rows]


async def snapshot() -> dict[str, list[tuple]]:
    """Every analytics table's rows, sorted (to compare rebuild with incremental)."""
    result = {}
    async with session_scope() as s:
        for table in ANALYTICS_TABLES:
            columns = SNAPSHOT_COLUMNS.get(table, "*")
            rows = await s.execute(text(f"SELECT {columns} FROM shared.{table}"))  # noqa: S608
            result[table] = sorted(tuple(str(v) for v in r) for r in rows)
    return result


@pytest.fixture
def catalogue_factory():
    return make_catalogue
