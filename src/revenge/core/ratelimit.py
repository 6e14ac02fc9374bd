"""Rate limits kept in PostgreSQL, shared by every API and worker process.

Attempt counters limit what clients may do to us; slots space the calls we make to an
outside service.

An attempt is counted *before* the work it guards (e.g. an argon2 check), in one conditional
statement on the request's own connection, and committed at once. So N parallel guesses can
never get more than the limit checked, a request that then fails still counts, and no request
needs a second database connection for its counters.
"""

from __future__ import annotations

import asyncio
import random
import weakref
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import datetime

from sqlalchemy import BigInteger, Float, Integer, String, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from revenge.core import clock
from revenge.core.db import Base, get_database


class RateLimitBucket(Base):
    __tablename__ = "rate_limit_buckets"
    __table_args__ = {"schema": "shared"}

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    window_start: Mapped[int] = mapped_column(BigInteger)
    hits: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column(index=True)


# A window opens at a key's first hit and lasts ``window`` seconds (not aligned to the clock,
# so a burst straddling a boundary cannot get twice the limit). The WHERE makes the upsert
# conditional: a key at its limit is not touched and no row comes back. Concurrent attempts on
# one key queue on its row lock and each re-checks the committed count, so exactly ``limit``
# of them get a row back.
_ATTEMPT = text(
    """
    INSERT INTO shared.rate_limit_buckets AS b (key, window_start, hits, expires_at)
    VALUES (:key, :now, 1, to_timestamp(:now + :window))
    ON CONFLICT (key) DO UPDATE SET
        hits = CASE WHEN b.window_start + :window > :now THEN b.hits + 1 ELSE 1 END,
        window_start = CASE WHEN b.window_start + :window > :now THEN b.window_start ELSE :now END,
        expires_at = CASE WHEN b.window_start + :window > :now
                          THEN b.expires_at ELSE to_timestamp(:now + :window) END
    WHERE b.window_start + :window <= :now OR b.hits < :limit
    RETURNING hits
    """
)
_WAIT = text(
    "SELECT greatest(1, window_start + :window - :now) FROM shared.rate_limit_buckets "
    "WHERE key = :key AND window_start + :window > :now"
)
# Gives one attempt back (a login that succeeded was not a guess).
_FORGIVE = text(
    "UPDATE shared.rate_limit_buckets SET hits = greatest(hits - 1, 0) "
    "WHERE key = :key AND window_start + :window > :now"
)
_RESET = text("DELETE FROM shared.rate_limit_buckets WHERE key = :key")


def _now() -> int:
    return int(clock.utcnow().timestamp())


async def count_attempts(
    session: AsyncSession, limits: Sequence[tuple[str, int]], *, window_seconds: int
) -> int | None:
    """Count one attempt under each ``(key, limit)``, in order, and commit.

    Returns None when every key was under its limit (the attempt may go ahead), else the
    seconds until the first key at its limit frees up. A refused attempt counts under no key
    (it checked nothing). The commit ends the caller's transaction so far: call this first,
    before other writes.
    """
    async with AsyncExitStack() as held:
        # Attempts on one key wait here, in memory, not on the key's row lock: a request
        # queued there would hold a pool connection the whole time, and a few hundred
        # guesses at one account would take every connection (503 for everyone else).
        for lock in _key_locks([key for key, _ in limits]):
            await held.enter_async_context(lock)
        now = _now()
        retry_after: int | None = None
        counted: list[str] = []
        for key, limit in limits:
            params = {"key": key, "limit": limit, "window": window_seconds, "now": now}
            if (await session.execute(_ATTEMPT, params)).first() is None:
                retry_after = int((await session.execute(_WAIT, params)).scalar_one_or_none() or 1)
                for earlier in counted:
                    await session.execute(
                        _FORGIVE, {"key": earlier, "window": window_seconds, "now": now}
                    )
                break
            counted.append(key)
        await session.commit()
    return retry_after


_STRIPES = 256
_stripes: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, list[asyncio.Lock]] = (
    weakref.WeakKeyDictionary()
)


def _key_locks(keys: Sequence[str]) -> list[asyncio.Lock]:
    """This process's locks for ``keys`` (striped), in one global order so two requests
    never wait on each other crosswise. PostgreSQL's row locks still order other processes."""
    loop = asyncio.get_running_loop()
    stripes = _stripes.get(loop)
    if stripes is None:
        stripes = _stripes[loop] = [asyncio.Lock() for _ in range(_STRIPES)]
    return [stripes[index] for index in sorted({hash(key) % _STRIPES for key in keys})]


async def forgive(session: AsyncSession, key: str, *, window_seconds: int) -> None:
    """Take back one attempt under ``key`` (in the caller's transaction)."""
    await session.execute(_FORGIVE, {"key": key, "window": window_seconds, "now": _now()})


async def reset(session: AsyncSession, key: str) -> None:
    """Forget every attempt under ``key`` (in the caller's transaction)."""
    await session.execute(_RESET, {"key": key})


# --- calls we make to an outside service (shared by every worker process) ----------------------


