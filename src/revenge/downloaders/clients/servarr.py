"""What Radarr, Sonarr and Lidarr share: the API key header, their error shapes, the settings
test, the paged queue and the webhook's common parts (PROVIDER_PROTOCOLS.md §10).

Errors: 401 = the key; 400 = a list of ``{propertyName, errorMessage, attemptedValue}``;
429/5xx/timeouts = try again (honouring ``Retry-After``).
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import httpx2 as httpx

from revenge.core.http import new_client, parse_retry_after
from revenge.downloaders.clients.base import (
    Choice,
    Choices,
    DownloaderConfig,
    DownloaderKind,
    DownloaderRejected,
    DownloaderUnavailable,
    DownloadStatus,
    FailureCode,
    QueueRecord,
    RootFolderChoice,
    WebhookNotice,
)

QUEUE_PAGE_SIZE = 100
_MAX_REASON = 500


def _validation_messages(body: Any) -> list[str]:
    """The ``errorMessage`` of each entry of a 400's validation list (or its ``message``)."""
    if isinstance(body, list):
        return [
            str(entry.get("errorMessage"))
            for entry in body
            if isinstance(entry, Mapping) and entry.get("errorMessage")
        ]
    if isinstance(body, Mapping) and body.get("message"):
        return [str(body["message"])]
    return []


def _number(value: Any) -> int:
    try:
        return max(0, int(float(value)))
    except (TypeError, ValueError):
        return 0


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def download_status(record: Mapping[str, Any]) -> DownloadStatus:
    """Queue ``status`` + ``trackedDownloadState``/``Status`` as one state users understand."""
    state = str(record.get("trackedDownloadState") or "")
    status = str(record.get("status") or "")
    tracked = str(record.get("trackedDownloadStatus") or "")
    if state in ("failed", "failedPending") or status == "failed":
        return DownloadStatus.failed
    if state == "importBlocked" or status == "warning" or tracked in ("warning", "error"):
        return DownloadStatus.warning
    if state in ("importPending", "importing", "imported") or status == "completed":
        return DownloadStatus.importing
    if status == "paused":
        return DownloadStatus.paused
    if status == "downloading":
        return DownloadStatus.downloading
    return DownloadStatus.queued


def queue_record(record: Mapping[str, Any]) -> QueueRecord:
    def optional_id(key: str) -> int | None:
        value = record.get(key)
        return int(value) if isinstance(value, int) and value > 0 else None

    season = record.get("seasonNumber")
    return QueueRecord(
        title=record.get("title"),
        size=_number(record.get("size")),
        size_left=_number(record.get("sizeleft")),
        estimated_completion_at=_moment(record.get("estimatedCompletionTime")),
        status=download_status(record).value,
        movie_id=optional_id("movieId"),
        series_id=optional_id("seriesId"),
        season_number=season if isinstance(season, int) else None,
        album_id=optional_id("albumId"),
        artist_id=optional_id("artistId"),
    )


def nested(payload: Mapping[str, Any], *keys: str) -> Any:
    value: Any = payload
    for key in keys:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def triage(
    payload: Mapping[str, Any], scan_events: frozenset[str], root_keys: tuple[str, str]
) -> tuple[str, WebhookNotice | None, str | None]:
    """What every *arr webhook starts with: its event, the notice when it needs no scan
    (``Test`` is answered OK, events that do not touch files are ignored), and the folder of
    the item it names (``root_keys``, e.g. ("series", "path")), when it names one."""
    event = str(payload.get("eventType") or "")
    if event == "Test":
        return event, WebhookNotice(event, "test"), None
    if event not in scan_events:
        return event, WebhookNotice(event, "ignore"), None
    root = nested(payload, *root_keys)
    return event, None, root if isinstance(root, str) and root else None


def file_paths(payload: Mapping[str, Any], single: str, many: Sequence[str]) -> list[str]:
    """The ``path`` of the file object ``single`` and of each file in the lists ``many``."""
    paths: list[str] = []
    one = payload.get(single)
    candidates = [one] if isinstance(one, Mapping) else []
    for key in many:
        listed = payload.get(key)
        if isinstance(listed, list):
            candidates.extend(item for item in listed if isinstance(item, Mapping))
    for item in candidates:
        path = item.get("path")
        if isinstance(path, str) and path:
            paths.append(path)
    return paths


def _slashed(path: str) -> str:
    return path.replace("\\", "/")


def gather(files: Sequence[str], root: str | None) -> list[str]:
    """The folder to scan for files a webhook named: one file as it is, several as their
    common folder (an album's or a season's), never above the item's ``root`` folder; nothing
    named = the root itself."""
    unique = list(dict.fromkeys(files))
    if not unique:
        return [root] if root else []
    if len(unique) == 1:
        return unique
    common = posixpath.commonpath([_slashed(path) for path in unique])
    if root and not (
        common == _slashed(root).rstrip("/") or common.startswith(_slashed(root).rstrip("/") + "/")
    ):
        return [root]
    if "\\" in unique[0]:
        common = common.replace("/", "\\")
    return [common] if common not in ("", "/") else ([root] if root else unique)


