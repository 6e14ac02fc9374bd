"""Accounts, logins and API keys."""

from __future__ import annotations

import re
import secrets
import unicodedata
import uuid
from datetime import timedelta

import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core import clock, ratelimit
from revenge.core.config import Settings
from revenge.core.deps import Principal
from revenge.core.errors import BadRequest, Conflict, Forbidden, NotFound, RateLimited, Unauthorized
from revenge.core.security import (
    hash_password_async,
    needs_rehash,
    new_token,
    token_digest,
    verify_password_async,
)
from revenge.users import repository
from revenge.users.models import ApiKey, AuthSession, User
from revenge.users.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyRead,
    TokenPair,
    UserAdminUpdate,
    UserCreate,
    UserRead,
    UserUpdateMe,
)

log = structlog.get_logger(__name__)
ACCESS_PREFIX, REFRESH_PREFIX, API_KEY_PREFIX = "rva_", "rvr_", "rvk_"


def _principal(
    user: User, session_id: uuid.UUID | None = None, api_key_id: uuid.UUID | None = None
) -> Principal:
    return Principal(
        id=user.id,
        username=user.username,
        is_admin=user.is_admin,
        locale=user.locale,
        timezone=user.timezone,
        session_id=session_id,
        api_key_id=api_key_id,
    )


async def authenticate(
    session: AsyncSession, bearer: str | None, api_key: str | None
) -> Principal | None:
    """The caller behind a bearer token or an API key; None when neither is valid."""
    now = clock.utcnow()
    if bearer:
        found = await repository.get_session_by_access(session, token_digest(bearer), now)
        if found is None:
            return None
        auth_session, user = found
        return _principal(user, session_id=auth_session.id)
    if api_key:
        found_key = await repository.get_api_key(session, token_digest(api_key), now)
        if found_key is None:
            return None
        key, user = found_key
        key.last_used_at = now
        return _principal(user, api_key_id=key.id)
    return None


async def _issue_tokens(
    session: AsyncSession,
    user: User,
    settings: Settings,
    user_agent: str | None,
    family_id: uuid.UUID | None = None,
) -> TokenPair:
    now = clock.utcnow()
    access, refresh = new_token(ACCESS_PREFIX), new_token(REFRESH_PREFIX)
    session.add(
        AuthSession(
            user_id=user.id,
            family_id=family_id or uuid.uuid4(),
            access_token_hash=token_digest(access),
            access_expires_at=now + timedelta(seconds=settings.access_token_ttl_seconds),
            refresh_token_hash=token_digest(refresh),
            refresh_expires_at=now + timedelta(days=settings.refresh_token_ttl_days),
            user_agent=(user_agent or "")[:400] or None,
        )
    )
    await session.flush()
    return TokenPair(
        user=UserRead.model_validate(user),
        access_token=access,
        refresh_token=refresh,
        expires_in=settings.access_token_ttl_seconds,
    )


async def login(
    session: AsyncSession,
    settings: Settings,
    username: str,
    password: str,
    *,
    client_ip: str,
    user_agent: str | None,
) -> TokenPair:
    """Check credentials, at most ``login_max_attempts`` per IP and per username in the window.

    Every attempt is counted (and committed) before the password is checked, so parallel
    guesses cannot get more checks than the limit; a successful login gives its attempt back.
    """
    window = settings.login_window_seconds
    ip_key, user_key = f"login:ip:{client_ip}", f"login:user:{username.lower()}"
    retry_after = await ratelimit.count_attempts(
        session,
        [(ip_key, settings.login_max_attempts), (user_key, settings.login_max_attempts)],
        window_seconds=window,
    )
    if retry_after is not None:
        raise RateLimited("auth.too_many_attempts", retry_after=retry_after)
    user = await repository.get_user_by_username(session, username)
    # The connection goes back to the pool while argon2 runs (no request holds one idle).
    await session.commit()
    # argon2 runs even for an unknown user: same answer, same time.
    valid = await verify_password_async(user.password_hash if user else None, password)
    if not valid or user is None or not user.is_active:
        raise Unauthorized("auth.invalid_credentials")
    if needs_rehash(user.password_hash):
        user.password_hash = await hash_password_async(password)
    user.last_login_at = clock.utcnow()
    await ratelimit.forgive(session, ip_key, window_seconds=window)
    await ratelimit.reset(session, user_key)
    log.info("auth.login", user_id=str(user.id))
    return await _issue_tokens(session, user, settings, user_agent)


