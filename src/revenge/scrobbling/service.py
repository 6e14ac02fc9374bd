"""Scrobbling use cases: connections, auth callbacks, queueing plays, queue, settings.

Delivery (``delivery.py``) and history import (``sync.py``) are the job-side halves.
Services never commit; the request or job that calls them owns the transaction.
"""

from __future__ import annotations

import math
import uuid
from datetime import timedelta
from typing import Any

import structlog
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core import clock, crypto
from revenge.core.config import Settings, get_settings
from revenge.core.errors import (
    AppError,
    BadRequest,
    Conflict,
    NotFound,
    ServiceUnavailable,
    Unprocessable,
)
from revenge.core.http import PermanentError, ProviderError, RetryableError
from revenge.core.i18n import translate
from revenge.core.media import MediaType
from revenge.core.security import token_digest
from revenge.library.snapshots import ItemSnapshot, scrobble_snapshot
from revenge.notifications import service as notifications
from revenge.notifications.types import NotificationType
from revenge.playback import service as playback
from revenge.playback.rules import meets_play_rule
from revenge.scrobbling import repository as repo
from revenge.scrobbling.models import (
    ScrobbleAuthState,
    ScrobbleConnection,
    ScrobbleHistoryImport,
    ScrobbleQueueItem,
    ScrobbleRating,
    ScrobbleWatchlistItem,
)
from revenge.scrobbling.providers.base import (
    AuthExpired,
    ConnectStart,
    Credentials,
    MalformedToken,
    PlayFacts,
    PlayTransition,
    ProviderName,
    ReconnectRequired,
    ScrobbleProvider,
    Unsupported,
)
from revenge.scrobbling.providers.registry import all_providers, get_provider
from revenge.scrobbling.schemas import (
    ConnectionRead,
    ConnectionSettingsUpdate,
    ConnectRequest,
    ConnectResponse,
    ImportedRead,
    QueueItemRead,
    RecommendationRead,
    RecommendationsRead,
)

log = structlog.get_logger(__name__)
TOKEN_PURPOSE = "scrobble-token"
# Which per-connection toggle decides whether a media type is sent.
TOGGLES = {"movie": "scrobble_movies", "episode": "scrobble_tv", "track": "scrobble_music"}


# --- sealed tokens ----------------------------------------------------------------------------
def seal(settings: Settings, value: str) -> str:
    return crypto.encrypt(settings.secret, value, purpose=TOKEN_PURPOSE)


def unseal(settings: Settings, value: str) -> str:
    return crypto.decrypt(settings.secret, value, purpose=TOKEN_PURPOSE)


def credentials_of(connection: ScrobbleConnection, settings: Settings) -> Credentials:
    return Credentials(
        access_token=unseal(settings, connection.access_token),
        refresh_token=unseal(settings, connection.refresh_token)
        if connection.refresh_token
        else None,
        expires_at=connection.expires_at,
        username=connection.username,
    )


def store_credentials(
    connection: ScrobbleConnection, credentials: Credentials, settings: Settings
) -> None:
    connection.access_token = seal(settings, credentials.access_token)
    connection.refresh_token = (
        seal(settings, credentials.refresh_token) if credentials.refresh_token else None
    )
    connection.expires_at = credentials.expires_at
    if credentials.username:
        connection.username = credentials.username


def provider_label(name: str) -> str:
    """The name users know a provider by."""
    return get_provider(name, get_settings()).label


async def mark_needs_reconnect(
    session: AsyncSession, connection: ScrobbleConnection, reason: str
) -> None:
    """Stop sending until the user authorises again, and tell them (once, not per retry)."""
    newly = connection.status != "needs_reconnect"
    connection.status = "needs_reconnect"
    connection.status_reason = reason
    connection.last_error = reason
    log.warning("scrobbling.needs_reconnect", provider=connection.provider, reason=reason)
    if newly:
        await notifications.notify(
            session,
            connection.user_id,
            NotificationType.scrobble_reconnect,
            {"provider": provider_label(connection.provider), "reason": reason},
            group_key=f"scrobble_reconnect:{connection.id}",
        )


