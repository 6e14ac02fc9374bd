"""A user's connection to a provider: sealed credentials and their refresh, status, settings,
disconnecting. Authorising (connect, callback, device flow) is in ``authorisation.py``.

Services never commit; the request or job that calls them owns the transaction.
"""

from __future__ import annotations

import math
import uuid
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core import clock, crypto
from revenge.core.config import Settings
from revenge.core.errors import AppError, NotFound, ServiceUnavailable, Unprocessable
from revenge.core.http import ProviderError, RetryableError
from revenge.core.i18n import translate
from revenge.notifications import service as notifications
from revenge.notifications.types import NotificationType
from revenge.scrobbling import repository as repo
from revenge.scrobbling.models import ScrobbleConnection
from revenge.scrobbling.providers.base import (
    AuthExpired,
    Credentials,
    MalformedToken,
    ProviderName,
    ScrobbleProvider,
    Unsupported,
)
from revenge.scrobbling.providers.registry import all_providers, get_provider, provider_label
from revenge.scrobbling.schemas import ConnectionRead, ConnectionSettingsUpdate

log = structlog.get_logger(__name__)
TOKEN_PURPOSE = "scrobble-token"


# --- sealed credentials -----------------------------------------------------------------------
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


def redirect_uri(settings: Settings, provider: ProviderName | str) -> str:
    """Where the provider sends the browser back: the web UI, which calls the callback API."""
    return f"{settings.public_url.rstrip('/')}/scrobbling/callback/{provider}"


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


async def fresh_credentials(
    session: AsyncSession,
    connection: ScrobbleConnection,
    provider: ScrobbleProvider,
    settings: Settings,
    http: Any,
) -> Credentials:
    """The connection's credentials, refreshed first if they are about to expire."""
    credentials = credentials_of(connection, settings)
    if provider.needs_refresh(credentials, clock.utcnow()):
        credentials = await refresh_credentials(session, connection, provider, settings, http)
    return credentials


# --- status -----------------------------------------------------------------------------------
async def mark_needs_reconnect(
    session: AsyncSession, connection: ScrobbleConnection, reason: str, settings: Settings
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
            settings=settings,
        )


def provider_failure(provider: ScrobbleProvider, exc: ProviderError) -> AppError:
    if isinstance(exc, Unsupported):
        return Unprocessable("scrobbling.unsupported", provider=provider.label)
    if isinstance(exc, MalformedToken):
        return Unprocessable("scrobbling.invalid_token", provider=provider.label)
    if isinstance(exc, RetryableError | AuthExpired):
        return ServiceUnavailable("scrobbling.provider_down", provider=provider.label)
    return Unprocessable("scrobbling.provider_refused", provider=provider.label, reason=exc.reason)


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


async def require_connection(
    session: AsyncSession, user_id: uuid.UUID, provider: ScrobbleProvider, *, lock: bool = False
) -> ScrobbleConnection:
    connection = await repo.get_connection(session, user_id, provider.name.value, lock=lock)
    if connection is None:
        raise NotFound("scrobbling.not_connected", provider=provider.label)
    return connection


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


# --- changing a connection --------------------------------------------------------------------
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


async def disconnect(
    session: AsyncSession, user_id: uuid.UUID, provider_name: ProviderName, settings: Settings
) -> None:
    """Revoke at the provider (best effort), forget the tokens, drop what can no longer be sent."""
    provider = get_provider(provider_name, settings)
    connection = await require_connection(session, user_id, provider, lock=True)
    try:
        async with provider.client() as http:
            await provider.revoke(http, credentials_of(connection, settings))
    except (ProviderError, crypto.DecryptionError, OSError) as exc:
        log.warning("scrobbling.revoke_failed", provider=provider.name.value, error=str(exc))
    except Exception as exc:  # a revoke failure must never keep the user connected
        log.warning("scrobbling.revoke_failed", provider=provider.name.value, error=repr(exc))
    await repo.skip_pending(session, user_id, provider.name.value, reason="disconnected")
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
    connection = await require_connection(session, user_id, provider, lock=True)
    for field, value in body.model_dump(exclude_unset=True).items():
        if value is not None:
            setattr(connection, field, value)
    await session.flush()
    return await connection_status(session, user_id, provider_name, settings, locale)
