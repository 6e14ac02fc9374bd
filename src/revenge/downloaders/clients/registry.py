"""The downloader clients by kind: the one place that knows which classes exist."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from revenge.core.config import DownloaderSettings
from revenge.downloaders.clients.base import (
    DownloaderClient,
    DownloaderConfig,
    DownloaderKind,
    WebhookNotice,
)
from revenge.downloaders.clients.lidarr import LidarrClient
from revenge.downloaders.clients.radarr import RadarrClient
from revenge.downloaders.clients.sonarr import SonarrClient

_CLASSES: dict[DownloaderKind, type[RadarrClient | SonarrClient | LidarrClient]] = {
    DownloaderKind.radarr: RadarrClient,
    DownloaderKind.sonarr: SonarrClient,
    DownloaderKind.lidarr: LidarrClient,
}

# Which kind fetches which requests.
_KIND_FOR_MEDIA = {
    "movie": DownloaderKind.radarr,
    "tv": DownloaderKind.sonarr,
    "music": DownloaderKind.lidarr,
}

# Settings that only one kind has; the others leave them unset.
KIND_FIELDS: dict[DownloaderKind, frozenset[str]] = {
    DownloaderKind.radarr: frozenset({"minimum_availability"}),
    DownloaderKind.sonarr: frozenset({"series_type", "season_folder"}),
    DownloaderKind.lidarr: frozenset({"metadata_profile_id"}),
}


def client_for(
    kind: DownloaderKind | str, config: DownloaderConfig, settings: DownloaderSettings
) -> DownloaderClient:
    """A client for one downloader (cheap; made per use, closed after)."""
    return _CLASSES[DownloaderKind(kind)](
        config,
        timeout_seconds=settings.timeout_seconds,
        max_queue_pages=settings.max_queue_pages,
    )


def kind_label(kind: DownloaderKind | str) -> str:
    return _CLASSES[DownloaderKind(kind)].label


def kind_for_media_type(media_type: str) -> DownloaderKind | None:
    return _KIND_FOR_MEDIA.get(media_type)


def read_webhook(kind: DownloaderKind | str, payload: Mapping[str, Any]) -> WebhookNotice:
    """What a webhook body of ``kind`` says (no client, no key: it only reads the body)."""
    return _CLASSES[DownloaderKind(kind)].webhook_notice(payload)
