"""What every scrobble provider offers, in provider-neutral terms.

The queue, the jobs and the API speak only these types; each provider module maps them to
its own wire protocol (PROVIDER_PROTOCOLS.md) and classifies its errors into outcomes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal, Protocol

import httpx2 as httpx

from revenge.core.http import PermanentError, ProviderError, RetryableError
from revenge.library.snapshots import ItemSnapshot


class ProviderName(StrEnum):
    trakt = "trakt"
    lastfm = "lastfm"
    listenbrainz = "listenbrainz"


class PlayTransition(StrEnum):
    started = "started"
    paused = "paused"
    resumed = "resumed"
    finished = "finished"


# Actions that only matter while the play is going on: sent once, never late or retried.
EPHEMERAL_ACTIONS = frozenset({"start", "pause", "now_playing"})


@dataclass(frozen=True)
class PlayFacts:
    """A play as the planner sees it when a playback transition happens."""

    transition: PlayTransition
    media_type: str
    started_at: datetime
    event_at: datetime
    position_ms: int
    played_ms: int
    duration_ms: int | None
    counted: bool

    @property
    def progress(self) -> float | None:
        if not self.duration_ms:
            return None
        return round(min(100.0, 100.0 * self.position_ms / self.duration_ms), 2)


@dataclass(frozen=True)
class PlannedAction:
    action: str
    timestamp: datetime
    progress: float | None = None
    # True: at most one per play (a scrobble); False: one per playback event (start/pause).
    once_per_play: bool = True


@dataclass
class Credentials:
    access_token: str
    refresh_token: str | None = None
    expires_at: datetime | None = None
    username: str | None = None


@dataclass(frozen=True)
class Outbound:
    """A queued item handed to a provider for delivery."""

    id: uuid.UUID
    action: str
    media_type: str
    timestamp: datetime
    progress: float | None
    snapshot: ItemSnapshot


@dataclass(frozen=True)
class Outcome:
    status: Literal["sent", "skipped", "retry", "failed"]
    reason: str | None = None
    status_code: int | None = None
    retry_after: float | None = None
    # The provider said "too many requests" (HTTP 429, Last.fm error 29): the whole
    # connection waits, whatever happens to the item it came on.
    rate_limited: bool = False

    @property
    def asks_to_wait(self) -> bool:
        """A retry the provider timed (rate limit or ``Retry-After``): nothing goes out before."""
        return self.status == "retry" and (self.rate_limited or self.retry_after is not None)


@dataclass
class DeliveryResult:
    outcomes: list[Outcome]
    # The provider said to slow down (rate-limit headers) even though this call worked.
    pause_seconds: float | None = None


@dataclass
class ConnectStart:
    kind: Literal["redirect", "device", "token"]
    authorize_url: str | None = None
    state: str | None = None  # the value the callback brings back
    secret: str | None = None  # kept sealed until the callback (device code)
    user_code: str | None = None
    verification_url: str | None = None
    expires_in: int = 600
    interval: int | None = None
    credentials: Credentials | None = None  # token flows finish at once


@dataclass
class DevicePoll:
    status: Literal["pending", "done", "failed", "slow_down"]
    credentials: Credentials | None = None
    reason: str | None = None


@dataclass
class ImportedItem:
    external_id: str
    media_type: str
    title: str | None = None
    artist: str | None = None
    album: str | None = None
    year: int | None = None
    ids: dict[str, Any] = field(default_factory=dict)
    at: datetime | None = None  # watched / listed / rated at
    rating: int | None = None
    rank: int | None = None


@dataclass
class SyncPage:
    history: list[ImportedItem] = field(default_factory=list)
    watchlist: list[ImportedItem] = field(default_factory=list)
    ratings: list[ImportedItem] = field(default_factory=list)
    next_cursor: dict[str, Any] | None = None  # None = the import is complete


@dataclass
class Recommendation:
    kind: str  # movie | show | track | artist | recording
    title: str | None
    artist: str | None = None
    year: int | None = None
    score: float | None = None
    ids: dict[str, Any] = field(default_factory=dict)


class ReconnectRequired(PermanentError):
    """The user's authorisation is gone (revoked, expired): they must connect again."""


