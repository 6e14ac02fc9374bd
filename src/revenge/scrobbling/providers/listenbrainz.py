"""ListenBrainz (tracks): user token, playing_now, single and import listens, CF recommendations.

Wire facts: PROVIDER_PROTOCOLS.md §3. A backlog goes out as ``import`` batches that respect
the server's caps (1,000 listens and len × 10,240 bytes per request, 10,240,000 in total);
``X-RateLimit-Remaining: 0`` means wait ``X-RateLimit-Reset-In`` seconds.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx2 as httpx

from revenge.core.config import ListenBrainzSettings
from revenge.core.http import (
    PermanentError,
    RetryableError,
    classify_status,
    new_client,
    parse_retry_after,
)
from revenge.library.snapshots import ItemSnapshot
from revenge.scrobbling.providers.base import (
    ConnectStart,
    Credentials,
    DeliveryResult,
    DevicePoll,
    ImportedItem,
    Outbound,
    Outcome,
    PlannedAction,
    PlayFacts,
    PlayTransition,
    ProviderName,
    RateLimitExceeded,
    Recommendation,
    ReconnectRequired,
    SyncPage,
    Unsupported,
    asks_to_wait,
    header_token,
    retry_rest,
)

MAX_LISTENS_PER_REQUEST = 1000
MAX_BYTES_PER_LISTEN = 10_240
MAX_BYTES_PER_REQUEST = 10_240_000
SYNC_PAGE_COUNT = 1000


def listen_json(item: Outbound, *, with_timestamp: bool = True) -> dict[str, Any]:
    snap = item.snapshot
    metadata: dict[str, Any] = {
        "artist_name": snap.artist or "",
        "track_name": snap.title,
    }
    if snap.album:
        metadata["release_name"] = snap.album
    info: dict[str, Any] = {"submission_client": "Revenge", "submission_client_version": "0.8"}
    if snap.duration_ms:
        info["duration_ms"] = int(snap.duration_ms)
    if snap.musicbrainz_recording_id:
        info["recording_mbid"] = snap.musicbrainz_recording_id
    if snap.musicbrainz_release_id:
        info["release_mbid"] = snap.musicbrainz_release_id
    if snap.musicbrainz_artist_id:
        info["artist_mbids"] = [snap.musicbrainz_artist_id]
    if snap.track_number:
        info["tracknumber"] = snap.track_number
    metadata["additional_info"] = info
    listen: dict[str, Any] = {"track_metadata": metadata}
    if with_timestamp:
        listen["listened_at"] = int(item.timestamp.timestamp())
    return listen


def import_batches(items: list[Outbound]) -> list[list[Outbound]]:
    """Split into requests within the listen and byte caps (each listen's size counted)."""
    batches: list[list[Outbound]] = []
    current: list[Outbound] = []
    size = 0
    for item in items:
        listen_size = len(json.dumps(listen_json(item)).encode()) + 2
        fits = len(current) < MAX_LISTENS_PER_REQUEST and size + listen_size + 64 <= min(
            MAX_BYTES_PER_REQUEST, (len(current) + 1) * MAX_BYTES_PER_LISTEN
        )
        if current and not fits:
            batches.append(current)
            current, size = [], 0
        current.append(item)
        size += listen_size
    if current:
        batches.append(current)
    return batches


class ListenBrainzProvider:
    name = ProviderName.listenbrainz
    label = "ListenBrainz"
    media_types = frozenset({"track"})
    batch_size = MAX_LISTENS_PER_REQUEST
    write_interval_seconds = 0.0
    callback_state_param: str | None = None
    supports_love = False

    def __init__(self, settings: ListenBrainzSettings) -> None:
        self.settings = settings

    def available(self) -> bool:
        return True  # users bring their own token; there is no app credential

    def client(self) -> httpx.AsyncClient:
        return new_client(self.settings.api_url.rstrip("/"))

    def plan(self, facts: PlayFacts) -> list[PlannedAction]:
        if facts.transition == PlayTransition.started:
            return [PlannedAction("now_playing", facts.started_at, once_per_play=False)]
        if facts.transition == PlayTransition.finished and facts.counted:
            return [PlannedAction("scrobble", facts.started_at)]
        return []

    # --- auth ----------------------------------------------------------------------------
    async def begin_connect(
        self, http: httpx.AsyncClient, *, flow: str | None, token: str | None, redirect_uri: str
    ) -> ConnectStart:
        if not token:
            raise PermanentError("ListenBrainz needs the user token from listenbrainz.org/settings")
        token = header_token(token, self.label)  # it travels in the Authorization header
        try:
            response = await http.get("/1/validate-token", headers=_auth(token))
        except httpx.TransportError as exc:
            raise RetryableError(f"ListenBrainz unreachable: {type(exc).__name__}") from exc
        if response.status_code != 200:
            raise classify_status(response, f"ListenBrainz: HTTP {response.status_code}")
        body = response.json()
        if not body.get("valid"):
            raise PermanentError("ListenBrainz says the token is invalid")
        return ConnectStart(
            kind="token",
            credentials=Credentials(access_token=token, username=body.get("user_name")),
        )

    async def complete_connect(
        self,
        http: httpx.AsyncClient,
        *,
        params: dict[str, str],
        secret: str | None,
        redirect_uri: str,
    ) -> Credentials:
        raise Unsupported("ListenBrainz connects with a token, without a callback")

    async def poll_device(self, http: httpx.AsyncClient, device_code: str) -> DevicePoll:
        raise Unsupported("ListenBrainz has no device flow")

    def needs_refresh(self, credentials: Credentials, now: datetime) -> bool:
        return False

    async def refresh(
        self, http: httpx.AsyncClient, credentials: Credentials, redirect_uri: str
    ) -> Credentials:
        raise ReconnectRequired("ListenBrainz token is no longer valid")

    async def revoke(self, http: httpx.AsyncClient, credentials: Credentials) -> None:
        return None  # user tokens are reset on listenbrainz.org, not through the API

    # --- submitting ----------------------------------------------------------------------
    async def _submit(
        self, http: httpx.AsyncClient, token: str, listen_type: str, payload: list[dict[str, Any]]
    ) -> float | None:
        """POST one submission; returns seconds to pause if the rate-limit window is used up."""
        try:
            response = await http.post(
                "/1/submit-listens",
                content=json.dumps({"listen_type": listen_type, "payload": payload}).encode(),
                headers={**_auth(token), "Content-Type": "application/json"},
            )
        except httpx.TransportError as exc:
            raise RetryableError(f"ListenBrainz unreachable: {type(exc).__name__}") from exc
        if response.status_code == 200:
            if response.headers.get("X-RateLimit-Remaining") == "0":
                return float(response.headers.get("X-RateLimit-Reset-In", "1") or 1)
            return None
        try:
            message = str(response.json().get("error", ""))
        except ValueError:
            message = ""
        reason = f"ListenBrainz: {message or 'HTTP ' + str(response.status_code)}"
        if response.status_code == 401:
            raise ReconnectRequired(reason, status_code=401)
        if response.status_code == 429:
            wait = _seconds(response.headers.get("X-RateLimit-Reset-In"))
            if wait is None:
                wait = parse_retry_after(response.headers.get("Retry-After"))
            raise RateLimitExceeded(reason, retry_after=wait, status_code=429)
        error = classify_status(response, reason)
        raise error

    async def deliver(
        self, http: httpx.AsyncClient, credentials: Credentials, items: list[Outbound]
    ) -> DeliveryResult:
        outcomes: list[Outcome] = []
        pause: float | None = None
        token = credentials.access_token
        index = 0
        while index < len(items):
            item = items[index]
            if item.action == "now_playing":
                try:
                    pause = await self._submit(
                        http, token, "playing_now", [listen_json(item, with_timestamp=False)]
                    )
                    outcomes.append(Outcome("sent"))
                except ReconnectRequired:
                    raise
                except RetryableError as exc:
                    if asks_to_wait(exc):
                        # Rate limited: nothing else goes out now (the queue keeps the wait).
                        return DeliveryResult(outcomes + retry_rest(items, index, exc), pause)
                    outcomes.append(Outcome("skipped", f"playing now not sent: {exc}"))
                except PermanentError as exc:
                    outcomes.append(Outcome("skipped", f"playing now not sent: {exc}"))
                index += 1
                continue
            run = [item]
            while index + len(run) < len(items) and items[index + len(run)].action == "scrobble":
                run.append(items[index + len(run)])
            for batch in import_batches(run) if len(run) > 1 else [run]:
                try:
                    sent, waited = await self._send_listens(http, token, batch)
                    outcomes.extend(sent)
                    pause = waited or pause
                except RetryableError as exc:
                    return DeliveryResult(outcomes + retry_rest(items, len(outcomes), exc), pause)
                index += len(batch)
        return DeliveryResult(outcomes, pause)

    async def _send_listens(
        self, http: httpx.AsyncClient, token: str, batch: list[Outbound]
    ) -> tuple[list[Outcome], float | None]:
        listen_type = "single" if len(batch) == 1 else "import"
        try:
            pause = await self._submit(http, token, listen_type, [listen_json(i) for i in batch])
        except (ReconnectRequired, RetryableError):
            raise
        except PermanentError as exc:
            if len(batch) == 1:
                return [Outcome("failed", exc.reason, exc.status_code)], None
            # One bad listen rejects the whole import: find it by sending them one by one.
            outcomes: list[Outcome] = []
            pause = None
            for item in batch:
                sent, waited = await self._send_listens(http, token, [item])
                outcomes.extend(sent)
                pause = waited or pause
            return outcomes, pause
        return [Outcome("sent") for _ in batch], pause

    # --- reading -------------------------------------------------------------------------
    async def sync_page(
        self,
        http: httpx.AsyncClient,
        credentials: Credentials,
        cursor: dict[str, Any] | None,
        since: datetime | None,
    ) -> SyncPage:
        params: dict[str, Any] = {"count": SYNC_PAGE_COUNT}
        if cursor and cursor.get("max_ts"):
            params["max_ts"] = cursor["max_ts"]
        if since is not None:
            params["min_ts"] = int(since.timestamp())
        response = await http.get(
            f"/1/user/{_path(credentials.username)}/listens",
            params=params,
            headers=_auth(credentials.access_token),
        )
        if response.status_code != 200:
            raise classify_status(response, f"ListenBrainz listens: HTTP {response.status_code}")
        listens = (response.json().get("payload") or {}).get("listens") or []
        result = SyncPage()
        for listen in listens:
            meta = listen.get("track_metadata") or {}
            info = meta.get("additional_info") or {}
            ids = {k: info[k] for k in ("recording_mbid", "release_mbid") if info.get(k)}
            result.history.append(
                ImportedItem(
                    external_id=f"{listen['listened_at']}:{listen.get('recording_msid', '')}",
                    media_type="track",
                    title=meta.get("track_name"),
                    artist=meta.get("artist_name"),
                    album=meta.get("release_name"),
                    ids=ids,
                    at=datetime.fromtimestamp(int(listen["listened_at"]), UTC),
                )
            )
        if listens:
            # max_ts is exclusive: the next page starts below the oldest listen seen.
            result.next_cursor = {"max_ts": min(int(entry["listened_at"]) for entry in listens)}
        return result

    async def recommendations(
        self,
        http: httpx.AsyncClient,
        credentials: Credentials,
        seed: ItemSnapshot | None,
        limit: int,
    ) -> list[Recommendation]:
        response = await http.get(
            f"/1/cf/recommendation/user/{_path(credentials.username)}/recording",
            params={"count": limit},
            headers=_auth(credentials.access_token),
        )
        if response.status_code == 204:  # none computed yet
            return []
        if response.status_code != 200:
            raise classify_status(
                response, f"ListenBrainz recommendations: HTTP {response.status_code}"
            )
        mbids = (response.json().get("payload") or {}).get("mbids") or []
        return [
            Recommendation(
                kind="recording",
                title=None,
                score=entry.get("score"),
                ids={"recording_mbid": entry.get("recording_mbid")},
            )
            for entry in mbids
        ]

    async def love(
        self, http: httpx.AsyncClient, credentials: Credentials, track: ItemSnapshot, loved: bool
    ) -> None:
        raise Unsupported("ListenBrainz loves are not supported here")


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Token {token}"}


def _path(segment: str | None) -> str:
    """A user name as one path segment (MusicBrainz names may hold "/", "?", "#")."""
    return quote(segment or "", safe="")


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None
