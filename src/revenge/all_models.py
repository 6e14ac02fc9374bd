"""Every ORM model, imported once so Alembic and the app see the whole schema."""

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
from revenge.scrobbling.models import (
    ScrobbleAuthState,
    ScrobbleConnection,
    ScrobbleHistoryImport,
    ScrobbleQueueItem,
    ScrobbleRating,
    ScrobbleWatchlistItem,
)
from revenge.users.models import ApiKey, AuthSession, User

__all__ = [
    "Album",
    "ApiKey",
    "Artist",
    "AuthSession",
    "Episode",
    "Library",
    "LibraryScan",
    "MediaFile",
    "MediaImage",
    "Movie",
    "PlayEvent",
    "PlaySession",
    "RateLimitBucket",
    "ScrobbleAuthState",
    "ScrobbleConnection",
    "ScrobbleHistoryImport",
    "ScrobbleQueueItem",
    "ScrobbleRating",
    "ScrobbleWatchlistItem",
    "Season",
    "Series",
    "Track",
    "User",
]
