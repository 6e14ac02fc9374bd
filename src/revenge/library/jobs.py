"""The scan job: one per library at a time (queueing lock), progress committed per chunk.
Imported only by the worker; the name, retry policy and scheduling are in ``tasks.py``."""

from __future__ import annotations

import uuid

import structlog

from revenge.core.config import get_settings
from revenge.core.jobs import implements
from revenge.library import tasks
from revenge.library.scan_plan import ScanAlreadyRun
from revenge.library.scanner import run_scan

log = structlog.get_logger(__name__)


@implements(tasks.SCAN)
async def scan_library(scan_id: str, library_id: str) -> None:
    try:
        await run_scan(uuid.UUID(scan_id), ffprobe=get_settings().ffprobe_path)
    except ScanAlreadyRun as exc:  # the CLI ran it first: nothing left to do
        log.info("library.scan_skipped", scan=scan_id, reason=str(exc))