async def refresh(
    session: AsyncSession, settings: Settings, refresh_token: str, user_agent: str | None
) -> TokenPair:
    """Rotate: the old session is revoked and a new pair issued (a refresh token works once).

    A refresh token that was already used or revoked, presented again, means that someone else
    may hold it: every session of its family (this login and all refreshed from it) ends.
    """
    auth_session = await repository.get_session_by_refresh(session, token_digest(refresh_token))
    now = clock.utcnow()
    if auth_session is not None and auth_session.revoked_at is not None:
        await repository.revoke_family(session, auth_session.family_id, now)
        await session.commit()  # the revocation stands although the answer is an error
        log.warning("auth.refresh_token_reused", user_id=str(auth_session.user_id))
        raise Unauthorized("auth.invalid_refresh_token")
    if auth_session is None or auth_session.refresh_expires_at <= now:
        raise Unauthorized("auth.invalid_refresh_token")
    user = await repository.get_user(session, auth_session.user_id)
    if user is None or not user.is_active:
        raise Unauthorized("auth.invalid_refresh_token")
    auth_session.revoked_at = now
    return await _issue_tokens(session, user, settings, user_agent, auth_session.family_id)


async def logout(session: AsyncSession, principal: Principal) -> None:
    if principal.session_id is None:
        raise BadRequest("auth.logout_requires_session")
    auth_session = await session.get(AuthSession, principal.session_id)
    if auth_session is not None and auth_session.revoked_at is None:
        auth_session.revoked_at = clock.utcnow()


async def get_me(session: AsyncSession, principal: Principal) -> User:
    user = await repository.get_user(session, principal.id)
    if user is None:
        raise Unauthorized()
    return user


async def update_me(session: AsyncSession, principal: Principal, changes: UserUpdateMe) -> User:
    user = await get_me(session, principal)
    data = changes.model_dump(exclude_unset=True)
    if "new_password" in data:
        if not changes.current_password or not await verify_password_async(
            user.password_hash, changes.current_password
        ):
            raise Forbidden("auth.wrong_current_password")
        user.password_hash = await hash_password_async(changes.new_password or "")
        user.must_change_password = False  # their own password now
        # Every other login ends: a password change is often a reaction to a leak. This one
        # keeps its access token until it expires, but its refresh token ends too, so no
        # token issued before the change outlives it. API keys stay (README "Security").
        now = clock.utcnow()
        await repository.revoke_user_sessions(session, user.id, now, keep=principal.session_id)
        await repository.end_refresh(session, principal.session_id, now)
    for field in ("display_name", "email", "locale", "timezone"):
        if field in data and (field != "timezone" or data[field] is not None):
            setattr(user, field, data[field])
    await session.flush()
    return user


async def create_user(session: AsyncSession, data: UserCreate) -> User:
    if await repository.get_user_by_username(session, data.username) is not None:
        raise Conflict("users.username_taken", username=data.username)
    user = User(
        username=data.username,
        email=data.email,
        password_hash=await hash_password_async(data.password),
        display_name=data.display_name,
        is_admin=data.is_admin,
        locale=data.locale,
        timezone=data.timezone or "UTC",
    )
    session.add(user)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:  # a concurrent create of the same name
        raise Conflict("users.username_taken", username=data.username) from exc
    return user


