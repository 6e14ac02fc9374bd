"""Every ORM model, imported once so Alembic and the app see the whole schema."""

from revenge.core.ratelimit import RateLimitBucket
from revenge.fingerprints.models import (
    DuplicateGroup,
    DuplicateLink,
    DuplicateMember,
    FingerprintFailure,
    FingerprintRun,
    MediaFingerprint,
)
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
    "ApiKey",
    "Artist",
    "AuthSession",
    "DuplicateGroup",
    "DuplicateLink",
    "DuplicateMember",
    "Episode",
    "FingerprintFailure",
    "FingerprintRun",
    "Library",
    "LibraryScan",
    "MediaFile",
    "MediaFingerprint",
    "MediaImage",
    "Movie",
    "PlayEvent",
    "PlaySession",
    "RateLimitBucket",
    "Season",
    "Series",
    "Track",
    "User",
]
