"""Duplicate detection: a new fingerprint is looked up in the index (never the library
re-paired), and each match joins the two subjects' groups, union-find style."""

from __future__ import annotations

import math
import uuid
from statistics import median
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core.artwork_urls import Artwork, urls_for
from revenge.core.config import Settings
from revenge.core.errors import NotFound, Unprocessable
from revenge.fingerprints import duplicate_queries as group_repo
from revenge.fingerprints import repository as repo
from revenge.fingerprints.engines import SourceKind
from revenge.fingerprints.engines import chromaprint as cp
from revenge.fingerprints.schemas import (
    DuplicateDecision,
    DuplicateDismiss,
    DuplicateDismissalRead,
    DuplicateGroupRead,
    DuplicateKind,
    DuplicateLinkRead,
    DuplicateMemberRead,
)
from revenge.fingerprints.service import match_chromaprint, match_phash
from revenge.library import lookup

KIND_OF_SOURCE = {
    SourceKind.audio: DuplicateKind.audio,
    SourceKind.video: DuplicateKind.video,
    SourceKind.image: DuplicateKind.image,
}
# Of the key frames two encodes have in common, this share must match for "same film".
VIDEO_FRAME_QUORUM = 0.6
LOSSLESS = {"flac", "alac", "wav", "aiff", "ape", "wavpack", "wv", "tta", "truehd", "mlp"}


async def detect_for_subject(
    session: AsyncSession, settings: Settings, subject_type: str, subject_id: uuid.UUID
) -> int:
    """Compare one subject's fresh fingerprints with the index; returns links made."""
    rows = await repo.fingerprints_of(session, subject_type, subject_id)
    if not rows:
        return 0
    me = (subject_type, subject_id)
    owner = (rows[0].media_type, rows[0].media_id)
    kind = KIND_OF_SOURCE[SourceKind(rows[0].source_kind)]
    found: list[tuple[tuple[str, uuid.UUID], tuple[str, uuid.UUID], float, float]] = []
    fp = settings.fingerprint
    if kind == DuplicateKind.audio:
        hits = await match_chromaprint(
            session, settings, cp.from_bytes(rows[0].fingerprint_data), limit=50, exclude=me
        )
        found = [
            ((h.subject_type, h.subject_id), (h.media_type, h.media_id), h.score, h.ber or 0.0)
            for h in hits
        ]
    elif kind == DuplicateKind.image:
        hits = await match_phash(
            session, rows[0].phash or 0, fp.image_max_distance, limit=50, exclude=me
        )
        found = [
            ((h.subject_type, h.subject_id), (h.media_type, h.media_id), h.score, h.distance or 0)
            for h in hits
        ]
    else:
        found = await _video_matches(session, rows, fp.video_max_distance, me)
    for other, other_owner, score, measure in found:
        await link(session, kind, (me, owner), (other, other_owner), score, measure)
    return len(found)


async def _video_matches(
    session: AsyncSession, frames: list[Any], max_distance: int, me: tuple[str, uuid.UUID]
) -> list[tuple[tuple[str, uuid.UUID], tuple[str, uuid.UUID], float, float]]:
    """Films/episodes whose key frames at the same positions are within ``max_distance``."""
    distances: dict[tuple[str, uuid.UUID], list[int]] = {}
    owners: dict[tuple[str, uuid.UUID], tuple[str, uuid.UUID]] = {}
    for frame in frames:
        for row in await repo.phash_near(
            session,
            frame.phash,
            max_distance,
            kind=SourceKind.video,
            frame_index=frame.frame_index,
            exclude=me,
        ):
            key = (row.subject_type, row.subject_id)
            distances.setdefault(key, []).append(int(row.distance))
            owners[key] = (row.media_type, row.media_id)
    needed = max(1, math.ceil(len(frames) * VIDEO_FRAME_QUORUM))
    return [
        (key, owners[key], round(1.0 - median(found) / 64.0, 4), float(median(found)))
        for key, found in distances.items()
        if len(found) >= needed
    ]


