"""Call tokens for outside services (``core.ratelimit.call_slot``), in PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from revenge.core import ratelimit


def _key() -> str:
    return f"test-{uuid.uuid4().hex}"


async def test_at_most_limit_calls_hold_a_token_and_it_frees_after_the_answer(db):
    key = _key()
    opts = {"limit": 2, "per_seconds": 1.0, "lease_seconds": 60.0}
    async with (
        ratelimit.call_slot(key, max_wait_seconds=0, **opts),
        ratelimit.call_slot(key, max_wait_seconds=0, **opts),
    ):
        # Both tokens are out until their calls end: the lease is all a third can see.
        with pytest.raises(ratelimit.SlotUnavailable) as held:
            async with ratelimit.call_slot(key, max_wait_seconds=0, **opts):
                pass
        assert held.value.wait > 50
    # Answered: each token frees one second after its call ended, not before.
    with pytest.raises(ratelimit.SlotUnavailable) as cooling:
        async with ratelimit.call_slot(key, max_wait_seconds=0, **opts):
            pass
    assert 0 < cooling.value.wait <= 1.0
    async with ratelimit.call_slot(key, max_wait_seconds=2.0, **opts):
        pass  # waited for it instead


async def test_a_token_whose_holder_died_frees_after_its_lease(db):
    key = _key()
    opts = {"limit": 1, "per_seconds": 1.0, "max_wait_seconds": 0}
    with pytest.raises(RuntimeError):
        async with ratelimit.call_slot(key, lease_seconds=0.3, **opts):
            # The release on the way out runs; a dead worker's would not. Take the token again
            # behind its back to play the dead holder.
            raise RuntimeError("worker died")
    assert await ratelimit.next_call_in(key, limit=1) > 0.5
    await asyncio.sleep(await ratelimit.next_call_in(key, limit=1) + 0.05)
    taken = await ratelimit._take_slot(key, 1, 0.3)  # a holder that never gives it back
    assert taken == 0
    with pytest.raises(ratelimit.SlotUnavailable):
        async with ratelimit.call_slot(key, lease_seconds=0.3, **opts):
            pass
    async with ratelimit.call_slot(
        key, lease_seconds=0.3, per_seconds=1.0, limit=1, max_wait_seconds=2
    ):
        pass


async def test_holding_off_applies_to_every_token(db):
    key = _key()
    opts = {"limit": 3, "per_seconds": 1.0, "lease_seconds": 10.0, "max_wait_seconds": 0}
    async with ratelimit.call_slot(key, **opts):
        pass
    await ratelimit.hold_slots(key, 30)
    with pytest.raises(ratelimit.SlotUnavailable) as held:
        async with ratelimit.call_slot(key, **opts):
            pass
    assert held.value.wait > 25
