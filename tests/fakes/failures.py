"""Switchable failure modes shared by the provider fakes: 500, 429 + Retry-After, slow, hold."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response


@dataclass
class Failures:
    mode: str | None = None  # "500" | "429" | "slow" | "hold" | provider-specific modes
    remaining: int | None = None  # fail this many requests, then recover (None = until reset)
    retry_after: int = 2
    delay: float = 0.0  # added latency for every request (benchmarks: 0.05)
    held: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    failed: int = 0

    def set(self, mode: str | None, remaining: int | None = None, **kwargs: object) -> None:
        self.mode, self.remaining = mode, remaining
        for key, value in kwargs.items():
            setattr(self, key, value)
        self.held.clear()
        self.release.clear()

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
        if self.delay:
            await asyncio.sleep(self.delay)
        mode = self.active()
        if mode == "500":
            return PlainTextResponse("Internal Server Error", status_code=500)
        if mode == "503":
            return PlainTextResponse("Service Unavailable", status_code=503)
        if mode == "429":
            return JSONResponse(
                {"code": 429, "error": "Too many requests"},
                status_code=429,
                headers={"Retry-After": str(self.retry_after)},
            )
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
