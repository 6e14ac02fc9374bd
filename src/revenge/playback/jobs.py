from __future__ import annotations

from revenge.core.config import get_settings
from revenge.core.db import session_scope
from revenge.core.jobs import DEFAULT_RETRY, job_app
from revenge.playback import service

STALE_AFTER = service.IDLE_LIMIT


@job_app.periodic(cron="*/15 * * * *")
@job_app.task(
    name="playback.close_stale_sessions",
    queueing_lock="playback.close_stale_sessions",
    retry=DEFAULT_RETRY,
)
async def close_stale_sessions(timestamp: int) -> int:
    async with session_scope() as session:
        return await service.close_stale_sessions(session, get_settings(), STALE_AFTER)
