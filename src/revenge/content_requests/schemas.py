"""Request and response bodies of the content request API."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from revenge.content_requests.models import RequestMediaType, RequestStatus
from revenge.core.artwork_urls import Artwork
from revenge.core.types import INT32_MAX, SaneDatetime, Text

MusicKind = Literal["album", "artist"]
DiscoverList = Literal["popular", "upcoming"]
DiscoverMediaType = Literal["movie", "tv"]


class ContentRequestCreate(BaseModel):
    """What to request: a provider's id (TMDB, MusicBrainz), or without ``external_id`` a
    title and year typed by hand. Title and the rest of an id's description are only used
    when no metadata provider is set up."""

    model_config = ConfigDict(extra="forbid")

    media_type: RequestMediaType
    # None: a request by title (``title`` required, ``year`` recommended).
    external_id: Text | None = Field(None, min_length=1, max_length=64)
    # Music only: a MusicBrainz release group (album, default) or an artist.
    music_kind: MusicKind = "album"
    # TV only: the seasons wanted (none = the whole series).
    seasons: list[int] | None = Field(None, max_length=200)
    title: Text | None = Field(None, max_length=500)
    year: int | None = Field(None, ge=1800, le=3000)
    overview: Text | None = Field(None, max_length=10_000)
    poster_path: Text | None = Field(None, max_length=500)


class LibraryItemRef(BaseModel):
    media_type: Text
    media_id: uuid.UUID


class RequesterRef(BaseModel):
    """Who asked, by the name the app shows (display name, else username)."""

    id: uuid.UUID
    name: Text


class DownloadRead(BaseModel):
    """The download as the downloader's queue last showed it (``status`` null: not in the
    queue, e.g. still searching or already imported)."""

    status: Literal["queued", "paused", "downloading", "importing", "warning", "failed"] | None
    # 0..1, from the size and the size left.
    progress: float | None
    size_bytes: int | None
    size_left_bytes: int | None
    estimated_completion_at: SaneDatetime | None
    checked_at: SaneDatetime | None


class DownloaderRef(BaseModel):
    """The downloader a request was handed to (admins only), with its id of the item."""

    id: uuid.UUID | None
    name: Text | None
    kind: Text | None
    item_id: int | None


class ContentRequestRead(BaseModel):
    id: uuid.UUID
    # user_id (who asked) and processed_by (who decided) are shown to the requester and to
    # admins only; a "me too" user gets null in both (other users' ids are not theirs to know).
    user_id: uuid.UUID | None
    media_type: RequestMediaType
    external_source: Text
    external_id: Text
    tvdb_id: int | None
    title: Text
    year: int | None
    overview: Text | None
    poster_path: Text | None
    # The poster at TMDB (an absolute URL), when the provider named one.
    poster_url: Text | None = None
    # The library item's own artwork, once it is available (signed, served by this server).
    artwork: Artwork | None = None
    seasons: list[int] | None
    status: RequestStatus
    # A stable code and its text in the caller's language (e.g. the item left the library).
    status_reason: Text | None
    status_reason_text: Text | None
    admin_note: Text | None
    requested_at: SaneDatetime
    processed_at: SaneDatetime | None
    processed_by: uuid.UUID | None
    available_at: SaneDatetime | None
    library_item: LibraryItemRef | None
    interested_count: int
    # True when the caller is not the requester but said "me too".
    me_too: bool
    # The requester's shown name, for admins and the requester themselves (null otherwise).
    requester: RequesterRef | None = None
    # While processing: the download's progress (everyone who sees the request).
    download: DownloadRead | None = None
    # Admins only: where it was handed, and the downloader's own words when that failed.
    downloader: DownloaderRef | None = None
    handoff_error: Text | None = None


class DenyBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    admin_note: Text | None = Field(None, max_length=2000)


class ApproveBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    admin_note: Text | None = Field(None, max_length=2000)


class SearchResult(BaseModel):
    media_type: RequestMediaType
    external_source: Text
    external_id: Text
    title: Text
    year: int | None
    overview: Text | None
    poster_path: Text | None
    poster_url: Text | None = None
    in_library: bool
    library_item: LibraryItemRef | None
    artwork: Artwork | None = None
    requested: bool
    request_id: uuid.UUID | None
    request_status: RequestStatus | None


class SearchResults(BaseModel):
    items: list[SearchResult]


class DiscoverPage(BaseModel):
    """One page of TMDB's popular or upcoming movies or series, marked like search results."""

    list_name: DiscoverList
    media_type: DiscoverMediaType
    items: list[SearchResult]
    page: int
    total_pages: int


class SeasonInfo(BaseModel):
    number: int
    name: Text | None
    episode_count: int | None
    air_date: Text | None
    # The library has at least one episode of it.
    in_library: bool


class SeriesSeasons(BaseModel):
    """A series' seasons for the season picker (TMDB's list; 0 = specials)."""

    external_id: Text
    title: Text
    seasons: list[SeasonInfo]


class RequestOptions(BaseModel):
    """What the request page can offer with this server's setup."""

    # Media types whose search (and id lookup) works: a metadata provider is set up.
    search: list[RequestMediaType]
    # Popular and upcoming lists (TMDB with an API key).
    discover: bool
    # A request by title and year is always possible.
    manual: bool = True


class QuotaUsage(BaseModel):
    media_type: RequestMediaType
    # None = unlimited.
    limit: int | None
    used: int
    remaining: int | None
    window_days: int
    # When the oldest request in the window stops counting (None if nothing is used up).
    frees_up_at: SaneDatetime | None


class MyQuota(BaseModel):
    auto_approve: bool
    quotas: list[QuotaUsage]


class UserRequestSettingsUpdate(BaseModel):
    """Per-user overrides; null = the server default, 0 = no limit."""

    model_config = ConfigDict(extra="forbid")

    quota_movie: int | None = Field(None, ge=0, le=INT32_MAX)
    quota_tv: int | None = Field(None, ge=0, le=INT32_MAX)
    quota_music: int | None = Field(None, ge=0, le=INT32_MAX)
    quota_days: int | None = Field(None, ge=1, le=3650)
    auto_approve: bool = False


class UserRequestSettingsRead(UserRequestSettingsUpdate):
    user_id: uuid.UUID
    # What applies after defaults are filled in (None = unlimited).
    effective_quota_movie: int | None
    effective_quota_tv: int | None
    effective_quota_music: int | None
    effective_quota_days: int
