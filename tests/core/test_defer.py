from __future__ import annotations

from sqlalchemy import text

from revenge.core.jobs import defer
from revenge.playback.jobs import close_stale_sessions


async def test_a_queueing_lock_conflict_leaves_the_transaction_usable(session):
    first = await defer(session, close_stale_sessions, queueing_lock="tests.lock", timestamp=1)
    second = await defer(session, close_stale_sessions, queueing_lock="tests.lock", timestamp=2)
    assert first is not None and second is None
    rows = await session.execute(
        text("SELECT count(*) FROM procrastinate_jobs WHERE queueing_lock = 'tests.lock'")
    )
    assert rows.scalar_one() == 1
