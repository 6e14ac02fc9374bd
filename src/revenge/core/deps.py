"""Request dependencies: the transaction, the caller, their role and language."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core.config import Settings, get_settings
from revenge.core.db import get_database
from revenge.core.errors import Forbidden, Unauthorized
from revenge.core.i18n import resolve_locale


async def _transaction() -> AsyncIterator[AsyncSession]:
    """One request = one transaction: committed before the response is sent, rolled back on error."""
    async with get_database().transaction() as session:
        yield session


# scope="function": the commit happens before the response leaves, so a 2xx is never sent
# for work that then failed to commit.
DbSession = Annotated[AsyncSession, Depends(_transaction, scope="function")]
AppSettings = Annotated[Settings, Depends(get_settings)]


@dataclass(frozen=True)
class Principal:
    """The authenticated caller."""

    id: uuid.UUID
    username: str
    is_admin: bool
    locale: str | None
    timezone: str
    session_id: uuid.UUID | None = None  # login session (None for API keys)
    api_key_id: uuid.UUID | None = None


# The users feature installs the authenticator at start-up (core must not import features).
_authenticator: Any = None


def set_authenticator(authenticator: Any) -> None:
    """``authenticator(session, bearer_token | None, api_key | None) -> Principal | None``."""
    global _authenticator
    _authenticator = authenticator


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


async def optional_principal(request: Request, session: DbSession) -> Principal | None:
    token, api_key = _bearer(request), request.headers.get("x-api-key")
    if not token and not api_key:
        return None
    principal: Principal | None = await _authenticator(session, token, api_key)
    if principal is None:
        raise Unauthorized("auth.invalid_token")
    request.state.user_id = principal.id
    request.state.locale = resolve_locale(
        principal.locale, request.headers.get("accept-language"), get_settings().default_locale
    )
    return principal


async def current_principal(
    principal: Annotated[Principal | None, Depends(optional_principal)],
) -> Principal:
    if principal is None:
        raise Unauthorized()
    return principal


async def admin_principal(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
    if not principal.is_admin:
        raise Forbidden("auth.admin_required")
    return principal


CurrentUser = Annotated[Principal, Depends(current_principal)]
AdminUser = Annotated[Principal, Depends(admin_principal)]
OptionalUser = Annotated[Principal | None, Depends(optional_principal)]


def request_locale(request: Request, principal: OptionalUser) -> str:
    """The caller's language; depends on the principal so a user's preference is applied first."""
    return getattr(request.state, "locale", None) or get_settings().default_locale


Locale = Annotated[str, Depends(request_locale)]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"
