"""Technical file metadata from ffprobe (run as an async subprocess, never blocking the loop)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import mimetypes
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog

log = structlog.get_logger(__name__)

PROBE_TIMEOUT_SECONDS = 60.0

# Extension → (container, mime): ffprobe's format names are families ("mov,mp4,m4a,…"),
# players want the file's own type.
_CONTAINERS = {
    ".mkv": ("mkv", "video/x-matroska"),
    ".webm": ("webm", "video/webm"),
    ".mp4": ("mp4", "video/mp4"),
    ".m4v": ("mp4", "video/x-m4v"),
    ".mov": ("mov", "video/quicktime"),
    ".avi": ("avi", "video/x-msvideo"),
    ".ts": ("mpegts", "video/mp2t"),
    ".m2ts": ("mpegts", "video/mp2t"),
    ".wmv": ("asf", "video/x-ms-wmv"),
    ".mpg": ("mpeg", "video/mpeg"),
    ".mpeg": ("mpeg", "video/mpeg"),
    ".flac": ("flac", "audio/flac"),
    ".mp3": ("mp3", "audio/mpeg"),
    ".m4a": ("mp4", "audio/mp4"),
    ".aac": ("aac", "audio/aac"),
    ".ogg": ("ogg", "audio/ogg"),
    ".oga": ("ogg", "audio/ogg"),
    ".opus": ("ogg", "audio/opus"),
    ".wav": ("wav", "audio/wav"),
    ".wma": ("asf", "audio/x-ms-wma"),
    ".aiff": ("aiff", "audio/aiff"),
    ".ape": ("ape", "audio/x-ape"),
}


@dataclass(frozen=True)
class ProbeResult:
    container: str | None = None
    mime_type: str | None = None
    duration_ms: int | None = None
    bitrate: int | None = None
    width: int | None = None
    height: int | None = None
    audio_codec: str | None = None
    video_codec: str | None = None


def container_and_mime(path: Path) -> tuple[str | None, str | None]:
    ext = path.suffix.lower()
    if ext in _CONTAINERS:
        return _CONTAINERS[ext]
    return (ext.lstrip(".") or None), mimetypes.guess_type(path.name)[0]


def _int(value: Any) -> int | None:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None


def parse_ffprobe(path: Path, data: dict[str, Any]) -> ProbeResult:
    container, mime = container_and_mime(path)
    fmt = data.get("format") or {}
    streams = data.get("streams") or []
    # Cover art in audio files is an attached-picture "video" stream: not the picture we mean.
    video = next(
        (
            s
            for s in streams
            if s.get("codec_type") == "video"
            and not (s.get("disposition") or {}).get("attached_pic")
        ),
        None,
    )
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    seconds = fmt.get("duration")
    if seconds is None:
        seconds = max((float(s.get("duration", 0) or 0) for s in streams), default=None) or None
    if container is None and fmt.get("format_name"):
        container = str(fmt["format_name"]).split(",")[0]
    return ProbeResult(
        container=container,
        mime_type=mime,
        duration_ms=round(float(seconds) * 1000) if seconds is not None else None,
        bitrate=_int(fmt.get("bit_rate")),
        width=_int(video.get("width")) if video else None,
        height=_int(video.get("height")) if video else None,
        audio_codec=(audio or {}).get("codec_name"),
        video_codec=(video or {}).get("codec_name"),
    )


async def probe_file(path: Path, ffprobe: str = "ffprobe") -> ProbeResult:
    """ffprobe's view of ``path``; a file ffprobe cannot read gives only what its name says."""
    try:
        process = await asyncio.create_subprocess_exec(
            ffprobe,
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_format",
            "-show_streams",
            str(path),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
    except OSError as exc:  # ffprobe not installed: the scan still records the file
        log.warning("probe.unavailable", ffprobe=ffprobe, error=str(exc))
        return ProbeResult(*container_and_mime(path))
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), PROBE_TIMEOUT_SECONDS)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        log.warning("probe.timeout", path=str(path))
        return ProbeResult(*container_and_mime(path))
    if process.returncode != 0:
        log.warning("probe.failed", path=str(path), error=stderr.decode(errors="replace")[:300])
        return ProbeResult(*container_and_mime(path))
    try:
        data = json.loads(stdout or b"{}")
    except ValueError:
        return ProbeResult(*container_and_mime(path))
    return parse_ffprobe(path, data)
