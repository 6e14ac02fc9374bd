"""Two generations of one subject at the same time (the job a scan queued and an admin's
"fingerprint now") do not collide: the second replaces the first's fingerprints."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from revenge.core.config import get_settings
from revenge.fingerprints import service
from revenge.fingerprints.models import MediaFingerprint
from tests.fingerprints import media
from tests.fingerprints.conftest import add_image


async def test_simultaneous_generations_of_one_image(committed_db, tmp_path):
    path = tmp_path / "cover.png"
    media.picture(3).save(path)
    image = await add_image(path)
    settings = get_settings()
    started = asyncio.Event()
    waiting = 0

    async def generate() -> str:
        nonlocal waiting
        async with committed_db.transaction() as session:
            waiting += 1
            if waiting == 2:
                started.set()
            await started.wait()  # both inside their transaction before either stores
            outcome = await service.generate_subject(
                session, settings, "image", image.id, force=True
            )
            return outcome.status

    statuses = await asyncio.wait_for(asyncio.gather(generate(), generate()), 60)
    assert statuses == ["generated", "generated"]
    async with committed_db.transaction() as session:
        count = await session.scalar(
            select(func.count()).where(MediaFingerprint.subject_id == image.id)
        )
    assert count == 1
