"""Request and response bodies of the downloader API."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from pydantic_core import PydanticCustomError

from revenge.core.types import INT32_MAX, NonNegativeInt32, SaneDatetime, Text
from revenge.downloaders.clients.base import DownloaderKind


def _base_url(value: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PydanticCustomError("url_scheme", "must be an http:// or https:// address")
    if parts.query or parts.fragment:
        raise PydanticCustomError("url_parsing", "must not have a query or fragment")
    try:
        _ = parts.port  # a port out of range raises here
    except ValueError as exc:
        raise PydanticCustomError("url_parsing", "has an invalid port") from exc
    return value.strip().rstrip("/")


# The address the downloader answers at, with its URL base if it has one
# (http://nas:7878/radarr); a trailing slash is dropped.
BaseUrl = Annotated[str, StringConstraints(min_length=8, max_length=500), AfterValidator(_base_url)]
# What Radarr & co. show under Settings → General → API Key (visible ASCII only: it is sent
# in a header).
ApiKey = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=r"^[!-~]+$")
]
ProfileId = Annotated[int, Field(ge=1, le=INT32_MAX)]
FolderPath = Annotated[Text, StringConstraints(min_length=1, max_length=500)]
MinimumAvailability = Literal["announced", "inCinemas", "released"]
SeriesType = Literal["standard", "daily", "anime"]


class PathMapping(BaseModel):
    """A prefix the downloader sees (``from``) and the same folder as this server sees it."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: FolderPath = Field(alias="from")
    to: FolderPath


class _DownloaderFields(BaseModel):
    quality_profile_id: ProfileId | None = None
    root_folder: FolderPath | None = None
    # Lidarr only.
    metadata_profile_id: ProfileId | None = None
    # Radarr only: when a movie counts as out.
    minimum_availability: MinimumAvailability | None = None
    # Sonarr only.
    series_type: SeriesType | None = None
    season_folder: bool | None = None
    tags: list[NonNegativeInt32] = Field(default_factory=list, max_length=100)
    search_on_add: bool = True
    path_map: list[PathMapping] = Field(default_factory=list, max_length=50)


class DownloaderCreate(_DownloaderFields):
    model_config = ConfigDict(extra="forbid")

    kind: DownloaderKind
    name: Annotated[Text, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    base_url: BaseUrl
    api_key: ApiKey
    # None: the first downloader of its kind becomes the default.
    is_default: bool | None = None


class DownloaderUpdate(BaseModel):
    """Only the fields sent change; ``null`` clears an optional one. The kind stays."""

    model_config = ConfigDict(extra="forbid")

    name: (
        Annotated[Text, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
        | None
    ) = None
    base_url: BaseUrl | None = None
    api_key: ApiKey | None = None
    quality_profile_id: ProfileId | None = None
    root_folder: FolderPath | None = None
    metadata_profile_id: ProfileId | None = None
    minimum_availability: MinimumAvailability | None = None
    series_type: SeriesType | None = None
    season_folder: bool | None = None
    tags: list[NonNegativeInt32] | None = Field(None, max_length=100)
    search_on_add: bool | None = None
    is_default: bool | None = None
    path_map: list[PathMapping] | None = Field(None, max_length=50)


class DownloaderRead(_DownloaderFields):
    id: uuid.UUID
    kind: DownloaderKind
    name: Text
    base_url: Text
    # The key is never shown again; this says one is stored.
    api_key_set: bool
    is_default: bool
    last_webhook_at: SaneDatetime | None
    last_webhook_event: Text | None
    last_checked_at: SaneDatetime | None
    last_error: Text | None
    last_error_at: SaneDatetime | None
    created_at: SaneDatetime
    updated_at: SaneDatetime


class WebhookUrl(BaseModel):
    """The downloader's webhook address, shown this once (only a digest of its token is kept):
    paste it into the downloader's Settings → Connect → Webhook."""

    webhook_url: Text


class DownloaderCreated(DownloaderRead, WebhookUrl):
    pass


class DownloaderTestBody(BaseModel):
    """Settings not saved yet; without ``api_key``, the key stored for ``downloader_id``."""

    model_config = ConfigDict(extra="forbid")

    kind: DownloaderKind
    base_url: BaseUrl
    api_key: ApiKey | None = None
    downloader_id: uuid.UUID | None = None


class ChoiceRead(BaseModel):
    id: int
    name: Text


class RootFolderRead(BaseModel):
    path: Text
    free_space: int | None
    accessible: bool | None


class DownloaderTestResult(BaseModel):
    """What the downloader offers to choose from (it answered, and took the key)."""

    app_name: Text
    version: Text | None
    quality_profiles: list[ChoiceRead]
    root_folders: list[RootFolderRead]
    # Lidarr only (empty for the others).
    metadata_profiles: list[ChoiceRead]
    tags: list[ChoiceRead]


class WebhookAck(BaseModel):
    """What this server did with a downloader's webhook."""

    event: Text
    action: Literal["test", "scan", "ignore"]
    # Targeted scans queued (paths outside every library are not scanned).
    scans: int


class QueueCheck(BaseModel):
    """A look at a downloader's queue: how many downloads it holds, how many requests' downloads
    changed, and why the look failed (if it did)."""

    checked_at: SaneDatetime
    downloads: int
    changed: int
    error: Text | None
