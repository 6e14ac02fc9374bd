"""RequestAvailabilityCheckJob: on every library item added, and as a periodic sweep; and
what the downloaders report about requests handed to them."""

from __future__ import annotations

import uuid
from typing import Any

from revenge.content_requests import availability, downloads
from revenge.core import events
from revenge.core.config import get_settings
from revenge.core.db import session_scope
from revenge.core.jobs import DEFAULT_RETRY, job_app


@job_app.periodic(cron="*/30 * * * *", periodic_id="content_requests.sweep")
@events.subscribe(events.LibraryItemAdded)
@job_app.task(name="content_requests.check_availability", retry=DEFAULT_RETRY)
async def check_availability(
    timestamp: int | None = None,
    media_type: str | None = None,
    media_id: str | None = None,
    library_id: str | None = None,
) -> int:
    """With an item (the ``library.item_added`` payload): the requests it may satisfy.
    Without one (the periodic run): every open and available request."""
    async with session_scope() as session:
        if media_type and media_id:
            return await availability.item_added(
                session, media_type, uuid.UUID(media_id), get_settings()
            )
        return await availability.sweep(session, get_settings())


@events.subscribe(events.LibraryItemRemoved)
@job_app.task(name="content_requests.check_removed", retry=DEFAULT_RETRY)
async def check_removed(media_type: str, media_id: str, library_id: str | None = None) -> int:
    async with session_scope() as session:
        return await availability.item_removed(
            session, media_type, uuid.UUID(media_id), get_settings()
        )


@events.subscribe(events.DownloadHandoffChanged)
@job_app.task(name="content_requests.on_handoff_changed", retry=DEFAULT_RETRY)
async def on_handoff_changed(**facts: Any) -> bool:
    """The downloader took the request (it is processing now), or could not (why, shown)."""
    change = events.DownloadHandoffChanged.from_payload(facts)
    async with session_scope() as session:
        return await downloads.handoff_changed(session, change)


@events.subscribe(events.DownloadProgressReported)
@job_app.task(name="content_requests.on_download_progress", retry=DEFAULT_RETRY)
async def on_download_progress(**facts: Any) -> int:
    """Processing requests' downloads as their downloaders' queues show them."""
    report = events.DownloadProgressReported.from_payload(facts)
    async with session_scope() as session:
        return await downloads.progress_reported(session, report.entries)
