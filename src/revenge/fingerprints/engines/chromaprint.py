"""Chromaprint through Debian's ``fpcalc``, and bit-error-rate matching with numpy.

A Chromaprint fingerprint is a sequence of 32-bit sub-fingerprints, one every ~0.124 s.
Two recordings of the same audio give sequences whose aligned bits mostly agree, so the score
is the bit error rate (BER) at the best alignment offset.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from revenge.fingerprints.engines.base import Fingerprint, FingerprintError, FingerprintType

ITEM_SECONDS = 4096 / 3 / 11025  # one sub-fingerprint per 1365.33 samples at 11025 Hz
ALGORITHM = "chromaprint"
ALGORITHM_VERSION = "fpcalc-raw-2"
# fpcalc on Debian bookworm exits 3 after printing a valid fingerprint (Debian #1062530).
ACCEPTED_EXIT_CODES = (0, 3)
# Sub-fingerprint of digital silence: every silent file shares it, so it must not be a term.
SILENCE_TERM = 627964279 >> 4
TERM_SHIFT = 4  # the lowest two classifiers flip most often between encodes
_GOLDEN = 0x9E3779B1


def to_array(values: Sequence[int] | np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype=np.int64).astype(np.uint32)


def to_bytes(values: np.ndarray) -> bytes:
    return values.astype("<u4").tobytes()


def from_bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype="<u4").astype(np.uint32)


# Chromaprint's default algorithm (CHROMAPRINT_ALGORITHM_TEST2), the one fpcalc uses; its id
# leads every compressed fingerprint.
DEFAULT_ALGORITHM_ID = 1
_NORMAL_MAX = 7  # 3-bit symbols; 7 means "7 + the next 5-bit exceptional symbol"


def _packed_bits(symbols: np.ndarray, width: int) -> bytes:
    """Symbols of ``width`` bits packed into a little-endian bit stream (Chromaprint's
    PackInt3Array/PackInt5Array), padded with zero bits to a whole byte."""
    if len(symbols) == 0:
        return b""
    bits = (symbols[:, None] >> np.arange(width, dtype=np.uint8)) & 1
    return np.packbits(bits.astype(np.uint8).ravel(), bitorder="little").tobytes()


def compress(values: np.ndarray, algorithm: int = DEFAULT_ALGORITHM_ID) -> str:
    """The compressed, URL-safe base64 form of a raw fingerprint: exactly what ``fpcalc``
    prints without ``-raw`` and what AcoustID's ``fingerprint`` parameter takes.

    Each sub-fingerprint is XORed with the previous one; the positions of its set bits are
    written as gaps (1-based, a 0 ends the item) in 3-bit symbols, gaps of 7 or more as 7 plus
    a 5-bit remainder in a second stream; a 4-byte header holds the algorithm and the count.
    """
    items = np.asarray(values, dtype=np.uint32)
    changes = items.copy()
    changes[1:] ^= items[:-1]
    bits = ((changes[:, None] >> np.arange(32, dtype=np.uint32)) & 1).astype(bool)
    rows, cols = np.nonzero(bits)  # row-major: each item's set bits, lowest first
    positions = cols.astype(np.int64) + 1
    first_in_row = np.ones(len(rows), dtype=bool)
    first_in_row[1:] = rows[1:] != rows[:-1]
    gaps = positions.copy()
    gaps[~first_in_row] -= positions[:-1][~first_in_row[1:]]
    # Lay out each item's gaps followed by its terminating 0.
    symbols = np.zeros(len(gaps) + len(items), dtype=np.int64)
    symbols[np.arange(len(gaps)) + rows] = gaps
    normal = np.minimum(symbols, _NORMAL_MAX).astype(np.uint8)
    exceptional = (symbols[symbols >= _NORMAL_MAX] - _NORMAL_MAX).astype(np.uint8)
    size = len(items)
    header = bytes([algorithm & 0xFF, (size >> 16) & 0xFF, (size >> 8) & 0xFF, size & 0xFF])
    data = header + _packed_bits(normal, 3) + _packed_bits(exceptional, 5)
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def all_terms(values: np.ndarray) -> np.ndarray:
    return (values >> np.uint32(TERM_SHIFT)).astype(np.int64)


def index_terms(values: np.ndarray) -> list[int]:
    """The keys stored in the GIN index: a content-defined quarter of the distinct terms.

    Sampling by the term's own hash (not by position) keeps the same terms on both sides of a
    match whatever the alignment, and keeps the index a quarter of the size.
    """
    terms = np.unique(all_terms(values))
    terms = terms[terms != SILENCE_TERM]
    picked = ((terms * _GOLDEN) & 0xFFFFFFFF) >> 30 == 0
    return [int(t) for t in terms[picked]]


def query_terms(values: np.ndarray, limit: int = 64) -> list[int]:
    """The terms a match looks up: a spread subset of the indexed terms.

    Each term costs one GIN descent; a 120 s fingerprint has ~240 indexed terms and a copy
    with 5 % bit errors still shares about a quarter of them, so 64 keep the true match with
    a dozen or more shared terms while the look-up stays a few milliseconds.
    """
    terms = index_terms(values)
    if len(terms) <= limit:
        return terms
    step = len(terms) / limit
    return [terms[int(i * step)] for i in range(limit)]


@dataclass(frozen=True)
class AlignedScore:
    ber: float
    offset: int  # b is shifted by this many items against a
    overlap: int

    @property
    def score(self) -> float:
        return round(1.0 - self.ber, 4)


def _ber_at(a: np.ndarray, b: np.ndarray, offset: int) -> tuple[float, int]:
    if offset >= 0:
        x, y = a[offset:], b
    else:
        x, y = a, b[-offset:]
    n = min(len(x), len(y))
    if n <= 0:
        return 1.0, 0
    errors = int(np.bitwise_count(x[:n] ^ y[:n]).sum())
    return errors / (32.0 * n), n


def candidate_offsets(a: np.ndarray, b: np.ndarray, max_offset: int, top: int = 3) -> list[int]:
    """Offsets suggested by equal terms (a vote per shared term), best first."""
    ta, tb = all_terms(a), all_terms(b)
    order = np.argsort(tb, kind="stable")
    sorted_b = tb[order]
    lo = np.searchsorted(sorted_b, ta, side="left")
    hi = np.searchsorted(sorted_b, ta, side="right")
    hits = np.flatnonzero(hi > lo)
    if len(hits) == 0:
        return []
    # Positions of a's term minus b's first equal term: enough votes for the true offset.
    offsets = hits - order[lo[hits]]
    offsets = offsets[np.abs(offsets) <= max_offset]
    if len(offsets) == 0:
        return []
    values, counts = np.unique(offsets, return_counts=True)
    best = values[np.argsort(-counts, kind="stable")[:top]]
    return [int(v) for v in best]


def compare(
    a: np.ndarray,
    b: np.ndarray,
    *,
    max_offset: int = 120,
    min_overlap: int = 20,
    exhaustive: bool = False,
) -> AlignedScore:
    """Best-alignment bit error rate of two fingerprints.

    Offsets come from the votes of shared terms, which is how the index found the candidate
    in the first place. ``exhaustive`` also tries every offset within ``max_offset`` when
    the votes give nothing good (slow: for comparing two files with no index).
    """
    shortest = min(len(a), len(b))
    needed = max(1, min(min_overlap, shortest), shortest // 2)
    best = AlignedScore(1.0, 0, 0)

    def consider(offset: int) -> None:
        nonlocal best
        ber, n = _ber_at(a, b, offset)
        if n >= needed and ber < best.ber:
            best = AlignedScore(ber, offset, n)

    for offset in candidate_offsets(a, b, max_offset):
        for delta in (-1, 0, 1):
            consider(offset + delta)
    if exhaustive and best.ber > 0.25:
        for offset in range(-max_offset, max_offset + 1):
            consider(offset)
    return best


class ChromaprintEngine:
    """Audio fingerprints from ``fpcalc -json -raw``."""

    fingerprint_type = FingerprintType.chromaprint

    def __init__(
        self, fpcalc_path: str = "fpcalc", length_seconds: int = 120, timeout: float = 60.0
    ) -> None:
        self.fpcalc_path = fpcalc_path
        self.length_seconds = length_seconds
        self.timeout = timeout

    async def fingerprint_file(self, path: Path) -> list[Fingerprint]:
        values, duration = await self.raw(path)
        return [
            Fingerprint(
                fingerprint_type=FingerprintType.chromaprint,
                data=to_bytes(values),
                algorithm=ALGORITHM,
                algorithm_version=ALGORITHM_VERSION,
                duration_ms=round(duration * 1000),
                terms=index_terms(values),
            )
        ]

    async def raw(self, path: Path) -> tuple[np.ndarray, float]:
        try:
            process = await asyncio.create_subprocess_exec(
                self.fpcalc_path,
                "-json",
                "-raw",
                "-length",
                str(self.length_seconds),
                str(path),
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
        except OSError as exc:
            raise FingerprintError(f"fpcalc could not be started: {exc}") from exc
        try:
            stdout, stderr = await asyncio.wait_for(process.communicate(), self.timeout)
        except TimeoutError as exc:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
            raise FingerprintError(f"fpcalc timed out after {self.timeout:g} s") from exc
        try:
            parsed = json.loads(stdout or b"{}")
        except ValueError:
            parsed = {}
        fingerprint = parsed.get("fingerprint") if isinstance(parsed, dict) else None
        if process.returncode not in ACCEPTED_EXIT_CODES or not fingerprint:
            message = stderr.decode(errors="replace").strip().splitlines()
            reason = message[-1] if message else f"exit code {process.returncode}"
            raise FingerprintError(f"fpcalc failed: {reason}"[:300])
        return to_array(fingerprint), float(parsed.get("duration") or 0.0)