def _username_from(name: str) -> str:
    """A username of the allowed characters for a name from elsewhere ("José Díaz" →
    "Jose_Diaz")."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", ascii_name).strip("._-")
    return (cleaned or "user")[:48].ljust(2, "_")


async def create_user_without_password(session: AsyncSession, name: str) -> uuid.UUID:
    """A non-admin account for a person another server knows (``REVENGE_INGEST_CREATE_USERS``):
    named after them, with no usable password (an admin sets one if they should sign in). A
    taken username gets a number."""
    base = _username_from(name)
    # A hash of a secret nobody holds: signing in fails, and costs what any wrong password does.
    password_hash = await hash_password_async(secrets.token_urlsafe(32))
    for attempt in range(1, 100):
        username = base if attempt == 1 else f"{base}-{attempt}"
        if await repository.get_user_by_username(session, username) is not None:
            continue
        user = User(
            username=username,
            password_hash=password_hash,
            display_name=name[:128] if name != username else None,
            is_admin=False,
        )
        session.add(user)
        try:
            async with session.begin_nested():
                await session.flush()
        except IntegrityError:  # created at the same moment by another drain
            continue
        log.info("users.created_for_external_user", username=username)
        return user.id
    raise Conflict("users.username_taken", username=base)


async def list_users(session: AsyncSession, limit: int, offset: int) -> tuple[list[User], int]:
    return await repository.list_users(session, limit, offset)


async def _get_user_or_404(session: AsyncSession, user_id: uuid.UUID) -> User:
    user = await repository.get_user(session, user_id)
    if user is None:
        raise NotFound("users.not_found")
    return user


async def admin_update_user(
    session: AsyncSession, admin: Principal, user_id: uuid.UUID, changes: UserAdminUpdate
) -> User:
    user = await _get_user_or_404(session, user_id)
    data = changes.model_dump(exclude_unset=True)
    losing_admin = data.get("is_admin") is False or data.get("is_active") is False
    if losing_admin and user.is_admin and await repository.count_admins(session) <= 1:
        raise Conflict("users.last_admin")
    # An admin cannot lock themselves out; another admin can.
    if losing_admin and user.id == admin.id:
        raise Conflict("users.cannot_change_self")
    if data.get("password"):
        user.password_hash = await hash_password_async(data.pop("password"))
        await repository.revoke_user_sessions(session, user.id, clock.utcnow())
    data.pop("password", None)
    for field, value in data.items():
        if value is not None or field in ("email", "display_name", "locale"):
            setattr(user, field, value)
    if data.get("is_active") is False:
        await repository.revoke_user_sessions(session, user.id, clock.utcnow())
    await session.flush()
    return user


def generate_password() -> str:
    """A password for someone to type once and then replace: 16 URL-safe characters."""
    return secrets.token_urlsafe(12)


async def reset_password(session: AsyncSession, admin: Principal, user_id: uuid.UUID) -> str:
    """A new generated password for ``user_id``, returned once; their logins end and the web app
    asks them for a password of their own at the next sign-in."""
    user = await _get_user_or_404(session, user_id)
    if user.id == admin.id:
        # Resetting would end the admin's own session; their profile changes their password.
        raise Conflict("users.cannot_reset_self")
    password = generate_password()
    user.password_hash = await hash_password_async(password)
    user.must_change_password = True
    await repository.revoke_user_sessions(session, user.id, clock.utcnow())
    await session.flush()
    log.info("users.password_reset", user_id=str(user.id), by=str(admin.id))
    return password


async def delete_user(session: AsyncSession, admin: Principal, user_id: uuid.UUID) -> None:
    user = await _get_user_or_404(session, user_id)
    if user.id == admin.id:
        raise Conflict("users.cannot_delete_self")
    if user.is_admin and await repository.count_admins(session) <= 1:
        raise Conflict("users.last_admin")
    await session.delete(user)
    await session.flush()


async def create_api_key(
    session: AsyncSession, principal: Principal, data: ApiKeyCreate
) -> ApiKeyCreated:
    key = new_token(API_KEY_PREFIX)
    row = ApiKey(
        user_id=principal.id,
        name=data.name,
        key_hash=token_digest(key),
        prefix=key[:10],
        expires_at=data.expires_at,
    )
    session.add(row)
    await session.flush()
    await session.refresh(row)
    return ApiKeyCreated(**ApiKeyRead.model_validate(row).model_dump(), key=key)


async def list_api_keys(session: AsyncSession, principal: Principal) -> list[ApiKey]:
    return await repository.list_api_keys(session, principal.id)


async def delete_api_key(session: AsyncSession, principal: Principal, key_id: uuid.UUID) -> None:
    key = await session.get(ApiKey, key_id)
    # Someone else's key answers exactly like a missing one.
    if key is None or key.user_id != principal.id:
        raise NotFound("users.api_key_not_found")
    await session.delete(key)


async def ensure_first_admin(session: AsyncSession, settings: Settings) -> str | None:
    """Create the first admin when there is no user yet; returns a generated password, if any.

    A generated password must be changed at the first sign-in (``must_change_password``); one
    from the settings was chosen by the operator and stays.
    """
    if (await repository.list_users(session, 1, 0))[1] > 0:
        return None
    username = settings.admin_username or "admin"
    generated = None
    if settings.admin_password is not None:
        password = settings.admin_password.get_secret_value()
    else:
        password = generated = generate_password()
    user = await create_user(
        session, UserCreate(username=username, password=password, is_admin=True)
    )
    user.must_change_password = generated is not None
    await session.flush()
    return generated
