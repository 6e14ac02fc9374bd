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


_HIT = text(
    """
    INSERT INTO shared.rate_limit_buckets (key, window_start, hits, expires_at)
    VALUES (:key, :window_start, 1, to_timestamp(:window_end))
    ON CONFLICT (key) DO UPDATE SET
        hits = CASE WHEN rate_limit_buckets.window_start = EXCLUDED.window_start
                    THEN rate_limit_buckets.hits + 1 ELSE 1 END,
        window_start = EXCLUDED.window_start,
        expires_at = EXCLUDED.expires_at
    RETURNING hits
    """
)
_READ = text(
    "SELECT hits FROM shared.rate_limit_buckets WHERE key = :key AND window_start = :window_start"
)
_RESET = text("DELETE FROM shared.rate_limit_buckets WHERE key = :key")


def _window(window_seconds: int) -> tuple[int, int]:
    now = int(utcnow().timestamp())
    start = now - now % window_seconds
    return start, start + window_seconds - now


async def retry_after_if_blocked(key: str, *, limit: int, window_seconds: int) -> int | None:
    """Seconds until ``key`` may try again, or None if it is under ``limit``."""
    start, remaining = _window(window_seconds)
    async with get_database().autonomous() as session:
        hits = (await session.execute(_READ, {"key": key, "window_start": start})).scalar()
    return remaining if hits is not None and hits >= limit else None


async def record_hit(key: str, *, window_seconds: int) -> int:
    start, _ = _window(window_seconds)
    async with get_database().autonomous() as session:
        result = await session.execute(
            _HIT, {"key": key, "window_start": start, "window_end": start + window_seconds}
        )
        return int(result.scalar_one())


async def reset(key: str) -> None:
    async with get_database().autonomous() as session:
        await session.execute(_RESET, {"key": key})