def redirect_uri(settings: Settings, provider: ProviderName | str) -> str:
    """Where the provider sends the browser back: the web UI, which calls the callback API."""
    return f"{settings.public_url.rstrip('/')}/scrobbling/callback/{provider}"


def provider_failure(provider: ScrobbleProvider, exc: ProviderError) -> AppError:
    if isinstance(exc, Unsupported):
        return Unprocessable("scrobbling.unsupported", provider=provider.label)
    if isinstance(exc, MalformedToken):
        return Unprocessable("scrobbling.invalid_token", provider=provider.label)
    if isinstance(exc, RetryableError | AuthExpired):
        return ServiceUnavailable("scrobbling.provider_down", provider=provider.label)
    return Unprocessable("scrobbling.provider_refused", provider=provider.label, reason=exc.reason)


# --- connections ------------------------------------------------------------------------------
def _read(
    provider: ScrobbleProvider,
    connection: ScrobbleConnection | None,
    counts: dict[tuple[str, str], int],
    locale: str,
) -> ConnectionRead:
    base = ConnectionRead(
        provider=provider.name.value,
        label=provider.label,
        available=provider.available(),
        connected=connection is not None,
        media_types=sorted(provider.media_types),
        pending=counts.get((provider.name.value, "pending"), 0),
        failed=counts.get((provider.name.value, "failed"), 0),
    )
    if connection is None:
        return base
    message = None
    if connection.status == "needs_reconnect":
        message = translate(
            "scrobbling.status.needs_reconnect",
            locale,
            provider=provider.label,
            reason=connection.status_reason or "",
        )
    return base.model_copy(
        update={
            "username": connection.username,
            "enabled": connection.enabled,
            "scrobble_movies": connection.scrobble_movies,
            "scrobble_tv": connection.scrobble_tv,
            "scrobble_music": connection.scrobble_music,
            "status": connection.status,
            "status_reason": connection.status_reason,
            "status_message": message,
            "last_error": connection.last_error,
            "expires_at": connection.expires_at,
            "last_sync_at": connection.last_sync_at,
            "sync_status": connection.sync_status,
            "sync_items": connection.sync_items,
            "sync_pages_done": connection.sync_pages_done,
            "sync_error": connection.sync_error,
        }
    )


async def list_connections(
    session: AsyncSession, user_id: uuid.UUID, settings: Settings, locale: str
) -> list[ConnectionRead]:
    """Every provider, with the user's connection where there is one."""
    connections = {c.provider: c for c in await repo.list_connections(session, user_id)}
    counts = await repo.queue_counts(session, user_id)
    return [
        _read(p, connections.get(p.name.value), counts, locale) for p in all_providers(settings)
    ]


async def connection_status(
    session: AsyncSession,
    user_id: uuid.UUID,
    provider_name: ProviderName,
    settings: Settings,
    locale: str,
) -> ConnectionRead:
    provider = get_provider(provider_name, settings)
    connection = await repo.get_connection(session, user_id, provider_name.value)
    return _read(provider, connection, await repo.queue_counts(session, user_id), locale)


def refuse_while_backing_off(connection: ScrobbleConnection, provider: ScrobbleProvider) -> None:
    """The provider asked us to wait (429, rate-limit error): nothing goes to it before then."""
    until = connection.rate_limited_until
    now = clock.utcnow()
    if until is not None and until > now:
        seconds = max(1, math.ceil((until - now).total_seconds()))
        raise ServiceUnavailable(
            "scrobbling.rate_limited",
            provider=provider.label,
            retry_after=seconds,
            headers={"Retry-After": str(seconds)},
        )


async def _require_connection(
    session: AsyncSession, user_id: uuid.UUID, provider: ScrobbleProvider, *, lock: bool = False
) -> ScrobbleConnection:
    connection = await repo.get_connection(session, user_id, provider.name.value, lock=lock)
    if connection is None:
        raise NotFound("scrobbling.not_connected", provider=provider.label)
    return connection


