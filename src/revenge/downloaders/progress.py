"""Following handed-off requests' downloads: a periodic look at each downloader's queue.

For every request sent to a downloader, its downloads in the queue (a series' episodes of the
requested seasons, an album's tracks…) become one figure: progress (0..1, from size and size
left), bytes left, the latest estimated completion and a state users understand. What changed
since the last look is announced once per downloader (``downloaders.progress_reported``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core import clock, events
from revenge.core.config import Settings
from revenge.core.db import session_scope
from revenge.core.errors import NotFound
from revenge.core.http import ProviderError
from revenge.downloaders import repository as repo
from revenge.downloaders.clients.base import DownloaderClient, DownloadStatus, QueueRecord
from revenge.downloaders.clients.registry import client_for
from revenge.downloaders.handoff import order_of
from revenge.downloaders.models import DownloadHandoff
from revenge.downloaders.schemas import QueueCheck
from revenge.downloaders.settings import config_of

log = structlog.get_logger(__name__)
# The state shown when one request has several downloads (the least advanced wins).
_PRECEDENCE = [
    DownloadStatus.failed,
    DownloadStatus.warning,
    DownloadStatus.paused,
    DownloadStatus.queued,
    DownloadStatus.downloading,
    DownloadStatus.importing,
]


@dataclass(frozen=True)
class DownloadSummary:
    status: str | None
    progress: float | None
    size: int | None
    size_left: int | None
    eta: datetime | None


NOT_IN_QUEUE = DownloadSummary(None, None, None, None, None)


def summarise(records: Sequence[QueueRecord]) -> DownloadSummary:
    """A request's downloads as one: sizes added up, the latest completion, the least
    advanced state."""
    if not records:
        return NOT_IN_QUEUE
    size = sum(r.size for r in records)
    left = min(size, sum(r.size_left for r in records))
    progress = round((size - left) / size, 4) if size > 0 else 0.0
    etas = [r.estimated_completion_at for r in records if r.estimated_completion_at is not None]
    states = {r.status for r in records}
    status = next(s.value for s in _PRECEDENCE if s.value in states)
    return DownloadSummary(status, progress, size, left, max(etas) if etas else None)


def _current(row: DownloadHandoff) -> DownloadSummary:
    return DownloadSummary(
        row.download_status,
        row.download_progress,
        row.download_size,
        row.download_size_left,
        row.download_eta,
    )


def _changed(before: DownloadSummary, after: DownloadSummary) -> bool:
    if before.status != after.status or before.size != after.size:
        return True
    if (before.progress is None) != (after.progress is None):
        return True
    if (
        before.progress is not None
        and after.progress is not None
        and abs(before.progress - after.progress) >= 0.001
    ):
        return True
    if (before.eta is None) != (after.eta is None):
        return True
    return bool(before.eta and after.eta and abs((before.eta - after.eta).total_seconds()) >= 60)


async def poll_queues(settings: Settings) -> int:
    """Look at the queue of every downloader that has downloads to follow (each in its own
    transaction); returns how many requests' downloads changed."""
    async with session_scope() as session:
        downloader_ids = [row.id for row in await repo.with_sent_handoffs(session)]
    changed = 0
    for downloader_id in downloader_ids:
        async with session_scope() as session:
            changed += (await check_downloader(session, downloader_id, settings)).changed
    return changed


async def check_downloader(
    session: AsyncSession, downloader_id: uuid.UUID, settings: Settings
) -> QueueCheck:
    """Read one downloader's queue now and update the downloads of the requests handed to it
    (announcing what changed); a failure is noted on the downloader, not raised."""
    row = await repo.get_downloader(session, downloader_id, lock=True)
    if row is None:
        raise NotFound("downloaders.not_found")
    now = clock.utcnow()
    try:
        client = client_for(row.kind, config_of(row, settings), settings.downloaders)
        try:
            records = await client.queue()
        finally:
            await client.aclose()
    except ProviderError as exc:
        row.last_error = exc.reason
        row.last_error_at = now
        log.info("downloader.queue_failed", downloader_id=str(row.id), reason=exc.reason)
        return QueueCheck(checked_at=now, downloads=0, changed=0, error=exc.reason)
    row.last_checked_at = now
    row.last_error = None
    entries = _apply(await repo.sent_handoffs(session, row.id), records, client, now)
    if entries:
        await events.emit(session, events.DownloadProgressReported(entries=tuple(entries)))
    return QueueCheck(checked_at=now, downloads=len(records), changed=len(entries), error=None)


def _apply(
    handoffs: Sequence[DownloadHandoff],
    records: Sequence[QueueRecord],
    client: DownloaderClient,
    now: datetime,
) -> list[events.DownloadProgress]:
    entries = []
    for row in handoffs:
        if row.item_id is None:
            continue
        order = order_of(row)
        item_id = row.item_id
        summary = summarise([r for r in records if client.owns(r, item_id, order)])
        before = _current(row)
        row.download_checked_at = now
        if not _changed(before, summary):
            continue
        row.download_status = summary.status
        row.download_progress = summary.progress
        row.download_size = summary.size
        row.download_size_left = summary.size_left
        row.download_eta = summary.eta
        entries.append(
            events.DownloadProgress(
                request_id=row.request_id,
                status=summary.status,
                progress=summary.progress,
                size_bytes=summary.size,
                size_left_bytes=summary.size_left,
                estimated_completion_at=summary.eta,
                checked_at=now,
            )
        )
    return entries
