"""Password hashing (argon2id) and opaque tokens stored only as hashes."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import weakref

import anyio.to_thread
from anyio import CapacityLimiter
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from revenge.core.errors import BUSY_RETRY_AFTER_SECONDS, ServiceUnavailable

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# A real hash of a random password: verifying against it when no user/grant exists keeps
# the response time the same as a wrong password, so timing reveals nothing.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Constant-effort check; a missing hash still costs one argon2 verification."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


# argon2 takes ~50 ms of CPU and 64 MiB per call: on the event loop it stalls every other
# request, and unbounded in threads 200 parallel logins would take 12 GiB. So the async
# versions below run in worker threads, at most ``password_hash_concurrency`` at once.
_limiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, CapacityLimiter] = (
    weakref.WeakKeyDictionary()
)


def _limiter() -> CapacityLimiter:
    from revenge.core.config import get_settings

    loop = asyncio.get_running_loop()
    limiter = _limiters.get(loop)
    if limiter is None:
        limiter = _limiters[loop] = CapacityLimiter(get_settings().password_hash_concurrency)
    return limiter


# Checks allowed to wait for a thread, per thread: beyond that a request is answered 503 at
# once instead of queueing for many seconds behind a flood of logins.
WAITING_PER_THREAD = 16


def _admitted_limiter() -> CapacityLimiter:
    limiter = _limiter()
    if limiter.statistics().tasks_waiting >= WAITING_PER_THREAD * limiter.total_tokens:
        retry = BUSY_RETRY_AFTER_SECONDS
        raise ServiceUnavailable(
            "service.busy", retry_after=retry, headers={"Retry-After": str(retry)}
        )
    return limiter


async def hash_password_async(password: str) -> str:
    return await anyio.to_thread.run_sync(hash_password, password, limiter=_admitted_limiter())


async def verify_password_async(password_hash: str | None, password: str) -> bool:
    return await anyio.to_thread.run_sync(
        verify_password, password_hash, password, limiter=_admitted_limiter()
    )


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def new_token(prefix: str = "", nbytes: int = 32) -> str:
    """A random opaque token (``nbytes`` of entropy, URL-safe)."""
    return prefix + secrets.token_urlsafe(nbytes)


def token_digest(token: str) -> str:
    """What the database stores instead of a token: its SHA-256 (tokens are high-entropy)."""
    return hashlib.sha256(token.encode()).hexdigest()


def keyed_digest(secret: str, value: str) -> str:
    """HMAC-SHA256 of ``value`` with the server secret (e.g. hashing client IPs)."""
    return hmac.new(secret.encode(), value.encode(), hashlib.sha256).hexdigest()