class AuthExpired(ProviderError):
    """The access token was refused; a refresh may fix it (Trakt 401)."""


class Unsupported(PermanentError):
    """The provider has no such capability."""


class RateLimitExceeded(RetryableError):
    """The provider's rate limit answered (Last.fm error 29, HTTP 429)."""


class MalformedToken(PermanentError):
    """A token the user typed in that cannot go into an HTTP header (never sent anywhere)."""


def is_rate_limit(error: ProviderError) -> bool:
    return isinstance(error, RateLimitExceeded) or error.status_code == 429


def asks_to_wait(error: ProviderError) -> bool:
    """The provider said when to come back (rate limit or ``Retry-After``)."""
    return is_rate_limit(error) or getattr(error, "retry_after", None) is not None


def header_token(value: str, label: str) -> str:
    """A user's token as it can be sent in a header: surrounding whitespace (a paste) trimmed,
    then visible ASCII only. A NUL, CR/LF or non-ASCII letter is a typo, not a reason to
    call the provider (httpx would refuse it locally, which read as "provider unreachable")."""
    token = value.strip()
    if not token or not all("!" <= char <= "~" for char in token):
        raise MalformedToken(f"{label}: the token contains characters a token cannot have")
    return token


class ScrobbleProvider(Protocol):
    """One external scrobbling service."""

    name: ProviderName
    label: str
    media_types: frozenset[str]
    batch_size: int
    write_interval_seconds: float
    supports_love: bool
    # The callback query parameter that carries our state (None: no callback flow).
    callback_state_param: str | None

    def available(self) -> bool:
        """App credentials are configured (a missing one makes the provider unavailable)."""

    def plan(self, facts: PlayFacts) -> list[PlannedAction]:
        """What to queue for a playback transition (empty: nothing to tell)."""

    def client(self) -> httpx.AsyncClient: ...

    async def begin_connect(
        self, http: httpx.AsyncClient, *, flow: str | None, token: str | None, redirect_uri: str
    ) -> ConnectStart: ...

    async def complete_connect(
        self,
        http: httpx.AsyncClient,
        *,
        params: dict[str, str],
        secret: str | None,
        redirect_uri: str,
    ) -> Credentials: ...

    async def poll_device(self, http: httpx.AsyncClient, device_code: str) -> DevicePoll: ...

    def needs_refresh(self, credentials: Credentials, now: datetime) -> bool: ...

    async def refresh(
        self, http: httpx.AsyncClient, credentials: Credentials, redirect_uri: str
    ) -> Credentials: ...

    async def revoke(self, http: httpx.AsyncClient, credentials: Credentials) -> None: ...

    async def deliver(
        self, http: httpx.AsyncClient, credentials: Credentials, items: list[Outbound]
    ) -> DeliveryResult: ...

    async def sync_page(
        self,
        http: httpx.AsyncClient,
        credentials: Credentials,
        cursor: dict[str, Any] | None,
        since: datetime | None,
    ) -> SyncPage: ...

    async def recommendations(
        self,
        http: httpx.AsyncClient,
        credentials: Credentials,
        seed: ItemSnapshot | None,
        limit: int,
    ) -> list[Recommendation]: ...

    async def love(
        self, http: httpx.AsyncClient, credentials: Credentials, track: ItemSnapshot, loved: bool
    ) -> None: ...


def retry_rest(items: list[Outbound], start: int, error: ProviderError) -> list[Outcome]:
    """A retryable failure at ``start``: it and everything after wait, so order is kept."""
    retry_after = getattr(error, "retry_after", None)
    limited = is_rate_limit(error)
    return [
        Outcome("retry", error.reason, error.status_code, retry_after, rate_limited=limited)
        for _ in items[start:]
    ]


__all__ = ["ProviderError"]