async def link(
    session: AsyncSession,
    kind: DuplicateKind,
    a: tuple[tuple[str, uuid.UUID], tuple[str, uuid.UUID]],
    b: tuple[tuple[str, uuid.UUID], tuple[str, uuid.UUID]],
    score: float,
    measure: float,
) -> uuid.UUID:
    """Put a and b in one group: a new one, the one either is in, or their two groups merged
    (the smaller into the larger)."""
    (subject_a, owner_a), (subject_b, owner_b) = a, b
    group_a = await group_repo.member_group(session, kind, *subject_a)
    group_b = await group_repo.member_group(session, kind, *subject_b)
    if group_a is None and group_b is None:
        group = await group_repo.create_group(session, kind)
    elif group_a is not None and group_b is not None and group_a != group_b:
        await group_repo.lock_groups(session, [group_a, group_b])
        size_a = await group_repo.group_size(session, group_a)
        size_b = await group_repo.group_size(session, group_b)
        group, absorbed = (group_a, group_b) if size_a >= size_b else (group_b, group_a)
        await group_repo.merge_groups(session, group, absorbed)
    else:
        group = group_a or group_b  # type: ignore[assignment]
    await group_repo.add_member(session, group, kind, *subject_a, *owner_a)
    await group_repo.add_member(session, group, kind, *subject_b, *owner_b)
    await group_repo.upsert_link(session, group, kind, subject_a, subject_b, score, measure)
    await group_repo.refresh_group_stats(session, group)
    return group


async def forget_media(session: AsyncSession, media_type: str, media_id: uuid.UUID) -> None:
    """An item left the library: its fingerprints go, and so does its group membership.

    A group left with one member is no longer a duplicate group and is deleted. (A group a
    removed member was bridging stays one group: its remaining links still show the scores.)
    """
    for group_id in await group_repo.forget_media(session, media_type, media_id):
        await group_repo.refresh_group_stats(session, group_id)
        await group_repo.delete_group_if_single(session, group_id)


def _quality(kind: str, facts: Any) -> tuple[float, ...]:
    """Higher is better: lossless > bitrate > resolution for audio; pixels first for video
    and images; file size breaks ties."""
    if facts is None:
        return (-1.0,)
    pixels = float((facts.width or 0) * (facts.height or 0))
    size = float(facts.size_bytes or 0)
    if isinstance(facts, lookup.ImageFacts):
        return (pixels, size)
    bitrate = float(facts.bitrate or 0)
    if kind == DuplicateKind.audio:
        return (float(_lossless(facts)), bitrate, pixels, size)
    return (pixels, bitrate, size)


def _lossless(facts: Any) -> bool:
    if isinstance(facts, lookup.ImageFacts):
        return False
    names = {(facts.audio_codec or "").lower(), (facts.container or "").lower()}
    return bool(names & LOSSLESS) or any(name.startswith("pcm_") for name in names)


def _format(facts: Any) -> str | None:
    if facts is None:
        return None
    if isinstance(facts, lookup.ImageFacts):
        return facts.path.rsplit(".", 1)[-1].lower() if "." in facts.path else None
    parts = [facts.container, facts.video_codec, facts.audio_codec]
    return "/".join(p for p in parts if p) or None


async def _member_facts(
    session: AsyncSession, members: list[Any], secret: str
) -> tuple[
    dict[tuple[str, uuid.UUID], Any],
    dict[lookup.MediaRef, str],
    dict[lookup.MediaRef, Artwork],
]:
    """Each member's file facts (an image's own, an item's primary file) for sizes, formats
    and "keep best", and the display title and artwork of the item each belongs to."""
    owners = [lookup.MediaRef.of(m.media_type, m.media_id) for m in members]
    subjects = [
        lookup.MediaRef.of(m.subject_type, m.subject_id)
        for m in members
        if m.subject_type != "image"
    ]
    items = await lookup.resolve(session, [*owners, *subjects])
    images = await lookup.images(
        session, [m.subject_id for m in members if m.subject_type == "image"]
    )
    files: dict[tuple[str, uuid.UUID], Any] = {}
    for member in members:
        key = (member.subject_type, member.subject_id)
        if member.subject_type == "image":
            files[key] = images.get(member.subject_id)
        else:
            item = items.get(lookup.MediaRef.of(member.subject_type, member.subject_id))
            files[key] = item.file if item is not None else None
    titles = {ref: item.display_title for ref, item in items.items()}
    # Only items with a picture get a URL: the web app shows its placeholder for the rest.
    artwork = {
        ref: urls_for(secret, ref.media_type, ref.id)
        for ref, item in items.items()
        if item.artwork_path is not None
    }
    return files, titles, artwork


