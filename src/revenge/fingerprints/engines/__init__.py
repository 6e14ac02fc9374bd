"""Fingerprint engines behind one small protocol, chosen by what is being fingerprinted."""

from __future__ import annotations

from enum import StrEnum

from revenge.core.config import Settings
from revenge.fingerprints.engines.base import (
    Fingerprint,
    FingerprintEngine,
    FingerprintError,
    FingerprintType,
)
from revenge.fingerprints.engines.chromaprint import ChromaprintEngine
from revenge.fingerprints.engines.phash import ImageHashEngine, VideoFrameEngine


class SourceKind(StrEnum):
    """What a fingerprint was taken from; each kind has exactly one engine."""

    audio = "audio"  # Chromaprint of a track's file
    image = "image"  # pHash of a poster/cover/backdrop
    video = "video"  # pHashes of a film's or episode's key frames


def engine_for(kind: SourceKind, settings: Settings) -> FingerprintEngine:
    """The registry: the only place that knows which engine serves which source."""
    fp = settings.fingerprint
    registry: dict[SourceKind, FingerprintEngine] = {
        SourceKind.audio: ChromaprintEngine(
            fp.fpcalc_path, fp.audio_length_seconds, fp.tool_timeout_seconds
        ),
        SourceKind.image: ImageHashEngine(),
        SourceKind.video: VideoFrameEngine(
            fp.ffmpeg_path, settings.ffprobe_path, fp.tool_timeout_seconds
        ),
    }
    return registry[kind]


__all__ = [
    "Fingerprint",
    "FingerprintEngine",
    "FingerprintError",
    "FingerprintType",
    "SourceKind",
    "engine_for",
]
