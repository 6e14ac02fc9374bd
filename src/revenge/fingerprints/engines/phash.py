"""Perceptual image hashes (pHash, 64 bits) of images and of video key frames, and the
Hamming-distance helpers the multi-index search needs.

A pHash is stored as a signed bigint split into four 16-bit chunks (c0..c3, btree-indexed).
Two hashes within distance d agree within ``d // 4`` bits on at least one chunk (pigeonhole),
so a query that looks up every chunk value within that radius finds every match exactly.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import itertools
import json
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import imagehash
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from revenge.fingerprints.engines.base import Fingerprint, FingerprintError, FingerprintType

ALGORITHM = "imagehash.phash"
ALGORITHM_VERSION = f"imagehash-{getattr(imagehash, '__version__', '4')}-8x8"
CHUNKS = 4
CHUNK_BITS = 16
# Where key frames are taken, as fractions of the running time: the same film in two encodes
# shows the same pictures at the same relative positions.
FRAME_POSITIONS = (0.1, 0.3, 0.5, 0.7, 0.9)


def to_signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def to_unsigned(value: int) -> int:
    return value & 0xFFFFFFFFFFFFFFFF


def from_hex(text: str) -> int:
    value = int(text, 16)
    if value >= 1 << 64 or value < 0:
        raise ValueError("a pHash has 64 bits")
    return to_signed(value)


def to_hex(value: int) -> str:
    return f"{to_unsigned(value):016x}"


def distance(a: int, b: int) -> int:
    return (to_unsigned(a) ^ to_unsigned(b)).bit_count()


def chunks(value: int) -> list[int]:
    """c0..c3, most significant first (the generated columns compute the same)."""
    unsigned = to_unsigned(value)
    return [(unsigned >> (CHUNK_BITS * (CHUNKS - 1 - i))) & 0xFFFF for i in range(CHUNKS)]


def neighbours(chunk: int, radius: int) -> list[int]:
    """Every 16-bit value within ``radius`` bits of ``chunk`` (including itself)."""
    found = [chunk]
    for r in range(1, radius + 1):
        for bits in itertools.combinations(range(CHUNK_BITS), r):
            flipped = chunk
            for bit in bits:
                flipped ^= 1 << bit
            found.append(flipped)
    return found


def chunk_radius(max_distance: int) -> int:
    """The per-chunk radius that keeps a search up to ``max_distance`` exact."""
    return max(0, max_distance) // CHUNKS


def image_hash(image: Image.Image) -> int:
    # Phone photos carry their rotation in EXIF; transparent covers must not hash their
    # (arbitrary) hidden colour channels.
    image = ImageOps.exif_transpose(image) or image
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
    bits = imagehash.phash(image.convert("RGB")).hash.flatten()
    value = 0
    for bit in bits:
        value = (value << 1) | int(bool(bit))
    return to_signed(value)


def hash_image_bytes(data: bytes) -> int:
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            return image_hash(image)
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise FingerprintError(f"not a readable image: {exc}") from exc


def _fingerprint(value: int, frame_index: int = 0, duration_ms: int | None = None) -> Fingerprint:
    return Fingerprint(
        fingerprint_type=FingerprintType.phash,
        data=to_unsigned(value).to_bytes(8, "big"),
        algorithm=ALGORITHM,
        algorithm_version=ALGORITHM_VERSION,
        duration_ms=duration_ms,
        phash=value,
        frame_index=frame_index,
    )


class ImageHashEngine:
    """pHash of an image file (posters, covers, backdrops)."""

    fingerprint_type = FingerprintType.phash

    async def fingerprint_file(self, path: Path) -> list[Fingerprint]:
        try:
            data = await asyncio.to_thread(path.read_bytes)
        except OSError as exc:
            raise FingerprintError(f"cannot read {path.name}: {exc.strerror}") from exc
        return [_fingerprint(await asyncio.to_thread(hash_image_bytes, data))]


class VideoFrameEngine:
    """pHashes of a few key frames of a video file, taken with ffmpeg."""

    fingerprint_type = FingerprintType.phash

    def __init__(
        self, ffmpeg_path: str = "ffmpeg", ffprobe_path: str = "ffprobe", timeout: float = 60.0
    ) -> None:
        self.ffmpeg_path = ffmpeg_path
        self.ffprobe_path = ffprobe_path
        self.timeout = timeout

    async def _run(self, *args: str) -> bytes:
        try:
            process = await asyncio.create_subprocess_exec(
                *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
            )
        except OSError as exc:
            raise FingerprintError(f"{args[0]} could not be started: {exc}") from exc
        try:
            stdout, stderr = await asyncio.wait_for(process.communicate(), self.timeout)
        except TimeoutError as exc:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
            raise FingerprintError(f"{Path(args[0]).name} timed out") from exc
        if process.returncode != 0:
            lines = stderr.decode(errors="replace").strip().splitlines()
            raise FingerprintError(
                f"{Path(args[0]).name} failed: {lines[-1] if lines else process.returncode}"[:300]
            )
        return stdout

    async def duration_seconds(self, path: Path) -> float:
        out = await self._run(
            self.ffprobe_path, "-v", "error", "-print_format", "json", "-show_format", str(path)
        )
        try:
            return float(json.loads(out)["format"]["duration"])
        except (KeyError, ValueError, TypeError) as exc:
            raise FingerprintError("no duration: not a video file?") from exc

    async def fingerprint_file(self, path: Path) -> list[Fingerprint]:
        duration = await self.duration_seconds(path)
        found: list[Fingerprint] = []
        for index, fraction in enumerate(FRAME_POSITIONS):
            png = await self._run(
                self.ffmpeg_path,
                "-nostdin",
                "-v",
                "error",
                "-ss",
                f"{duration * fraction:.3f}",
                "-i",
                str(path),
                "-frames:v",
                "1",
                "-f",
                "image2pipe",
                "-c:v",
                "png",
                "-",
            )
            if not png:
                continue
            value = await asyncio.to_thread(hash_image_bytes, png)
            found.append(_fingerprint(value, frame_index=index, duration_ms=int(duration * 1000)))
        if not found:
            raise FingerprintError("no video frames could be decoded")
        return found


def near_pairs(
    values: np.ndarray, max_distance: int, *, workers: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """All index pairs (i < j) of 64-bit hashes within ``max_distance``, exactly.

    Split the 64 bits into ``max_distance + 3`` blocks: two hashes within the distance agree
    on at least three whole blocks, so sorting by every choice of three blocks brings each
    close pair next to each other (Manku et al.'s permuted tables for near-duplicate
    detection). Each table costs a radix sort; the candidates are few because the three
    blocks make a ~21-bit key.
    """
    hashes = np.ascontiguousarray(values).view(np.uint64)
    n = len(hashes)
    if n < 2:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    blocks_count = max_distance + 3
    bounds = np.linspace(0, 64, blocks_count + 1).astype(int)
    widths = [int(bounds[i + 1] - bounds[i]) for i in range(blocks_count)]
    blocks = [
        ((hashes >> np.uint64(bounds[i])) & np.uint64((1 << widths[i]) - 1)).astype(np.uint32)
        for i in range(blocks_count)
    ]

    def table(combo: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
        key = np.zeros(n, dtype=np.uint32)
        shift = 0
        for i in combo:
            key |= blocks[i] << np.uint32(shift)
            shift += widths[i]
        # LSD radix sort in 16-bit passes (numpy's stable sort is a radix sort for 16 bits).
        order = np.argsort((key & 0xFFFF).astype(np.uint16), kind="stable")
        if shift > 16:
            high = (key[order] >> 16).astype(np.uint16)
            order = order[np.argsort(high, kind="stable")]
        keys, sorted_hashes = key[order], hashes[order]
        left: list[np.ndarray] = []
        right: list[np.ndarray] = []
        step = 1
        while step < n:
            same = np.flatnonzero(keys[step:] == keys[:-step])
            if len(same) == 0:
                break
            close = same[
                np.bitwise_count(sorted_hashes[same] ^ sorted_hashes[same + step]) <= max_distance
            ]
            left.append(order[close])
            right.append(order[close + step])
            step += 1
        if not left:
            empty = np.empty(0, dtype=np.int64)
            return empty, empty
        return np.concatenate(left), np.concatenate(right)

    combos = list(itertools.combinations(range(blocks_count), 3))
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        results = list(pool.map(table, combos))
    a = np.concatenate([r[0] for r in results]).astype(np.int64)
    b = np.concatenate([r[1] for r in results]).astype(np.int64)
    low, high = np.minimum(a, b), np.maximum(a, b)
    pairs = np.unique(low * n + high)
    return pairs // n, pairs % n


def hashes_to_array(values: Iterable[int]) -> np.ndarray:
    return np.fromiter((to_signed(v) for v in values), dtype=np.int64)
