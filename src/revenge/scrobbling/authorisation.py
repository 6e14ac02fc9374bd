"""Authorising a provider: connect by token, browser redirect (code) or device code.

Whichever way a connection is made, it schedules the delivery of what was queued while the
user was not connected, so a CLI or job that connects someone behaves like the API does.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core import clock
from revenge.core.config import Settings
from revenge.core.errors import BadRequest, Conflict, ServiceUnavailable, Unprocessable
from revenge.core.http import ProviderError
from revenge.core.security import token_digest
from revenge.scrobbling import repository as repo
from revenge.scrobbling import tasks
from revenge.scrobbling.connections import (
    connection_status,
    provider_failure,
    redirect_uri,
    save_connection,
    seal,
    unseal,
)
from revenge.scrobbling.models import ScrobbleAuthState
from revenge.scrobbling.providers.base import (
    ConnectStart,
    Credentials,
    ProviderName,
    ScrobbleProvider,
)
from revenge.scrobbling.providers.registry import get_provider
from revenge.scrobbling.schemas import ConnectionRead, ConnectRequest, ConnectResponse


async def _connected(
    session: AsyncSession,
    user_id: uuid.UUID,
    provider: ScrobbleProvider,
    credentials: Credentials,
    settings: Settings,
) -> None:
    await save_connection(session, user_id, provider, credentials, settings)
    # Plays queued while disconnected (or needing a reconnect) can go now.
    await tasks.schedule_delivery(session, user_id, provider.name)


async def connect(
    session: AsyncSession,
    user_id: uuid.UUID,
    provider_name: ProviderName,
    body: ConnectRequest,
    settings: Settings,
    locale: str,
) -> ConnectResponse:
    """Start connecting: done at once (a token), or a URL to send the browser to, or a device
    code for the user to enter (then a job polls the provider until they have)."""
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
        await _connected(session, user_id, provider, start.credentials, settings)
        read = await connection_status(session, user_id, provider_name, settings, locale)
        return ConnectResponse(provider=provider.name.value, kind=start.kind, connection=read)
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
    if start.kind == "device":
        await tasks.schedule_device_poll(session, state.id, start.interval)
    return ConnectResponse(
        provider=provider.name.value,
        kind=start.kind,
        authorize_url=start.authorize_url,
        user_code=start.user_code,
        verification_url=start.verification_url,
        expires_in=start.expires_in,
        interval=start.interval,
    )


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
    state = await repo.auth_state_by_digest(session, token_digest(value))
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
    await _connected(session, user_id, provider, credentials, settings)
    return await connection_status(session, user_id, provider_name, settings, locale)


async def poll_device_authorisation(
    session: AsyncSession, state_id: uuid.UUID, settings: Settings
) -> bool:
    """One poll of a device-code authorisation; False while the user has not answered yet
    (the next poll is scheduled), True once it is over (connected, denied or expired)."""
    state = await session.get(ScrobbleAuthState, state_id, with_for_update=True)
    if state is None or state.status != "pending" or not state.secret:
        return True
    provider = get_provider(state.provider, settings)
    if state.expires_at <= clock.utcnow():
        state.status, state.reason = "failed", "expired"
        return True
    async with provider.client() as http:
        result = await provider.poll_device(http, unseal(settings, state.secret))
    interval = state.interval_seconds or 5
    if result.status in ("pending", "slow_down"):
        if result.status == "slow_down":
            interval += 5
            state.interval_seconds = interval
        await tasks.schedule_device_poll(session, state.id, interval)
        return False
    state.used_at = clock.utcnow()
    if result.status == "failed" or result.credentials is None:
        state.status, state.reason = "failed", result.reason
        return True
    state.status = "done"
    await _connected(session, state.user_id, provider, result.credentials, settings)
    return True
