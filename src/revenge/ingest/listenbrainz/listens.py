"""Listens from ListenBrainz clients become plays (README "Connect your media server").

Navidrome, jellyfin-plugin-listenbrainz, Music Assistant, multi-scrobbler and every other
ListenBrainz client submit to ``/1/submit-listens`` with a Revenge API key as their token:

- ``single`` and ``import`` listens are finished, counted plays that started at
  ``listened_at`` (``playback.imports.record_finished_plays``, one batch for an import). The
  same user, track and ``listened_at`` is one play: clients retry.
- A listen of a track the library does not have (yet) is kept (``ingest.pending``) and applied
  when a scan adds the track.
- ``playing_now`` opens a session, like a player's start; the client's earlier "playing now"
  sessions end when it moves on (ListenBrainz clients never send a stop).

Every such play carries its origin: source ``listenbrainz``, the client's name, and the
SHA-256 of the token, so that scrobbling never sends it back to a ListenBrainz connection
holding that very token (no loops); the user's other connections still get it.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core import clock
from revenge.core.config import Settings
from revenge.ingest.incoming import ExternalUserRef, IncomingEvent, IncomingKind
from revenge.ingest.listenbrainz.validation import Listen, ListenType, Submission
from revenge.ingest.pending import PendingRow, keep_pending_many
from revenge.library import lookup
from revenge.library.external_match import match_items
from revenge.library.item_hints import ItemHints
from revenge.library.snapshots import snapshot_of
from revenge.playback import imports
from revenge.playback.imports import FinishedPlay
from revenge.playback.schemas import PlaybackEventCreate, PlaybackEventType
from revenge.playback.service import PlayOrigin, apply_event

SOURCE = "listenbrainz"
_LAST_SECOND = 253_402_300_799  # 9999-12-31 23:59:59 UTC


@dataclass(frozen=True)
class Submitter:
    """Who submits: the token's user, and the token's SHA-256 (the plays' origin digest)."""

    user_id: uuid.UUID
    username: str
    token_digest: str


@dataclass(frozen=True)
class SubmitOutcome:
    recorded: int  # new plays
    duplicates: int  # listens recorded before (retries)
    kept: int  # listens of tracks the library does not have, kept for a later scan
    playing: bool  # a playing_now that opened or continued a session


def origin_of(submitter: Submitter, listen: Listen) -> PlayOrigin:
    return PlayOrigin(
        source=SOURCE,
        source_name=(listen.client or "")[:100] or None,
        origin_digest=submitter.token_digest,
    )


def hints_of(listen: Listen) -> ItemHints:
    return ItemHints(
        media_type="track",
        recording_mbid=listen.mbid("recording_mbid"),
        track_mbid=listen.mbid("track_mbid"),
        release_mbid=listen.mbid("release_mbid"),
        release_group_mbid=listen.mbid("release_group_mbid"),
        track_number=listen.track_number,
        artist=listen.artist_name,
        title=listen.track_name,
        album=listen.release_name,
        duration_ms=listen.duration_ms,
    )


def _listened_at(listen: Listen) -> datetime:
    return datetime.fromtimestamp(listen.listened_at or 0, UTC)


async def submit_listens(
    session: AsyncSession, submitter: Submitter, submission: Submission, settings: Settings
) -> SubmitOutcome:
    """Apply a validated submission (see the module's description)."""
    hints = [hints_of(listen) for listen in submission.listens]
    refs = await match_items(session, hints)
    if submission.listen_type == ListenType.playing_now:
        playing = await _playing_now(session, submitter, submission.listens[0], refs[0], settings)
        return SubmitOutcome(recorded=0, duplicates=0, kept=0, playing=playing)

    by_origin: dict[PlayOrigin, list[FinishedPlay]] = defaultdict(list)
    unmatched: list[PendingRow] = []
    for listen, hint, ref in zip(submission.listens, hints, refs, strict=True):
        origin = origin_of(submitter, listen)
        if ref is None:
            unmatched.append(_pending_row(submitter, listen, hint, origin))
            continue
        if submission.listen_type == ListenType.single:
            # The client's "playing now" of this track is this listen now.
            await imports.end_reported_sessions(
                session, submitter.user_id, origin, settings, only=(ref.media_type.value, ref.id)
            )
        by_origin[origin].append(
            FinishedPlay(
                user_id=submitter.user_id,
                media_type=ref.media_type.value,
                media_id=ref.id,
                started_at=_listened_at(listen),
                duration_ms=listen.duration_ms,
                client=origin.source_name,
            )
        )
    recorded = duplicates = 0
    for origin, plays in by_origin.items():
        new = await imports.record_finished_plays(session, plays, origin)
        recorded += sum(new)
        duplicates += len(new) - sum(new)
    kept = await keep_pending_many(session, unmatched) if unmatched else 0
    return SubmitOutcome(recorded=recorded, duplicates=duplicates, kept=kept, playing=False)


def _pending_row(
    submitter: Submitter, listen: Listen, hint: ItemHints, origin: PlayOrigin
) -> PendingRow:
    # Kept as a listen: dated when it started, its length from the listen or, once it
    # matches, from the library (``ingest.apply``).
    duration = listen.duration_ms
    event = IncomingEvent(
        kind=IncomingKind.listen,
        occurred_at=_listened_at(listen),
        position_ms=duration,
        user=ExternalUserRef(external_id=str(submitter.user_id), name=submitter.username),
        item=hint,
        client=origin.source_name,
    )
    return PendingRow(
        reason="item",
        hints=hint,
        event=event,
        origin=origin,
        dedupe_key=event.dedupe_key(SOURCE),
        user_id=submitter.user_id,
        duration_ms=duration,
    )


async def _playing_now(
    session: AsyncSession,
    submitter: Submitter,
    listen: Listen,
    ref: lookup.MediaRef | None,
    settings: Settings,
) -> bool:
    origin = origin_of(submitter, listen)
    keep = (ref.media_type.value, ref.id) if ref is not None else None
    # The client moved on: what it reported playing before is over.
    await imports.end_reported_sessions(session, submitter.user_id, origin, settings, keep=keep)
    if ref is None:
        # A notice, not a play: there is nothing to keep for a later scan.
        return False
    body = PlaybackEventCreate(
        media_type="track",
        media_id=ref.id,
        event=PlaybackEventType.start,
        position_ms=0,
        occurred_at=clock.utcnow(),
        client=origin.source_name,
    )
    await apply_event(session, submitter.user_id, body, settings, origin)
    return True


# --- reading back ------------------------------------------------------------------------------


def _track_metadata(item: lookup.MediaItem, client: str | None) -> dict[str, Any]:
    snapshot = snapshot_of(item)
    metadata: dict[str, Any] = {
        "artist_name": snapshot.artist or "",
        "track_name": snapshot.title,
    }
    if snapshot.album:
        metadata["release_name"] = snapshot.album
    info: dict[str, Any] = {}
    if snapshot.musicbrainz_recording_id:
        info["recording_mbid"] = snapshot.musicbrainz_recording_id
    if snapshot.musicbrainz_release_id:
        info["release_mbid"] = snapshot.musicbrainz_release_id
    if snapshot.musicbrainz_artist_id:
        info["artist_mbids"] = [snapshot.musicbrainz_artist_id]
    if snapshot.track_number:
        info["tracknumber"] = snapshot.track_number
    if snapshot.duration_ms:
        info["duration_ms"] = snapshot.duration_ms
    if client:
        info["media_player"] = client
    metadata["additional_info"] = info
    return metadata


async def read_listens(
    session: AsyncSession,
    user_id: uuid.UUID,
    username: str,
    *,
    min_ts: int | None,
    max_ts: int | None,
    count: int,
) -> dict[str, Any]:
    """The user's counted plays of tracks, as ``GET /1/user/{name}/listens`` answers them:
    newest first, ``min_ts`` and ``max_ts`` exclusive (listened_at is whole seconds)."""
    plays = (
        await imports.counted_track_plays(
            session,
            user_id,
            after=datetime.fromtimestamp(min(min_ts + 1, _LAST_SECOND), UTC)
            if min_ts is not None
            else None,
            before=datetime.fromtimestamp(max_ts, UTC) if max_ts is not None else None,
            limit=count,
        )
        if count > 0
        else []
    )
    items = await lookup.resolve(
        session, {lookup.MediaRef.of(play.media_type, play.media_id) for play in plays}
    )
    listens = []
    for play in plays:
        item = items.get(lookup.MediaRef.of(play.media_type, play.media_id))
        if item is None:  # removed from the library since; nothing to name it by
            continue
        listens.append(
            {
                "listened_at": int(play.started_at.timestamp()),
                "inserted_at": int(play.created_at.timestamp()),
                # The library's id of the recording stands in for MessyBrainz's.
                "recording_msid": str(play.media_id),
                "user_name": username,
                "track_metadata": _track_metadata(item, play.client),
            }
        )
    _, oldest, latest = await imports.counted_track_summary(session, user_id)
    return {
        "count": len(listens),
        "listens": listens,
        "latest_listen_ts": int(latest.timestamp()) if latest else 0,
        "oldest_listen_ts": int(oldest.timestamp()) if oldest else 0,
        "user_id": username,
    }


async def read_listen_count(session: AsyncSession, user_id: uuid.UUID) -> dict[str, Any]:
    count, _, _ = await imports.counted_track_summary(session, user_id)
    return {"count": count}


async def read_playing_now(
    session: AsyncSession, user_id: uuid.UUID, username: str, settings: Settings
) -> dict[str, Any]:
    """The track the user plays now (from any door), as ``GET /1/user/{name}/playing-now``
    answers it; a player not heard for ``activity_stale_seconds`` plays nothing."""
    since = clock.utcnow() - timedelta(seconds=settings.ingest.activity_stale_seconds)
    play = await imports.playing_track(session, user_id, since)
    item = (
        await lookup.resolve_one(session, lookup.MediaRef.of(play.media_type, play.media_id))
        if play is not None
        else None
    )
    listens = (
        [
            {
                "track_metadata": _track_metadata(item, play.client),
                "user_name": username,
                "playing_now": True,
            }
        ]
        if item is not None and play is not None
        else []
    )
    return {"count": len(listens), "user_id": username, "playing_now": True, "listens": listens}