async def save_connection(
    session: AsyncSession,
    user_id: uuid.UUID,
    provider: ScrobbleProvider,
    credentials: Credentials,
    settings: Settings,
) -> ScrobbleConnection:
    """Create the connection, or renew it on reconnect (toggles and history are kept)."""
    connection = await repo.get_connection(session, user_id, provider.name.value, lock=True)
    if connection is None:
        connection = ScrobbleConnection(user_id=user_id, provider=provider.name.value)
        session.add(connection)
    store_credentials(connection, credentials, settings)
    connection.status = "connected"
    connection.status_reason = None
    connection.last_error = None
    # rate_limited_until stays: a provider's back-off outlives a reconnect (same app, and
    # usually the same account), and the drain scheduled right after must honour it.
    await session.flush()
    return connection


async def connect(
    session: AsyncSession,
    user_id: uuid.UUID,
    provider_name: ProviderName,
    body: ConnectRequest,
    settings: Settings,
    locale: str,
) -> tuple[ConnectResponse, uuid.UUID | None]:
    """Start connecting; returns the response and, for a device flow, the state to poll."""
    provider = get_provider(provider_name, settings)
    if not provider.available():
        raise Conflict("scrobbling.provider_unavailable", provider=provider.label)
    try:
        async with provider.client() as http:
            start: ConnectStart = await provider.begin_connect(
                http,
                flow=body.flow,
                token=body.token,
                redirect_uri=redirect_uri(settings, provider.name),
            )
    except ProviderError as exc:
        raise provider_failure(provider, exc) from exc
    if start.credentials is not None:
        await save_connection(session, user_id, provider, start.credentials, settings)
        read = await connection_status(session, user_id, provider_name, settings, locale)
        return ConnectResponse(provider=provider.name.value, kind=start.kind, connection=read), None
    if not start.state:
        raise ServiceUnavailable("scrobbling.provider_down", provider=provider.label)
    state = ScrobbleAuthState(
        user_id=user_id,
        provider=provider.name.value,
        flow="device" if start.kind == "device" else "code",
        state_digest=token_digest(start.state),
        secret=seal(settings, start.secret) if start.secret else None,
        expires_at=clock.utcnow() + timedelta(seconds=start.expires_in),
        interval_seconds=start.interval,
        status="pending",
    )
    session.add(state)
    await session.flush()
    response = ConnectResponse(
        provider=provider.name.value,
        kind=start.kind,
        authorize_url=start.authorize_url,
        user_code=start.user_code,
        verification_url=start.verification_url,
        expires_in=start.expires_in,
        interval=start.interval,
    )
    return response, state.id if start.kind == "device" else None


async def complete_callback(
    session: AsyncSession,
    user_id: uuid.UUID,
    provider_name: ProviderName,
    params: dict[str, str],
    settings: Settings,
    locale: str,
) -> ConnectionRead:
    """Finish a browser authorisation. The state must be this user's, unused and fresh."""
    provider = get_provider(provider_name, settings)
    if provider.callback_state_param is None:
        raise Unprocessable("scrobbling.unsupported", provider=provider.label)
    value = params.get(provider.callback_state_param) or ""
    state = (
        await session.execute(
            select(ScrobbleAuthState)
            .where(ScrobbleAuthState.state_digest == token_digest(value))
            .with_for_update()
        )
    ).scalar_one_or_none()
    now = clock.utcnow()
    # One answer for every kind of mismatch, so a probe learns nothing about others' states.
    if (
        not value
        or state is None
        or state.user_id != user_id
        or state.provider != provider.name.value
        or state.flow != "code"
        or state.used_at is not None
        or state.expires_at <= now
    ):
        raise BadRequest("scrobbling.invalid_state", provider=provider.label)
    state.used_at = now
    if params.get("error"):
        state.status, state.reason = "failed", params["error"]
        raise Unprocessable(
            "scrobbling.provider_refused", provider=provider.label, reason=params["error"]
        )
    try:
        async with provider.client() as http:
            credentials = await provider.complete_connect(
                http,
                params=params,
                secret=unseal(settings, state.secret) if state.secret else None,
                redirect_uri=redirect_uri(settings, provider.name),
            )
    except ProviderError as exc:
        raise provider_failure(provider, exc) from exc
    state.status = "done"
    await save_connection(session, user_id, provider, credentials, settings)
    return await connection_status(session, user_id, provider_name, settings, locale)


