"""The full rebuild on helper connections (committed data: the helpers cannot see a test's
open transaction) gives exactly what the incremental path built, under the same index names,
and a failed run leaves the statistics as they were."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from revenge.analytics import parallel_rebuild, service
from revenge.core.db import session_scope
from tests.analytics.conftest import generate_history, make_catalogue, rankings, snapshot

TIMEZONES = ["UTC", "Europe/Berlin", "America/Los_Angeles", "Pacific/Kiritimati"]


async def _indexes() -> list[tuple[str, str]]:
    async with session_scope() as s:
        rows = await s.execute(
            text(
                "SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = 'shared' "
                "AND tablename LIKE ANY (ARRAY['analytics_%', 'play_statistics', "
                "'user_statistics']) ORDER BY 1, 2"
            )
        )
        return [tuple(r) for r in rows]


async def _shadows() -> list[str]:
    async with session_scope() as s:
        rows = await s.execute(
            text("SELECT tablename FROM pg_tables WHERE tablename LIKE '%\\_\\_rebuild'")
        )
        return list(rows.scalars())


@pytest.fixture
async def incremental(committed_db, make_user):
    cat = await make_catalogue()
    users = [(await make_user(timezone=tz))[0] for tz in TIMEZONES]
    await generate_history(users, cat, plays=120)
    async with session_scope() as s:  # the incremental path, play by play
        assert await service.aggregate(s, timedelta(days=400)) > 0
    return committed_db


async def test_parallel_rebuild_equals_incremental(incremental):
    before = await snapshot()
    assert before["analytics_play_facts"] and before["analytics_user_tops"]
    ranked, indexes = await rankings(), await _indexes()
    steps: list[str] = []
    async with session_scope() as s:
        await service.rebuild(s, None, steps.append, helpers=incremental, memory="64MB")
    assert await snapshot() == before
    assert await rankings() == ranked
    assert await _indexes() == indexes  # every primary key and index, under its own name
    assert await _shadows() == []
    names = ["facts", "who played what", "daily per item", "daily per client and hour"]
    assert sorted(step.split(" (")[0] for step in steps) == sorted([*names, "per user", "swap"])


async def test_a_failed_helper_leaves_the_statistics_as_they_were(incremental, monkeypatch):
    before = await snapshot()
    monkeypatch.setattr(parallel_rebuild, "USER_TOPS_SQL", ["SELECT 1 / 0"])
    with pytest.raises(Exception, match="division by zero"):
        async with session_scope() as s:
            await service.rebuild(s, None, helpers=incremental)
    assert await snapshot() == before
    monkeypatch.undo()
    # The next run clears what the failed one left behind.
    async with session_scope() as s:
        await service.rebuild(s, None, helpers=incremental)
    assert await snapshot() == before
    assert await _shadows() == []


async def test_rebuild_memory_must_be_a_postgresql_size(db):
    from pydantic import ValidationError

    from revenge.analytics.rebuild import set_rebuild_memory
    from revenge.core.config import AnalyticsSettings

    assert AnalyticsSettings(rebuild_memory="256MB").rebuild_memory == "256MB"
    for bad in ("lots", "1 GB", "0MB", "1GB'; DROP TABLE x; --"):
        with pytest.raises(ValidationError):
            AnalyticsSettings(rebuild_memory=bad)
    async with db.transaction() as s:
        with pytest.raises(ValueError, match="not a memory size"):
            await set_rebuild_memory(s, "1GB'; --")
        await set_rebuild_memory(s, "96MB")
        assert (await s.execute(text("SHOW work_mem"))).scalar_one() == "96MB"
