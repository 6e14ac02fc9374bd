from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from revenge.core.artwork_urls import Artwork
from revenge.core.types import SaneDatetime, Text
from revenge.fingerprints.engines import FingerprintType


class GenerateTarget(StrEnum):
    """``{type}`` of the generate endpoint: a library item type, or one image."""

    track = "track"
    movie = "movie"
    episode = "episode"
    album = "album"
    artist = "artist"
    series = "series"
    season = "season"
    image = "image"


class DuplicateKind(StrEnum):
    audio = "audio"  # same recording (Chromaprint)
    video = "video"  # same film/episode in another encode (key-frame pHashes)
    image = "image"  # same poster/cover art (pHash)


class FingerprintRead(BaseModel):
    id: uuid.UUID
    subject_type: Text
    subject_id: uuid.UUID
    media_type: Text
    media_id: uuid.UUID
    source_kind: Text
    fingerprint_type: FingerprintType
    frame_index: int
    duration_ms: int | None
    algorithm: Text
    algorithm_version: Text
    source_path: Text
    source_size: int
    phash: Text | None = None  # 16 hex digits
    length: int | None = None  # Chromaprint sub-fingerprints
    created_at: SaneDatetime


class GenerateOutcome(BaseModel):
    subject_type: Text
    subject_id: uuid.UUID
    status: Literal["generated", "unchanged", "failed", "no_file"]
    reason: Text | None = None
    fingerprints: list[FingerprintRead] = []


class GenerateItemResult(BaseModel):
    media_type: Text
    media_id: uuid.UUID
    outcomes: list[GenerateOutcome]


class RunRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    status: Text
    total: int
    done: int
    skipped: int
    failed: int
    progress: float = 0.0
    recent_errors: list[dict[Text, Any]]
    created_at: SaneDatetime
    started_at: SaneDatetime | None
    finished_at: SaneDatetime | None


class MatchRequest(BaseModel):
    """A raw fingerprint to look up: Chromaprint integers (``fpcalc -raw``) or a pHash."""

    fingerprint_type: FingerprintType
    # fpcalc prints unsigned 32-bit values; some clients send them signed.
    fingerprint: list[Annotated[int, Field(ge=-(2**31), le=2**32 - 1)]] | None = Field(
        None, min_length=8, max_length=20000, description="Chromaprint sub-fingerprints"
    )
    phash: Text | None = Field(None, pattern=r"^[0-9a-fA-F]{16}$", description="64-bit pHash, hex")
    limit: int = Field(10, ge=1, le=100)


class MatchThreshold(BaseModel):
    max_ber: float | None = None
    max_distance: int | None = None


class MatchHit(BaseModel):
    subject_type: Text
    subject_id: uuid.UUID
    media_type: Text
    media_id: uuid.UUID
    title: Text | None
    score: float
    ber: float | None = None
    offset_seconds: float | None = None
    distance: int | None = None


class MatchResult(BaseModel):
    fingerprint_type: FingerprintType
    threshold: MatchThreshold
    query_phash: Text | None = None
    query_length: int | None = None
    matches: list[MatchHit]


class DuplicateMemberRead(BaseModel):
    subject_type: Text
    subject_id: uuid.UUID
    media_type: Text
    media_id: uuid.UUID
    title: Text | None
    path: Text | None
    size_bytes: int | None
    format: Text | None
    bitrate: int | None
    width: int | None
    height: int | None
    lossless: bool
    keep: bool
    artwork: Artwork | None = Field(
        None, description="the poster or cover of the item the member belongs to"
    )


class DuplicateLinkRead(BaseModel):
    a_type: Text
    a_id: uuid.UUID
    b_type: Text
    b_id: uuid.UUID
    score: float
    measure: float


class DuplicateDecision(StrEnum):
    keep = "keep"  # duplicates indeed: this member is the one to keep
    not_duplicates = "not_duplicates"  # a false match: leave them all alone


class DuplicateDismiss(BaseModel):
    """An admin's word on a group; "keep" names the member to keep."""

    model_config = ConfigDict(extra="forbid")

    decision: DuplicateDecision
    keep_subject_type: Text | None = Field(None, max_length=16)
    keep_subject_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _keep_names_a_member(self) -> DuplicateDismiss:
        named = self.keep_subject_type is not None and self.keep_subject_id is not None
        if self.decision == DuplicateDecision.keep and not named:
            raise ValueError("keep_subject_type and keep_subject_id name the member to keep")
        if self.decision == DuplicateDecision.not_duplicates and (
            self.keep_subject_type is not None or self.keep_subject_id is not None
        ):
            raise ValueError("a group that is not duplicates has no member to keep")
        return self


class DuplicateDismissalRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    decision: DuplicateDecision
    keep_subject_type: Text | None
    keep_subject_id: uuid.UUID | None
    dismissed_at: SaneDatetime


class DuplicateGroupRead(BaseModel):
    id: uuid.UUID
    kind: DuplicateKind
    member_count: int
    min_score: float
    keep: DuplicateMemberRead | None
    members: list[DuplicateMemberRead]
    links: list[DuplicateLinkRead]
    dismissal: DuplicateDismissalRead | None = Field(
        None, description="set on a dismissed group (listed with dismissed=true)"
    )


class AcoustidLookupStatus(StrEnum):
    pending = "pending"  # waiting for its turn (or for a retry after an error)
    matched = "matched"  # the recording id was filled in
    low_score = "low_score"  # best result below the score threshold: nothing filled
    ambiguous = "ambiguous"  # several recordings, none singled out by the track title
    no_match = "no_match"  # AcoustID knows no recording for this fingerprint
    tagged = "tagged"  # the track had a recording id by the time it was looked up
    failed = "failed"  # rejected (API key, fingerprint): see ``reason``


class AcoustidLookupRead(BaseModel):
    track_id: uuid.UUID
    track_title: Text
    status: AcoustidLookupStatus
    score: float | None
    acoustid_id: Text | None
    recording_id: Text | None = Field(
        description="filled in (matched) or the best candidate (low_score, ambiguous)"
    )
    recording_title: Text | None
    recording_artist: Text | None
    reason: Text | None
    status_code: int | None
    attempts: int
    next_attempt_at: SaneDatetime | None = Field(description="pending only: the next try")
    looked_up_at: SaneDatetime | None
    updated_at: SaneDatetime


class AcoustidSummary(BaseModel):
    enabled: bool = Field(description="an AcoustID API key is configured")
    api_url: Text
    min_score: float
    requests_per_second: float
    api_key_rejected: Text | None = Field(
        description="why AcoustID refused the configured key; nothing is sent until it changes"
    )
    counts: dict[AcoustidLookupStatus, int]
