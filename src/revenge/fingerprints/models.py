"""Fingerprints, the duplicate groups found between them, and library-wide runs (``public``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Computed,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from revenge.core.db import Base, Timestamps, UUIDPrimaryKey


def _chunk(shift: int) -> Computed:
    return Computed(f"((phash >> {shift}) & 65535)", persisted=True)


class MediaFingerprint(UUIDPrimaryKey, Timestamps, Base):
    """One hash of one source: a track's Chromaprint, an image's pHash or one key frame's.

    ``subject`` is what the hash identifies (a track, film, episode or image); ``media_*`` is
    the library item it belongs to. ``source_*`` lets a rerun skip unchanged files.
    """

    __tablename__ = "media_fingerprints"
    __table_args__ = (
        UniqueConstraint("subject_type", "subject_id", "frame_index"),
        Index("ix_media_fingerprints_media", "media_type", "media_id"),
        Index("ix_media_fingerprints_c0", "c0"),
        Index("ix_media_fingerprints_c1", "c1"),
        Index("ix_media_fingerprints_c2", "c2"),
        Index("ix_media_fingerprints_c3", "c3"),
        Index("ix_media_fingerprints_match_terms", "match_terms", postgresql_using="gin"),
    )

    media_type: Mapped[str] = mapped_column(String(16))
    media_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    subject_type: Mapped[str] = mapped_column(String(16))  # track|movie|episode|image
    subject_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    source_kind: Mapped[str] = mapped_column(String(8))  # engines.SourceKind
    fingerprint_type: Mapped[str] = mapped_column(String(16))  # chromaprint|phash
    frame_index: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Chromaprint: the raw sub-fingerprints as little-endian uint32; pHash: 8 bytes big-endian.
    fingerprint_data: Mapped[bytes] = mapped_column(LargeBinary)
    phash: Mapped[int | None] = mapped_column(BigInteger)
    c0: Mapped[int | None] = mapped_column(Integer, _chunk(48))
    c1: Mapped[int | None] = mapped_column(Integer, _chunk(32))
    c2: Mapped[int | None] = mapped_column(Integer, _chunk(16))
    c3: Mapped[int | None] = mapped_column(Integer, _chunk(0))
    match_terms: Mapped[list[int] | None] = mapped_column(ARRAY(Integer))
    duration_ms: Mapped[int | None] = mapped_column(BigInteger)
    algorithm: Mapped[str] = mapped_column(String(32))
    algorithm_version: Mapped[str] = mapped_column(String(32))
    source_path: Mapped[str] = mapped_column(Text)
    source_size: Mapped[int] = mapped_column(BigInteger)
    source_mtime: Mapped[float] = mapped_column(Float)


class FingerprintFailure(UUIDPrimaryKey, Timestamps, Base):
    """Why a subject could not be fingerprinted (shown in run progress; cleared on success)."""

    __tablename__ = "media_fingerprint_failures"
    __table_args__ = (UniqueConstraint("subject_type", "subject_id"),)

    subject_type: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    source_path: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)


class DuplicateGroup(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "fingerprint_duplicate_groups"

    kind: Mapped[str] = mapped_column(String(8), index=True)  # audio|video|image
    member_count: Mapped[int] = mapped_column(Integer, default=0)
    # The weakest link's score: filtering on it keeps every listed group above a threshold.
    min_score: Mapped[float] = mapped_column(Float, default=1.0)


class DuplicateMember(UUIDPrimaryKey, Base):
    __tablename__ = "fingerprint_duplicate_members"
    __table_args__ = (UniqueConstraint("kind", "subject_type", "subject_id"),)

    group_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True),
        ForeignKey("fingerprint_duplicate_groups.id", ondelete="CASCADE"),
        index=True,
    )
    kind: Mapped[str] = mapped_column(String(8))
    subject_type: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    media_type: Mapped[str] = mapped_column(String(16))
    media_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))


class DuplicateLink(UUIDPrimaryKey, Base):
    """One matched pair, with the score that joined it (pairs are stored a < b)."""

    __tablename__ = "fingerprint_duplicate_links"
    __table_args__ = (UniqueConstraint("kind", "a_type", "a_id", "b_type", "b_id"),)

    group_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True),
        ForeignKey("fingerprint_duplicate_groups.id", ondelete="CASCADE"),
        index=True,
    )
    kind: Mapped[str] = mapped_column(String(8))
    a_type: Mapped[str] = mapped_column(String(16))
    a_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    b_type: Mapped[str] = mapped_column(String(16))
    b_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    score: Mapped[float] = mapped_column(Float)
    measure: Mapped[float] = mapped_column(Float)  # BER (audio) or Hamming distance (images)


class DuplicateDismissal(Base):
    """An admin's word on a group: "keep this one" or "not duplicates"; the group leaves the
    list. ``members`` (``type:id``) are the group's members when it was dismissed: a group
    that gains another member is shown again, for that one has not been looked at."""

    __tablename__ = "fingerprint_duplicate_dismissals"

    group_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True),
        ForeignKey("fingerprint_duplicate_groups.id", ondelete="CASCADE"),
        primary_key=True,
    )
    decision: Mapped[str] = mapped_column(String(16))  # keep|not_duplicates
    keep_subject_type: Mapped[str | None] = mapped_column(String(16))
    keep_subject_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    members: Mapped[list[str]] = mapped_column(ARRAY(Text))
    dismissed_by: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("shared.users.id", ondelete="SET NULL")
    )
    dismissed_at: Mapped[datetime] = mapped_column(server_default=func.now())


class FingerprintRun(UUIDPrimaryKey, Timestamps, Base):
    """A library-wide run, processed in chunks; ``stage``/``cursor`` make it resumable."""

    __tablename__ = "fingerprint_runs"

    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued|running|done|failed
    stage: Mapped[int] = mapped_column(Integer, default=0)
    cursor: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    recent_errors: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, default=list, server_default="[]"
    )
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class AcoustidLookup(Timestamps, Base):
    """A track's AcoustID look-up: the durable work item while ``pending`` (with its retry
    time), then what came back and what was filled in.

    ``status``: pending | matched (the recording id was filled) | low_score | ambiguous |
    no_match | tagged (the track had an id by then) | failed (``reason`` says why).
    ``api_key_hash`` marks a failure because AcoustID rejected that API key: while the same key
    is configured nothing more is sent, and a new key brings such rows back to ``pending``.
    """

    __tablename__ = "acoustid_lookups"
    __table_args__ = (
        Index(
            "ix_acoustid_lookups_due",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_acoustid_lookups_status", "status"),
    )

    track_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("tracks.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(server_default=func.now())
    score: Mapped[float | None] = mapped_column(Float)
    acoustid_id: Mapped[str | None] = mapped_column(String(36))
    recording_id: Mapped[str | None] = mapped_column(String(36))
    recording_title: Mapped[str | None] = mapped_column(Text)
    recording_artist: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    status_code: Mapped[int | None] = mapped_column(Integer)
    api_key_hash: Mapped[str | None] = mapped_column(String(64))
    looked_up_at: Mapped[datetime | None]