async def list_groups(
    session: AsyncSession,
    kind: DuplicateKind | None,
    min_score: float | None,
    limit: int,
    offset: int,
    *,
    secret: str,
    dismissed: bool = False,
) -> tuple[list[DuplicateGroupRead], int]:
    groups, total = await group_repo.list_groups(
        session, kind.value if kind else None, min_score, limit, offset, dismissed=dismissed
    )
    ids = [group.id for group in groups]
    members = await group_repo.members_of(session, ids)
    links = await group_repo.links_of(session, ids)
    dismissals = await group_repo.dismissals_of(session, ids) if dismissed else {}
    files, titles, artwork = await _member_facts(session, members, secret)
    result: list[DuplicateGroupRead] = []
    for group in groups:
        mine = [m for m in members if m.group_id == group.id]
        reads = []
        for member in mine:
            facts = files.get((member.subject_type, member.subject_id))
            owner = lookup.MediaRef.of(member.media_type, member.media_id)
            reads.append(
                DuplicateMemberRead(
                    subject_type=member.subject_type,
                    subject_id=member.subject_id,
                    media_type=member.media_type,
                    media_id=member.media_id,
                    title=titles.get(owner),
                    path=getattr(facts, "path", None),
                    size_bytes=getattr(facts, "size_bytes", None),
                    format=_format(facts),
                    bitrate=getattr(facts, "bitrate", None),
                    width=getattr(facts, "width", None),
                    height=getattr(facts, "height", None),
                    lossless=facts is not None and _lossless(facts),
                    keep=False,
                    artwork=artwork.get(owner),
                )
            )
        best = max(
            range(len(reads)),
            key=lambda i: _quality(
                group.kind, files.get((mine[i].subject_type, mine[i].subject_id))
            ),
            default=None,
        )
        if best is not None:
            reads[best].keep = True
        result.append(
            DuplicateGroupRead(
                id=group.id,
                kind=DuplicateKind(group.kind),
                member_count=group.member_count,
                min_score=group.min_score,
                keep=reads[best] if best is not None else None,
                members=reads,
                links=[
                    DuplicateLinkRead(
                        a_type=lk.a_type,
                        a_id=lk.a_id,
                        b_type=lk.b_type,
                        b_id=lk.b_id,
                        score=lk.score,
                        measure=lk.measure,
                    )
                    for lk in links
                    if lk.group_id == group.id
                ],
                dismissal=(
                    DuplicateDismissalRead.model_validate(dismissals[group.id])
                    if group.id in dismissals
                    else None
                ),
            )
        )
    return result, total


async def dismiss(
    session: AsyncSession,
    group_id: uuid.UUID,
    body: DuplicateDismiss,
    admin_id: uuid.UUID,
) -> DuplicateDismissalRead:
    """The admin has looked at a group: it leaves the list (until another member joins).
    Nothing is deleted: which copy goes is the admin's to do on disk."""
    if await group_repo.get_group(session, group_id) is None:
        raise NotFound("fingerprint.group_not_found", id=str(group_id))
    members = [
        group_repo.member_key(m.subject_type, m.subject_id)
        for m in await group_repo.members_of(session, [group_id])
    ]
    keep: tuple[str, uuid.UUID] | None = None
    if body.decision == DuplicateDecision.keep:
        assert body.keep_subject_type is not None and body.keep_subject_id is not None
        keep = (body.keep_subject_type, body.keep_subject_id)
        if group_repo.member_key(*keep) not in members:
            raise Unprocessable("fingerprint.not_a_member", id=str(body.keep_subject_id))
    row = await group_repo.save_dismissal(
        session,
        group_id,
        decision=body.decision.value,
        keep=keep,
        members=members,
        dismissed_by=admin_id,
    )
    return DuplicateDismissalRead.model_validate(row)


async def restore(session: AsyncSession, group_id: uuid.UUID) -> None:
    """Undo a dismissal: the group is listed again (idempotent)."""
    if await group_repo.get_group(session, group_id) is None:
        raise NotFound("fingerprint.group_not_found", id=str(group_id))
    await group_repo.delete_dismissal(session, group_id)