async def poll_device_authorisation(
    session: AsyncSession, state_id: uuid.UUID, settings: Settings
) -> int | None:
    """One poll of a device-code authorisation; returns seconds until the next poll, or None."""
    state = await session.get(ScrobbleAuthState, state_id, with_for_update=True)
    if state is None or state.status != "pending" or not state.secret:
        return None
    provider = get_provider(state.provider, settings)
    if state.expires_at <= clock.utcnow():
        state.status, state.reason = "failed", "expired"
        return None
    async with provider.client() as http:
        result = await provider.poll_device(http, unseal(settings, state.secret))
    interval = state.interval_seconds or 5
    if result.status == "pending":
        return interval
    if result.status == "slow_down":
        state.interval_seconds = interval + 5
        return state.interval_seconds
    state.used_at = clock.utcnow()
    if result.status == "failed" or result.credentials is None:
        state.status, state.reason = "failed", result.reason
        return None
    state.status = "done"
    await save_connection(session, state.user_id, provider, result.credentials, settings)
    return None


async def disconnect(
    session: AsyncSession, user_id: uuid.UUID, provider_name: ProviderName, settings: Settings
) -> None:
    """Revoke at the provider (best effort), forget the tokens, drop what can no longer be sent."""
    provider = get_provider(provider_name, settings)
    connection = await _require_connection(session, user_id, provider, lock=True)
    try:
        async with provider.client() as http:
            await provider.revoke(http, credentials_of(connection, settings))
    except (ProviderError, crypto.DecryptionError, OSError) as exc:
        log.warning("scrobbling.revoke_failed", provider=provider.name.value, error=str(exc))
    except Exception as exc:  # a revoke failure must never keep the user connected
        log.warning("scrobbling.revoke_failed", provider=provider.name.value, error=repr(exc))
    await session.execute(
        update(ScrobbleQueueItem)
        .where(
            ScrobbleQueueItem.user_id == user_id,
            ScrobbleQueueItem.provider == provider.name.value,
            ScrobbleQueueItem.status == "pending",
        )
        .values(status="skipped", last_error="disconnected")
    )
    await session.delete(connection)


async def update_settings(
    session: AsyncSession,
    user_id: uuid.UUID,
    provider_name: ProviderName,
    body: ConnectionSettingsUpdate,
    settings: Settings,
    locale: str,
) -> ConnectionRead:
    provider = get_provider(provider_name, settings)
    connection = await _require_connection(session, user_id, provider, lock=True)
    for field, value in body.model_dump(exclude_unset=True).items():
        if value is not None:
            setattr(connection, field, value)
    await session.flush()
    return await connection_status(session, user_id, provider_name, settings, locale)


async def request_sync(
    session: AsyncSession, user_id: uuid.UUID, provider_name: ProviderName, settings: Settings
) -> ScrobbleConnection:
    """Mark a sync as queued; an unfinished one keeps its cursor and resumes."""
    provider = get_provider(provider_name, settings)
    connection = await _require_connection(session, user_id, provider, lock=True)
    if connection.status != "connected":
        raise Conflict("scrobbling.needs_reconnect", provider=provider.label)
    if connection.sync_status not in ("running", "queued"):
        connection.sync_cursor = None
        connection.sync_items = 0
        connection.sync_pages_done = 0
    connection.sync_status = "queued"
    connection.sync_error = None
    await session.flush()
    return connection


# --- queueing plays ---------------------------------------------------------------------------
def idempotency_key(
    media_type: str, media_id: uuid.UUID, play: object, action: str, event_ms: int | None
) -> str:
    """One queue item per play and action (and event, for those sent per event).

    ``play`` names the play: its session id, which stays when late events (an offline
    client's sync) move the play's start, so a play is never scrobbled twice."""
    key = f"{media_type}:{media_id}:{play}:{action}"
    return key if event_ms is None else f"{key}:{event_ms}"