class ServarrClient:
    """The shared half of the three clients; subclasses add the hand-off and the webhook."""

    kind: DownloaderKind
    label: str
    api_path: str = "/api/v3"

    def __init__(
        self, config: DownloaderConfig, *, timeout_seconds: float = 15.0, max_queue_pages: int = 10
    ) -> None:
        self.config = config
        self.max_queue_pages = max_queue_pages
        self.http = new_client(
            config.base_url.rstrip("/") + self.api_path,
            timeout=httpx.Timeout(timeout_seconds, connect=min(5.0, timeout_seconds)),
        )
        self.http.headers.update({"X-Api-Key": config.api_key, "Accept": "application/json"})

    async def aclose(self) -> None:
        await self.http.aclose()

    # --- the wire ------------------------------------------------------------------------------

    async def call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
    ) -> Any:
        """One API call; the JSON answer, or a typed error."""
        try:
            response = await self.http.request(method, path, params=params, json=json)
        except httpx.TimeoutException as exc:
            raise DownloaderUnavailable(
                FailureCode.unreachable, f"{self.label} did not answer in time"
            ) from exc
        except httpx.TransportError as exc:
            raise DownloaderUnavailable(
                FailureCode.unreachable, f"{self.label} is not reachable ({type(exc).__name__})"
            ) from exc
        self._raise_for(response)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise DownloaderRejected(
                FailureCode.bad_answer,
                f"{self.label} did not answer with JSON (is the URL base right?)",
                status_code=response.status_code,
            ) from exc

    def _raise_for(self, response: httpx.Response) -> None:
        code = response.status_code
        if code < 400:
            return
        if code in (401, 403):
            raise DownloaderRejected(
                FailureCode.unauthorized, f"{self.label} refused the API key", status_code=code
            )
        if code in (408, 429) or code >= 500:
            raise DownloaderUnavailable(
                FailureCode.server_error,
                f"{self.label} answered HTTP {code}",
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
                status_code=code,
            )
        if code in (404, 405):
            raise DownloaderRejected(
                FailureCode.bad_answer,
                f"{self.label} answered HTTP {code} (is the URL base right?)",
                status_code=code,
            )
        try:
            messages = _validation_messages(response.json())
        except ValueError:
            messages = []
        reason = "; ".join(messages) or f"HTTP {code}"
        raise DownloaderRejected(
            FailureCode.rejected, f"{self.label}: {reason}"[:_MAX_REASON], status_code=code
        )

    # --- shared use ----------------------------------------------------------------------------

    async def test(self) -> Choices:
        status = await self.call("GET", "/system/status")
        if not isinstance(status, Mapping):
            raise DownloaderRejected(
                FailureCode.bad_answer, f"{self.label} did not answer as {self.label} does"
            )
        app_name = str(status.get("appName") or self.label)
        if app_name.lower() != self.label.lower():
            raise DownloaderRejected(
                FailureCode.wrong_kind, f"This address is {app_name}, not {self.label}"
            )
        profiles = await self.call("GET", "/qualityprofile")
        folders = await self.call("GET", "/rootfolder")
        tags = await self.call("GET", "/tag")
        return Choices(
            app_name=app_name,
            version=status.get("version"),
            quality_profiles=self.choices(profiles, "name"),
            root_folders=[
                RootFolderChoice(
                    path=str(folder["path"]),
                    free_space=folder.get("freeSpace"),
                    accessible=folder.get("accessible"),
                )
                for folder in folders or []
                if isinstance(folder, Mapping) and folder.get("path")
            ],
            metadata_profiles=await self.metadata_profiles(),
            tags=self.choices(tags, "label"),
        )

    async def metadata_profiles(self) -> list[Choice]:
        return []

    @staticmethod
    def choices(rows: Any, label: str) -> list[Choice]:
        return [
            Choice(id=int(row["id"]), name=str(row.get(label) or row["id"]))
            for row in rows or []
            if isinstance(row, Mapping) and isinstance(row.get("id"), int)
        ]

    async def queue(self) -> list[QueueRecord]:
        records: list[QueueRecord] = []
        page = 1
        while True:
            body = await self.call(
                "GET",
                "/queue",
                params={"page": page, "pageSize": QUEUE_PAGE_SIZE, **self.queue_params},
            )
            rows = body.get("records") if isinstance(body, Mapping) else None
            if not isinstance(rows, list):
                return records
            records.extend(queue_record(row) for row in rows if isinstance(row, Mapping))
            total = body.get("totalRecords")
            if not rows or not isinstance(total, int) or page * QUEUE_PAGE_SIZE >= total:
                return records
            page += 1
            if page > self.max_queue_pages:
                return records

    queue_params: Mapping[str, Any] = {}

    def require(self, *names: str) -> None:
        """Adding needs the chosen profiles and root folder."""
        missing = [name for name in names if getattr(self.config, name) in (None, "")]
        if missing:
            raise DownloaderRejected(
                FailureCode.not_configured,
                f"{self.label}: choose {', '.join(missing)} in the downloader settings",
            )

    async def command(self, name: str, **body: Any) -> None:
        await self.call("POST", "/command", json={"name": name, **body})

    @staticmethod
    def first(found: Any, match: Any = None) -> Mapping[str, Any] | None:
        """The lookup hit ``match`` accepts (or the first one)."""
        hits = [hit for hit in found or [] if isinstance(hit, Mapping)]
        if match is not None:
            for hit in hits:
                if match(hit):
                    return hit
        return hits[0] if hits else None
