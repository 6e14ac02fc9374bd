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
from revenge.notifications.models import (
    Notification,
    NotificationChannel,
    NotificationDelivery,
    NotificationDeliveryAttempt,
    NotificationPreference,
    PendingNewContent,
    PushDevice,
)
from revenge.playback.models import PlayEvent, PlaySession
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
    "Notification",
    "NotificationChannel",
    "NotificationDelivery",
    "NotificationDeliveryAttempt",
    "NotificationPreference",
    "PendingNewContent",
    "PlayEvent",
    "PlaySession",
    "PushDevice",
    "RateLimitBucket",
    "Season",
    "Series",
    "Track",
    "User",
]
