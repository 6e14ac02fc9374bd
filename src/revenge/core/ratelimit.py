"""Fixed-window counters in PostgreSQL, shared by every API process.

Counts are written in their own short transaction so that a request which fails (and rolls
back) still counts — that is exactly the request a limiter must see.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from revenge.core.clock import utcnow
from revenge.core.db import Base, get_database


class RateLimitBucket(Base):
    __tablename__ = "rate_limit_buckets"
    __table_args__ = {"schema": "shared"}

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    window_start: Mapped[int] = mapped_column(BigInteger)
    hits: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column(index=True)


# A window opens at a key's first hit and lasts ``window`` seconds (not aligned to the clock,
# so a burst straddling a boundary cannot get twice the limit).
_HIT = text(
    """
    INSERT INTO shared.rate_limit_buckets (key, window_start, hits, expires_at)
    VALUES (:key, :now, 1, to_timestamp(:now + :window))
    ON CONFLICT (key) DO UPDATE SET
        hits = CASE WHEN rate_limit_buckets.window_start + :window > :now
                    THEN rate_limit_buckets.hits + 1 ELSE 1 END,
        window_start = CASE WHEN rate_limit_buckets.window_start + :window > :now
                            THEN rate_limit_buckets.window_start ELSE :now END,
        expires_at = CASE WHEN rate_limit_buckets.window_start + :window > :now
                          THEN rate_limit_buckets.expires_at ELSE to_timestamp(:now + :window) END
    RETURNING hits
    """
)
_READ = text(
    "SELECT hits, window_start FROM shared.rate_limit_buckets "
    "WHERE key = :key AND window_start + :window > :now"
)
_RESET = text("DELETE FROM shared.rate_limit_buckets WHERE key = :key")


def _now() -> int:
    return int(utcnow().timestamp())


async def retry_after_if_blocked(key: str, *, limit: int, window_seconds: int) -> int | None:
    """Seconds until ``key`` may try again, or None if it is under ``limit``."""
    now = _now()
    async with get_database().autonomous() as session:
        row = (
            await session.execute(_READ, {"key": key, "window": window_seconds, "now": now})
        ).first()
    if row is None or row.hits < limit:
        return None
    return max(1, row.window_start + window_seconds - now)


async def record_hit(key: str, *, window_seconds: int) -> int:
    async with get_database().autonomous() as session:
        result = await session.execute(_HIT, {"key": key, "window": window_seconds, "now": _now()})
        return int(result.scalar_one())


async def reset(key: str) -> None:
    async with get_database().autonomous() as session:
        await session.execute(_RESET, {"key": key})