async def queue_play(
    session: AsyncSession,
    play_session_id: uuid.UUID,
    transition: PlayTransition,
    settings: Settings,
) -> list[str]:
    """Queue what each of the user's providers must hear about this playback transition.

    Returns the providers that got new items. Safe to run twice: idempotency keys dedupe.
    """
    play = await playback.get_session(session, play_session_id)
    if play is None:
        return []
    connections = [c for c in await repo.list_connections(session, play.user_id) if c.enabled]
    if not connections:
        return []
    snapshot = await scrobble_snapshot(session, play.media_type, play.media_id)
    if snapshot is None:
        return []
    duration = play.item_duration_ms or snapshot.duration_ms
    counted = (
        play.counted
        if play.state == "stopped"
        else meets_play_rule(play.media_type, play.played_ms, duration, settings.play_rules)
    )
    event_at = (
        play.ended_at
        if transition == PlayTransition.finished and play.ended_at
        else play.last_event_at
    )
    facts = PlayFacts(
        transition=transition,
        media_type=play.media_type,
        started_at=play.started_at,
        event_at=event_at,
        position_ms=play.position_ms,
        played_ms=play.played_ms,
        duration_ms=duration,
        counted=counted,
    )
    now = clock.utcnow()
    queued: list[str] = []
    for connection in connections:
        provider = get_provider(connection.provider, settings)
        # A provider never hears about media it does not handle, nor what the user switched off.
        if play.media_type not in provider.media_types:
            continue
        if not getattr(connection, TOGGLES[play.media_type]):
            continue
        rows = [
            {
                "id": uuid.uuid4(),
                "user_id": play.user_id,
                "provider": connection.provider,
                "media_type": play.media_type,
                "media_id": play.media_id,
                "action": planned.action,
                "timestamp": planned.timestamp,
                "play_started_at": play.started_at,
                "idempotency_key": idempotency_key(
                    play.media_type,
                    play.media_id,
                    play.id,
                    planned.action,
                    None if planned.once_per_play else int(planned.timestamp.timestamp() * 1000),
                ),
                "payload": snapshot.to_json(),
                "progress": planned.progress,
                "status": "pending",
                "next_attempt_at": now,
            }
            for planned in provider.plan(facts)
        ]
        if await repo.insert_queue_items(session, rows):
            queued.append(connection.provider)
    return queued


# --- the queue as the user sees it ------------------------------------------------------------
def queue_item_read(item: ScrobbleQueueItem) -> QueueItemRead:
    read = QueueItemRead.model_validate(item)
    return read.model_copy(
        update={"title": item.payload.get("title"), "artist": item.payload.get("artist")}
    )


async def list_queue(
    session: AsyncSession, user_id: uuid.UUID, status: str | None, limit: int, offset: int
) -> tuple[list[QueueItemRead], int]:
    items, total = await repo.list_queue(session, user_id, status, limit, offset)
    return [queue_item_read(i) for i in items], total


async def retry_queue_item(
    session: AsyncSession, user_id: uuid.UUID, item_id: uuid.UUID
) -> ScrobbleQueueItem:
    """Send a failed item again (by hand): back to pending, attempts reset."""
    item = await session.get(ScrobbleQueueItem, item_id, with_for_update=True)
    if item is None or item.user_id != user_id:
        raise NotFound("scrobbling.queue_item_not_found")
    if item.status != "failed":
        raise Conflict("scrobbling.queue_item_not_retryable", status=item.status)
    item.status = "pending"
    item.retry_count = 0
    item.next_attempt_at = clock.utcnow()
    item.last_error = None
    await session.flush()
    return item


# --- reading from providers -------------------------------------------------------------------
async def _with_fresh_credentials(
    session: AsyncSession,
    connection: ScrobbleConnection,
    provider: ScrobbleProvider,
    settings: Settings,
    http: Any,
) -> Credentials:
    credentials = credentials_of(connection, settings)
    if provider.needs_refresh(credentials, clock.utcnow()):
        credentials = await refresh_credentials(session, connection, provider, settings, http)
    return credentials


