"""What a fingerprint engine is: it turns a file into one or more hashes, and compares them."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Protocol


class FingerprintType(StrEnum):
    chromaprint = "chromaprint"
    phash = "phash"


class FingerprintError(Exception):
    """The file could not be fingerprinted (unreadable, not audio/image, tool failed)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Fingerprint:
    """One hash of one source. ``data`` is the stored form (bytea); ``phash`` the 64-bit value
    as a signed bigint for pHashes; ``terms`` the indexed lookup keys for Chromaprint."""

    fingerprint_type: FingerprintType
    data: bytes
    algorithm: str
    algorithm_version: str
    duration_ms: int | None = None
    phash: int | None = None
    frame_index: int = 0
    terms: list[int] = field(default_factory=list)


class FingerprintEngine(Protocol):
    fingerprint_type: FingerprintType

    async def fingerprint_file(self, path: Path) -> list[Fingerprint]:
        """Fingerprints of a media file (one for audio, one per key frame for video)."""
        ...
