"""Every ORM model, imported once so Alembic and the app see the whole schema."""

from revenge.analytics.models import (
    AnalyticsState,
    DailyClients,
    DailyHours,
    DailyTotals,
    MediaDaily,
    MediaUser,
    PlayFact,
    PlayStatistics,
    Ranking,
    UserStatistics,
    UserTops,
    UserTotals,
)
from revenge.core.ratelimit import RateLimitBucket
from revenge.library.models import (
    Album,
    Artist,
    Episode,
    Library,
    LibraryScan,
    MediaFile,
    MediaImage,
    Movie,
    Season,
    Series,
    Track,
)
from revenge.playback.models import PlayEvent, PlaySession
from revenge.users.models import ApiKey, AuthSession, User

__all__ = [
    "Album",
    "AnalyticsState",
    "ApiKey",
    "Artist",
    "AuthSession",
    "DailyClients",
    "DailyHours",
    "DailyTotals",
    "Episode",
    "Library",
    "LibraryScan",
    "MediaDaily",
    "MediaFile",
    "MediaImage",
    "MediaUser",
    "Movie",
    "PlayEvent",
    "PlayFact",
    "PlaySession",
    "PlayStatistics",
    "Ranking",
    "RateLimitBucket",
    "Season",
    "Series",
    "Track",
    "User",
    "UserStatistics",
    "UserTops",
    "UserTotals",
]