async def refresh_credentials(
    session: AsyncSession,
    connection: ScrobbleConnection,
    provider: ScrobbleProvider,
    settings: Settings,
    http: Any,
) -> Credentials:
    """Refresh the tokens (Trakt refresh tokens are single use: store the new pair at once)."""
    fresh = await provider.refresh(
        http, credentials_of(connection, settings), redirect_uri(settings, provider.name)
    )
    store_credentials(connection, fresh, settings)
    await session.flush()
    return fresh


async def recommendations(
    session: AsyncSession,
    user_id: uuid.UUID,
    provider_name: ProviderName,
    settings: Settings,
    *,
    limit: int,
    seed_track_id: uuid.UUID | None,
) -> RecommendationsRead:
    provider = get_provider(provider_name, settings)
    connection = await _require_connection(session, user_id, provider)
    if connection.status != "connected":
        raise Conflict("scrobbling.needs_reconnect", provider=provider.label)
    seed: ItemSnapshot | None = None
    if seed_track_id is not None:
        seed = await scrobble_snapshot(session, MediaType.track, seed_track_id)
        if seed is None:
            raise NotFound("library.item_not_found")
    else:
        last = await repo.last_sent(session, user_id, provider.name.value)
        seed = ItemSnapshot.from_json(last.payload) if last is not None else None
    refuse_while_backing_off(connection, provider)
    try:
        async with provider.client() as http:
            credentials = await _with_fresh_credentials(
                session, connection, provider, settings, http
            )
            items = await provider.recommendations(http, credentials, seed, limit)
    except ReconnectRequired as exc:
        await mark_needs_reconnect(session, connection, exc.reason)
        raise Conflict("scrobbling.needs_reconnect", provider=provider.label) from exc
    except ProviderError as exc:
        raise provider_failure(provider, exc) from exc
    return RecommendationsRead(
        provider=provider.name.value,
        items=[RecommendationRead(**item.__dict__) for item in items],
    )


async def love_track(
    session: AsyncSession,
    user_id: uuid.UUID,
    provider_name: ProviderName,
    track_id: uuid.UUID,
    loved: bool,
    settings: Settings,
) -> None:
    provider = get_provider(provider_name, settings)
    if not provider.supports_love:
        raise Unprocessable("scrobbling.unsupported", provider=provider.label)
    connection = await _require_connection(session, user_id, provider)
    track = await scrobble_snapshot(session, MediaType.track, track_id)
    if track is None:
        raise NotFound("library.item_not_found")
    refuse_while_backing_off(connection, provider)
    try:
        async with provider.client() as http:
            await provider.love(http, credentials_of(connection, settings), track, loved)
    except ReconnectRequired as exc:
        await mark_needs_reconnect(session, connection, exc.reason)
        raise Conflict("scrobbling.needs_reconnect", provider=provider.label) from exc
    except PermanentError as exc:
        raise provider_failure(provider, exc) from exc
    except ProviderError as exc:
        raise provider_failure(provider, exc) from exc


_IMPORTED: dict[str, tuple[Any, Any]] = {
    "history": (ScrobbleHistoryImport, ScrobbleHistoryImport.watched_at),
    "watchlist": (ScrobbleWatchlistItem, ScrobbleWatchlistItem.listed_at),
    "ratings": (ScrobbleRating, ScrobbleRating.rated_at),
}


async def list_imported(
    session: AsyncSession,
    user_id: uuid.UUID,
    provider_name: ProviderName,
    kind: str,
    limit: int,
    offset: int,
) -> tuple[list[ImportedRead], int]:
    """What a sync brought in: history, watchlist or ratings, newest first."""
    model, when = _IMPORTED[kind]
    condition = (model.user_id == user_id) & (model.provider == provider_name.value)
    total = (
        await session.execute(select(func.count()).select_from(model).where(condition))
    ).scalar_one()
    rows = await session.execute(
        select(model)
        .where(condition)
        .order_by(when.desc().nulls_last())
        .limit(limit)
        .offset(offset)
    )
    result = []
    for row in rows.scalars():
        read = ImportedRead.model_validate(row)
        result.append(
            read.model_copy(
                update={"at": getattr(row, when.key), "rating": getattr(row, "rating", None)}
            )
        )
    return result, int(total)
