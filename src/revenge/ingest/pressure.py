"""Webhook receipts come before the drain.

The drain job runs in the serving process (``revenge serve`` starts the job workers beside the
API). Left alone it takes every spare moment of the event loop while a backlog lasts, and a
sender's webhook then waits behind it: Jellyfin, Emby and Plex do not retry, and a slow answer
is where they give up. So the receiver counts the receipts it is handling, and the drain pauses
briefly before each play event it applies while any are: a burst is acknowledged at once and
applied just after (``bench/ingest.py``: ack latency at 1,000 events/s with the drain running).
A worker in another process (``revenge worker``) never sees a receipt and never pauses.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

# How long the drain steps aside while receipts are being handled: a few receipts' worth of
# the event loop's time.
PAUSE_SECONDS = 0.002
_receiving = 0


@contextmanager
def receiving() -> Iterator[None]:
    """Around one receipt, from its body read to its commit."""
    global _receiving
    _receiving += 1
    try:
        yield
    finally:
        _receiving -= 1


async def give_way() -> None:
    """Let receipts in progress go first (returns at once when there are none)."""
    if _receiving:
        await asyncio.sleep(PAUSE_SECONDS)
