"""Artwork resized once and kept on disk: a source picture in one width, as WebP.

A cached file is named after the source file's path, size and mtime and the width, so a
replaced poster gets a new name (and ETag) by itself and nothing ever has to be invalidated;
stale files are just never asked for again. Rendering is CPU work on pictures from the library
folders, so it runs in a worker thread, at most ``RENDER_SLOTS`` at a time, and refuses
pictures whose pixel count would make decoding them a memory bomb.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import anyio
import anyio.to_thread
import structlog
from PIL import Image, ImageOps

log = structlog.get_logger(__name__)

# Change when the output changes (quality, format, resampling): old files get new names.
RENDER_VERSION = "v1"
WEBP_QUALITY = 80
# Posters are a few megapixels; a 50 MP limit leaves room for a huge scan and still refuses
# a small file that claims to be 100,000 px square (decoded, it would take gigabytes). Checked
# against the header before decoding, so Pillow's process-wide MAX_IMAGE_PIXELS (which the
# scanner's header reads also see) stays untouched.
MAX_PIXELS = 50_000_000
# Resizing holds a decoded picture in memory and a CPU core busy: a page of a hundred cards
# must not start a hundred decodes at once.
RENDER_SLOTS = 2
_render_limiter = anyio.CapacityLimiter(RENDER_SLOTS)


class UnreadableArtwork(Exception):
    """The source is not a picture Pillow can decode, or it is too large to decode safely."""


@dataclass(frozen=True)
class Source:
    """A source picture as it is on disk now."""

    path: str
    size: int
    mtime_ns: int

    @property
    def key(self) -> str:
        return _digest(f"{self.path}\0{self.size}\0{self.mtime_ns}")

    def entity_tag(self, width: int) -> str:
        return f'"{_digest(f"{self.key}:{width}:{RENDER_VERSION}")[:32]}"'


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def cache_file(cache_dir: Path, source: Source, width: int) -> Path:
    key = source.key
    # Two levels: a folder of hundreds of thousands of files is slow to list on some disks.
    return cache_dir / key[:2] / f"{key}-{width}-{RENDER_VERSION}.webp"


async def stat_source(path: str) -> Source | None:
    """The picture's size and mtime, or None when it is gone (network mounts can be slow to
    answer, so off the event loop)."""
    try:
        st = await anyio.to_thread.run_sync(os.stat, path)
    except OSError:
        return None
    return Source(path, st.st_size, st.st_mtime_ns)


async def rendered(cache_dir: Path, source: Source, width: int) -> bytes:
    """The source at ``width`` px wide as WebP bytes: from the cache, else rendered (in a
    bounded worker thread) and stored. Raises ``UnreadableArtwork``."""
    target = cache_file(cache_dir, source, width)
    # Not there yet, or the cache folder is unusable (then every request renders).
    with contextlib.suppress(OSError):
        return await anyio.Path(target).read_bytes()
    return await anyio.to_thread.run_sync(
        _render_and_store, source, width, target, limiter=_render_limiter
    )


def _render_and_store(source: Source, width: int, target: Path) -> bytes:
    # A request for the same picture may have rendered it while this one waited for a slot.
    with contextlib.suppress(OSError):
        return target.read_bytes()
    data = render(Path(source.path), width)
    try:
        _store(target, data)
    except OSError as exc:
        # A full or read-only disk costs speed, not the picture.
        log.warning("artwork.cache_write_failed", error=exc.__class__.__name__)
    return data


def _store(target: Path, data: bytes) -> None:
    """Write atomically: a temporary file in the same folder, then ``os.replace``. Two
    renders of the same picture at once each write their own temporary file and the last
    rename wins with identical bytes; a reader never sees half a file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".render-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def render(path: Path, width: int) -> bytes:
    """``path`` resized to ``width`` px wide (aspect kept, never enlarged, EXIF orientation
    applied) as WebP. Raises ``UnreadableArtwork``."""
    try:
        with Image.open(path) as image:
            # The header alone: refuse before any pixel is decoded.
            if image.width * image.height > MAX_PIXELS:
                raise UnreadableArtwork(f"{image.width}x{image.height} px is too large")
            # JPEG can decode at 1/2, 1/4 or 1/8 scale directly: much less work for a
            # thumbnail. Asking for width × width keeps both sides ≥ width, whichever way
            # the EXIF orientation turns the picture.
            image.draft("RGB", (width, width))
            picture = ImageOps.exif_transpose(image)
            picture = _webp_mode(picture)
            if picture.width > width:
                height = max(1, round(picture.height * width / picture.width))
                picture = picture.resize(
                    (width, height), Image.Resampling.LANCZOS, reducing_gap=3.0
                )
            out = io.BytesIO()
            picture.save(out, "WEBP", quality=WEBP_QUALITY, method=4)
            return out.getvalue()
    except UnreadableArtwork:
        raise
    except (Image.DecompressionBombError, OSError, ValueError, SyntaxError) as exc:
        # OSError covers a truncated, missing or unknown file (UnidentifiedImageError);
        # ValueError and SyntaxError are what some decoders raise on corrupt data.
        raise UnreadableArtwork(exc.__class__.__name__) from exc


def _webp_mode(picture: Image.Image) -> Image.Image:
    """WebP stores RGB or RGBA: keep transparency where the source has any."""
    has_alpha = picture.mode in ("RGBA", "LA", "PA") or (
        picture.mode == "P" and "transparency" in picture.info
    )
    wanted = "RGBA" if has_alpha else "RGB"
    return picture if picture.mode == wanted else picture.convert(wanted)