class RateLimitSlot(Base):
    """One of the ``limit`` call tokens of an outside service (``key``, e.g. ``acoustid``): a
    call holds a token while it runs, and the token frees ``per_seconds`` after the answer.
    ``free_at`` is in epoch seconds on PostgreSQL's clock."""

    __tablename__ = "rate_limit_slots"
    __table_args__ = {"schema": "shared"}

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    slot: Mapped[int] = mapped_column(Integer, primary_key=True)
    free_at: Mapped[float] = mapped_column(Float)


_ADD_SLOTS = text(
    "INSERT INTO shared.rate_limit_slots (key, slot, free_at) "
    "SELECT :key, g, 0 FROM generate_series(0, :limit - 1) AS g ON CONFLICT DO NOTHING"
)
# SKIP LOCKED + the re-check FOR UPDATE does on a row changed meanwhile: two workers never get
# the same token. The lease frees a token whose holder died before giving it back. Times are
# epoch seconds on PostgreSQL's clock (clock_timestamp(): now, not the transaction's start).
_TAKE_SLOT = text(
    """
    UPDATE shared.rate_limit_slots AS s SET free_at = extract(epoch FROM clock_timestamp()) + :lease
    WHERE s.key = :key AND s.slot = (
        SELECT slot FROM shared.rate_limit_slots
        WHERE key = :key AND slot < :limit AND free_at <= extract(epoch FROM clock_timestamp())
        ORDER BY free_at, slot LIMIT 1 FOR UPDATE SKIP LOCKED)
    RETURNING s.slot
    """
)
_SLOT_WAIT = text(
    """
    SELECT min(free_at) - extract(epoch FROM clock_timestamp())
    FROM shared.rate_limit_slots WHERE key = :key AND slot < :limit
    """
)
_RELEASE_SLOT = text(
    """
    UPDATE shared.rate_limit_slots SET free_at = extract(epoch FROM clock_timestamp()) + :per_seconds
    WHERE key = :key AND slot = :slot
    """
)
_HOLD_SLOTS = text(
    """
    UPDATE shared.rate_limit_slots
    SET free_at = greatest(free_at, extract(epoch FROM clock_timestamp()) + :seconds)
    WHERE key = :key
    """
)


class SlotUnavailable(Exception):
    """No call token frees up within the wait allowed; ``wait`` is the seconds still to go."""

    def __init__(self, wait: float) -> None:
        super().__init__(f"next call possible in {wait:.1f} s")
        self.wait = wait


async def _take_slot(key: str, limit: int, lease: float) -> int | float:
    """A token's number, or the seconds until the first one frees up."""
    params = {"key": key, "limit": limit, "lease": lease}
    async with get_database().autonomous() as session:
        for _ in range(2):
            slot = (await session.execute(_TAKE_SLOT, params)).scalar_one_or_none()
            if slot is not None:
                return int(slot)
            wait = (await session.execute(_SLOT_WAIT, params)).scalar_one_or_none()
            if wait is not None:
                # A token freed between the two statements reads as 0: come straight back.
                return max(0.0, float(wait))
            # First use of this key (or a higher limit): create the tokens, then take one.
            await session.execute(_ADD_SLOTS, params)
    return 0.0


@asynccontextmanager
async def call_slot(
    key: str,
    *,
    limit: int,
    per_seconds: float,
    lease_seconds: float,
    max_wait_seconds: float,
) -> AsyncIterator[None]:
    """Make one call to an outside service so that at most ``limit`` calls under ``key``
    reach it within any ``per_seconds``, across every process.

    A call holds one of ``limit`` tokens from before it is sent until ``per_seconds`` after
    its answer (or failure) came back. Any calls that arrive at the service within one span of
    ``per_seconds`` therefore hold their tokens at the same moment, so there are at most
    ``limit`` of them — whatever the network delay between granting a token and the call's
    arrival. Waits up to ``max_wait_seconds`` for a token, else raises ``SlotUnavailable``.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max_wait_seconds
    while True:
        taken = await _take_slot(key, limit, lease_seconds)
        if isinstance(taken, int):
            break
        if taken > 0 and loop.time() + taken > deadline:
            raise SlotUnavailable(taken)
        # A little jitter so workers that woke together do not all ask in the same instant.
        await asyncio.sleep(taken + random.uniform(0.001, 0.02))
    try:
        yield
    finally:
        async with get_database().autonomous() as session:
            await session.execute(
                _RELEASE_SLOT, {"key": key, "slot": taken, "per_seconds": per_seconds}
            )


async def hold_slots(key: str, seconds: float) -> None:
    """No call under ``key`` for ``seconds`` (the service asked us to back off)."""
    async with get_database().autonomous() as session:
        await session.execute(_HOLD_SLOTS, {"key": key, "seconds": seconds})


async def next_call_in(key: str, *, limit: int) -> float:
    """Seconds until a call under ``key`` could start (0 if now)."""
    async with get_database().autonomous() as session:
        wait = (
            await session.execute(_SLOT_WAIT, {"key": key, "limit": limit})
        ).scalar_one_or_none()
    return max(0.0, float(wait or 0.0))
