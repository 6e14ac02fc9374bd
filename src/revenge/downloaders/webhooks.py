"""A downloader's webhook (Settings → Connect → Webhook in Radarr, Sonarr, Lidarr): an import,
rename or delete there becomes a targeted scan here, of the folder or files it names as this
server sees them (the downloader's path map). The library does the rest: new items, renames,
missing files, and ``library.item_added`` → the request is available → its requesters hear.
"""

from __future__ import annotations

import hmac
import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core import clock
from revenge.core.config import Settings
from revenge.core.errors import BadRequest, Unauthorized
from revenge.core.security import token_digest
from revenge.downloaders import repository as repo
from revenge.downloaders.clients.registry import read_webhook
from revenge.downloaders.schemas import WebhookAck
from revenge.library import service as library

log = structlog.get_logger(__name__)


def _is_windows(path: str) -> bool:
    return "\\" in path or (len(path) > 1 and path[1] == ":")


def _slashed(path: str) -> str:
    return path.replace("\\", "/") if _is_windows(path) else path


def _under(path: str, prefix: str, *, ignore_case: bool) -> bool:
    if ignore_case:
        path, prefix = path.lower(), prefix.lower()
    return prefix == "" or path == prefix or path.startswith(prefix + "/")


def rewrite(path: str, path_map: Sequence[Mapping[str, str]]) -> str:
    """``path`` as this server sees it: the longest ``from`` prefix that matches whole folder
    names is replaced by its ``to`` (a Windows downloader's backslashes become slashes, and
    its drive letters match in any case)."""
    windows = _is_windows(path)
    given = _slashed(path)
    best: tuple[str, str] | None = None
    for entry in path_map:
        prefix = _slashed(entry.get("from") or "").rstrip("/")
        if _under(given, prefix, ignore_case=windows) and (
            best is None or len(prefix) > len(best[0])
        ):
            best = (prefix, entry.get("to") or "")
    if best is None:
        return given
    prefix, target = best
    rest = given[len(prefix) :].lstrip("/")
    base = target.rstrip("/")
    return f"{base}/{rest}" if rest else (base or "/")


def _parse(body: bytes) -> Mapping[str, Any]:
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest("downloaders.webhook_not_json") from exc
    if not isinstance(payload, Mapping):
        raise BadRequest("downloaders.webhook_not_json")
    return payload


async def receive(
    session: AsyncSession, downloader_id: uuid.UUID, token: str, body: bytes, settings: Settings
) -> WebhookAck:
    """Check the URL's token, read the event, queue targeted scans of what it touched."""
    row = await repo.get_downloader(session, downloader_id)
    # Same answer for an unknown downloader and a wrong token (no hint which it was).
    if row is None or not hmac.compare_digest(row.webhook_token_hash, token_digest(token)):
        raise Unauthorized("downloaders.webhook_unauthorized")
    payload = _parse(body)
    notice = read_webhook(row.kind, payload)
    row.last_webhook_at = clock.utcnow()
    row.last_webhook_event = notice.event[:40] or None
    scans = 0
    if notice.action == "scan":
        paths = list(dict.fromkeys(rewrite(path, row.path_map or []) for path in notice.paths))
        scans = len({scan.id for scan in await library.request_targeted_scan(session, paths)})
        log.info(
            "downloader.webhook_scan",
            downloader_id=str(row.id),
            webhook_event=notice.event,
            paths=len(paths),
            scans=scans,
        )
    return WebhookAck(event=notice.event, action=notice.action, scans=scans)
