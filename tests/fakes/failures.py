"""Switchable failure modes shared by the provider fakes: 500, 429 + Retry-After, slow, hold.

After a 429 the fake is strict about its ``Retry-After``, like the real services: it notes
when every request arrived on the application's clock (``revenge.core.clock``, which tests
move), and a request inside the announced back-off is kept in ``early`` and refused again.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response


def app_now() -> datetime:
    """The application's "now": tests move it, so a fake's back-off must be measured with it."""
    from revenge.core import clock

    return clock.utcnow()


@dataclass
class Failures:
    mode: str | None = None  # "500" | "429" | "slow" | "hold" | provider-specific modes
    remaining: int | None = None  # fail this many requests, then recover (None = until reset)
    retry_after: int = 2  # the 429's Retry-After, and how long the fake then refuses
    delay: float = 0.0  # added latency for every request (benchmarks: 0.05)
    held: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    failed: int = 0
    arrivals: list[datetime] = field(default_factory=list)  # every request, application clock
    quiet_until: datetime | None = None  # the back-off this fake announced
    early: list[datetime] = field(default_factory=list)  # requests that ignored it

    def set(self, mode: str | None, remaining: int | None = None, **kwargs: object) -> None:
        """A new failure setting; it also ends any back-off (the test says the provider is fine)."""
        self.mode, self.remaining = mode, remaining
        for key, value in kwargs.items():
            setattr(self, key, value)
        self.quiet_until = None
        self.held.clear()
        self.release.clear()

    def arrived(self) -> float | None:
        """Note a request; inside the announced back-off, returns the seconds still to wait."""
        now = app_now()
        self.arrivals.append(now)
        if self.quiet_until is not None and now < self.quiet_until:
            self.early.append(now)
            return (self.quiet_until - now).total_seconds()
        return None

    def told_to_wait(self, seconds: float) -> None:
        self.quiet_until = app_now() + timedelta(seconds=seconds)

    def arrivals_after(self, when: datetime) -> list[datetime]:
        return [at for at in self.arrivals if at > when]

    def active(self) -> str | None:
        if self.mode is None:
            return None
        if self.remaining is not None:
            if self.remaining <= 0:
                self.mode = None
                return None
            self.remaining -= 1
        self.failed += 1
        return self.mode

    async def apply(self, request: Request) -> Response | None:
        """A failure response, or None to go on; "hold" parks the request until released and
        answers nothing if the client went away meanwhile (the server never committed)."""
        left = self.arrived()
        if left is not None:
            return self._too_many(math.ceil(left))
        return await self.respond(request)

    async def respond(self, request: Request) -> Response | None:
        """``apply`` for a request already noted with ``arrived``."""
        if self.delay:
            await asyncio.sleep(self.delay)
        mode = self.active()
        if mode == "500":
            return PlainTextResponse("Internal Server Error", status_code=500)
        if mode == "503":
            return PlainTextResponse("Service Unavailable", status_code=503)
        if mode == "429":
            self.told_to_wait(self.retry_after)
            return self._too_many(self.retry_after)
        if mode == "slow":
            await asyncio.sleep(30)
        if mode == "hold":
            self.held.set()
            while not self.release.is_set():
                if await request.is_disconnected():
                    return PlainTextResponse("client gone", status_code=499)
                await asyncio.sleep(0.02)
            if await request.is_disconnected():
                return PlainTextResponse("client gone", status_code=499)
        return None

    @staticmethod
    def _too_many(retry_after: int) -> Response:
        return JSONResponse(
            {"code": 429, "error": "Too many requests"},
            status_code=429,
            headers={"Retry-After": str(retry_after)},
        )
