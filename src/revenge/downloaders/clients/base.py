"""What every downloader (Radarr, Sonarr, Lidarr) offers, in downloader-neutral terms.

The hand-off, the progress poll, the settings test and the webhook speak only these types;
each client module maps them to its own API (PROVIDER_PROTOCOLS.md §10) and classifies its
errors into ``DownloaderRejected`` (stop, say why) and ``DownloaderUnavailable`` (try again).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal, Protocol

from revenge.core.http import PermanentError, RetryableError


class DownloaderKind(StrEnum):
    radarr = "radarr"
    sonarr = "sonarr"
    lidarr = "lidarr"


class FailureCode(StrEnum):
    """Why a call to a downloader failed, as stable codes (translated for people)."""

    unauthorized = "unauthorized"  # the API key was refused
    unreachable = "unreachable"  # no connection, or no answer in time
    server_error = "server_error"  # 5xx, 429
    rejected = "rejected"  # 400 with its validation list, or another 4xx
    not_found = "not_found"  # the lookup knows no such movie/series/album/artist
    no_tvdb_id = "no_tvdb_id"  # a series request without a TVDB id the downloader can use
    not_configured = "not_configured"  # quality profile / root folder not chosen yet
    wrong_kind = "wrong_kind"  # the URL answers as another application
    bad_answer = "bad_answer"  # not the JSON a downloader sends (wrong URL base?)
    key_unreadable = "key_unreadable"  # the stored API key cannot be decrypted any more


class DownloaderRejected(PermanentError):
    """Retrying will not help: the key, the settings or the item are wrong."""

    def __init__(self, code: FailureCode, reason: str, *, status_code: int | None = None) -> None:
        super().__init__(reason, status_code=status_code)
        self.code = code


class DownloaderUnavailable(RetryableError):
    """The downloader is down, slow or busy: try again later (``retry_after`` if it said)."""

    def __init__(
        self,
        code: FailureCode,
        reason: str,
        *,
        retry_after: float | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(reason, retry_after=retry_after, status_code=status_code)
        self.code = code


DownloaderError = DownloaderRejected | DownloaderUnavailable


@dataclass(frozen=True)
class DownloaderConfig:
    """One downloader's settings as a client needs them (the API key in clear)."""

    base_url: str
    api_key: str
    quality_profile_id: int | None = None
    root_folder: str | None = None
    metadata_profile_id: int | None = None
    minimum_availability: str | None = None
    series_type: str | None = None
    season_folder: bool | None = None
    tags: tuple[int, ...] = ()
    search_on_add: bool = True


@dataclass(frozen=True)
class Choice:
    id: int
    name: str


@dataclass(frozen=True)
class RootFolderChoice:
    path: str
    free_space: int | None = None
    accessible: bool | None = None


@dataclass(frozen=True)
class Choices:
    """What an admin picks from when setting a downloader up (the "test" answer)."""

    app_name: str
    version: str | None
    quality_profiles: list[Choice]
    root_folders: list[RootFolderChoice]
    metadata_profiles: list[Choice] = field(default_factory=list)
    tags: list[Choice] = field(default_factory=list)


@dataclass(frozen=True)
class HandoffOrder:
    """What a request asks the downloader for (the request's facts when it was approved)."""

    media_type: str  # movie | tv | music
    external_source: str  # tmdb | musicbrainz_release_group | musicbrainz_artist
    external_id: str
    title: str
    year: int | None = None
    tvdb_id: int | None = None
    # TV only; None = the whole series.
    seasons: tuple[int, ...] | None = None


@dataclass(frozen=True)
class HandoffResult:
    """The downloader's id of the item and what was done: added, monitored (it was there,
    unmonitored) or searched (it was there and monitored)."""

    item_id: int
    action: Literal["added", "monitored", "searched", "present"]


@dataclass(frozen=True)
class QueueRecord:
    """One download in a downloader's queue, with the ids it belongs to."""

    title: str | None
    size: int
    size_left: int
    estimated_completion_at: datetime | None
    status: str  # DownloadStatus value
    movie_id: int | None = None
    series_id: int | None = None
    season_number: int | None = None
    album_id: int | None = None
    artist_id: int | None = None


class DownloadStatus(StrEnum):
    """A queue record's state as users see it."""

    queued = "queued"
    paused = "paused"
    downloading = "downloading"
    importing = "importing"
    warning = "warning"
    failed = "failed"


@dataclass(frozen=True)
class WebhookNotice:
    """What a downloader's webhook says: its event and the folders/files it touched.

    ``action`` is ``test`` (answer OK), ``scan`` (look at ``paths``) or ``ignore``."""

    event: str
    action: Literal["test", "scan", "ignore"]
    paths: list[str] = field(default_factory=list)


class DownloaderClient(Protocol):
    """One downloader instance, configured (base URL, key, profiles)."""

    kind: DownloaderKind
    label: str

    async def test(self) -> Choices:
        """Check the URL and key; the profiles, root folders (and metadata profiles) to pick."""

    async def hand_off(self, order: HandoffOrder) -> HandoffResult:
        """Make the downloader fetch ``order``: add it, monitor it, or search for it."""

    async def queue(self) -> list[QueueRecord]:
        """Every download in the queue (paged)."""

    def owns(self, record: QueueRecord, item_id: int, order: HandoffOrder) -> bool:
        """Whether ``record`` is a download of the handed-off item (``item_id``) for ``order``."""

    def webhook_notice(self, payload: Mapping[str, Any]) -> WebhookNotice:
        """Read a webhook body (no I/O)."""

    async def aclose(self) -> None: ...
