"""Last.fm (tracks): now playing, batched scrobbles, history, love, similar.

Wire facts: PROVIDER_PROTOCOLS.md §2. Every request goes through ``LastfmAuth.call``
(``lastfm_auth.py``: signing, error classification, web auth); this module maps the queue's
actions and the reads onto Last.fm's methods.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import httpx2 as httpx

from revenge.core.config import LastfmSettings
from revenge.core.http import PermanentError, RetryableError, new_client
from revenge.library.snapshots import ItemSnapshot
from revenge.scrobbling.providers.base import (
    Credentials,
    DeliveryResult,
    ImportedItem,
    Outbound,
    Outcome,
    PlannedAction,
    PlayFacts,
    PlayTransition,
    ProviderName,
    Recommendation,
    ReconnectRequired,
    SyncPage,
    asks_to_wait,
    retry_rest,
)
from revenge.scrobbling.providers.lastfm_auth import LastfmAuth, LastfmError

MAX_SCROBBLES_PER_REQUEST = 50
# ignoredMessage 5 = daily scrobble limit: worth trying again later; 1-4 are final.
DAILY_LIMIT_CODE = "5"
DAILY_LIMIT_RETRY_SECONDS = 3600.0
SYNC_PAGE_LIMIT = 200


def _track_params(snapshot: ItemSnapshot, suffix: str = "") -> dict[str, str]:
    params = {
        f"artist{suffix}": snapshot.artist or "",
        f"track{suffix}": snapshot.title,
    }
    optional = {
        "album": snapshot.album,
        "albumArtist": snapshot.album_artist,
        "trackNumber": snapshot.track_number,
        "mbid": snapshot.musicbrainz_recording_id,
        "duration": snapshot.duration_ms // 1000 if snapshot.duration_ms else None,
    }
    for name, value in optional.items():
        if value not in (None, ""):
            params[f"{name}{suffix}"] = str(value)
    return params


class LastfmProvider(LastfmAuth):
    name = ProviderName.lastfm
    label = "Last.fm"
    media_types = frozenset({"track"})
    batch_size = MAX_SCROBBLES_PER_REQUEST
    write_interval_seconds = 0.0
    callback_state_param: str | None = "token"
    supports_love = True

    def __init__(self, settings: LastfmSettings) -> None:
        self.settings = settings

    def available(self) -> bool:
        return bool(self.settings.api_key and self.settings.api_secret)

    def client(self) -> httpx.AsyncClient:
        return new_client(self.settings.api_url)

    def plan(self, facts: PlayFacts) -> list[PlannedAction]:
        if facts.transition == PlayTransition.started:
            return [PlannedAction("now_playing", facts.started_at, once_per_play=False)]
        if facts.transition == PlayTransition.finished and facts.counted:
            # Last.fm wants the moment the track started.
            return [PlannedAction("scrobble", facts.started_at)]
        return []

    # --- scrobbling ----------------------------------------------------------------------
    async def deliver(
        self, http: httpx.AsyncClient, credentials: Credentials, items: list[Outbound]
    ) -> DeliveryResult:
        outcomes: list[Outcome] = []
        index = 0
        while index < len(items):
            item = items[index]
            chunk = [item]
            while (
                item.action != "now_playing"
                and index + len(chunk) < len(items)
                and items[index + len(chunk)].action == "scrobble"
                and len(chunk) < MAX_SCROBBLES_PER_REQUEST
            ):
                chunk.append(items[index + len(chunk)])
            try:
                if item.action == "now_playing":
                    outcomes.append(await self._now_playing(http, credentials, item))
                else:
                    outcomes.extend(await self._scrobble(http, credentials, chunk))
            except RetryableError as exc:
                # Nothing more goes out in this call: the rest waits its turn (and the
                # back-off, if Last.fm asked for one).
                return DeliveryResult(outcomes + retry_rest(items, index, exc))
            index += len(chunk)
        return DeliveryResult(outcomes)

    async def _now_playing(
        self, http: httpx.AsyncClient, credentials: Credentials, item: Outbound
    ) -> Outcome:
        try:
            await self.call(
                http,
                "track.updateNowPlaying",
                _track_params(item.snapshot),
                session_key=credentials.access_token,
            )
        except (RetryableError, LastfmError, PermanentError) as exc:
            if isinstance(exc, ReconnectRequired):
                raise
            if isinstance(exc, RetryableError) and asks_to_wait(exc):
                # Rate limited (error 29): the next call must wait too, so this is not the
                # place to carry on. The queue drops the now playing and keeps the wait.
                raise
            # Now playing is stale a minute later: Last.fm says never retry it.
            return Outcome("skipped", f"now playing not sent: {exc}")
        return Outcome("sent")

    async def _scrobble(
        self, http: httpx.AsyncClient, credentials: Credentials, chunk: list[Outbound]
    ) -> list[Outcome]:
        params: dict[str, str] = {}
        for i, item in enumerate(chunk):
            params.update(_track_params(item.snapshot, f"[{i}]"))
            params[f"timestamp[{i}]"] = str(int(item.timestamp.timestamp()))
        try:
            body = await self.call(
                http, "track.scrobble", params, session_key=credentials.access_token
            )
        except LastfmError as exc:
            return [Outcome("failed", exc.message) for _ in chunk]
        results = (body.get("scrobbles") or {}).get("scrobble")
        if isinstance(results, dict):  # one item: an object, several: a list
            results = [results]
        results = results or []
        outcomes: list[Outcome] = []
        for i, _ in enumerate(chunk):
            entry = results[i] if i < len(results) else {}
            ignored = entry.get("ignoredMessage") or {}
            code = str(ignored.get("code", "0"))
            if code == "0":
                outcomes.append(Outcome("sent"))
            elif code == DAILY_LIMIT_CODE:
                outcomes.append(
                    Outcome(
                        "retry",
                        "Last.fm daily scrobble limit reached",
                        retry_after=DAILY_LIMIT_RETRY_SECONDS,
                    )
                )
            else:
                text = ignored.get("#text") or "ignored"
                outcomes.append(Outcome("skipped", f"Last.fm ignored it ({code}): {text}"))
        return outcomes

    # --- reading -------------------------------------------------------------------------
    async def sync_page(
        self,
        http: httpx.AsyncClient,
        credentials: Credentials,
        cursor: dict[str, Any] | None,
        since: datetime | None,
    ) -> SyncPage:
        page = int((cursor or {}).get("page", 1))
        params = {
            "user": credentials.username or "",
            "page": str(page),
            "limit": str(SYNC_PAGE_LIMIT),
        }
        if since is not None:
            params["from"] = str(int(since.timestamp()))
        try:
            body = await self.call(http, "user.getRecentTracks", params, signed=False, post=False)
        except LastfmError as exc:
            raise PermanentError(exc.message) from exc
        recent = body.get("recenttracks") or {}
        tracks = recent.get("track") or []
        if isinstance(tracks, dict):
            tracks = [tracks]
        result = SyncPage()
        for track in tracks:
            if (track.get("@attr") or {}).get("nowplaying") == "true":
                continue  # not a finished play
            uts = int((track.get("date") or {}).get("uts", 0))
            artist = (track.get("artist") or {}).get("#text")
            title = track.get("name")
            result.history.append(
                ImportedItem(
                    external_id=hashlib.sha1(  # noqa: S324
                        f"{uts}|{artist}|{title}".encode()
                    ).hexdigest(),
                    media_type="track",
                    title=title,
                    artist=artist,
                    album=(track.get("album") or {}).get("#text"),
                    ids={"mbid": track.get("mbid")} if track.get("mbid") else {},
                    at=datetime.fromtimestamp(uts, UTC),
                )
            )
        total_pages = int((recent.get("@attr") or {}).get("totalPages", 1) or 1)
        if page < total_pages and tracks:
            result.next_cursor = {"page": page + 1}
        return result

    async def recommendations(
        self,
        http: httpx.AsyncClient,
        credentials: Credentials,
        seed: ItemSnapshot | None,
        limit: int,
    ) -> list[Recommendation]:
        if seed is None or not seed.artist:
            return []
        found: list[Recommendation] = []
        try:
            tracks = await self.call(
                http,
                "track.getSimilar",
                {"artist": seed.artist, "track": seed.title, "limit": str(limit)},
                signed=False,
                post=False,
            )
            artists = await self.call(
                http,
                "artist.getSimilar",
                {"artist": seed.artist, "limit": str(limit)},
                signed=False,
                post=False,
            )
        except LastfmError as exc:
            raise PermanentError(exc.message) from exc
        for entry in (tracks.get("similartracks") or {}).get("track") or []:
            found.append(
                Recommendation(
                    kind="track",
                    title=entry.get("name"),
                    artist=(entry.get("artist") or {}).get("name"),
                    score=float(entry.get("match") or 0),
                    ids={"mbid": entry.get("mbid")} if entry.get("mbid") else {},
                )
            )
        for entry in (artists.get("similarartists") or {}).get("artist") or []:
            found.append(
                Recommendation(
                    kind="artist",
                    title=None,
                    artist=entry.get("name"),
                    score=float(entry.get("match") or 0),
                    ids={"mbid": entry.get("mbid")} if entry.get("mbid") else {},
                )
            )
        return found

    async def love(
        self, http: httpx.AsyncClient, credentials: Credentials, track: ItemSnapshot, loved: bool
    ) -> None:
        try:
            await self.call(
                http,
                "track.love" if loved else "track.unlove",
                {"artist": track.artist or "", "track": track.title},
                session_key=credentials.access_token,
            )
        except LastfmError as exc:
            raise PermanentError(exc.message) from exc
