"""Is what was requested in the library now (or still)? Runs on library events and a sweep."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.content_requests import downloads, repository
from revenge.content_requests.models import (
    OPEN_STATUSES,
    ContentRequest,
    ExternalSource,
    RequestStatus,
)
from revenge.content_requests.notices import tell_watchers
from revenge.core import clock
from revenge.core.artwork_urls import Artwork, urls_for
from revenge.core.config import Settings
from revenge.core.media import MediaType
from revenge.library import lookup, matching
from revenge.notifications.types import NotificationType

log = structlog.get_logger(__name__)
SWEEP_BATCH = 200
ITEM_REMOVED = "item_removed"
LibraryItem = tuple[str, uuid.UUID]  # (library media type, id)
# Larger numbers are no TMDB id (and would not fit the library's integer columns).
_NUMERIC_ID = re.compile(r"[0-9]{1,9}")


# --- the library, read through its lookups ----------------------------------------------------


def _numeric(external_id: str) -> int | None:
    return int(external_id) if _NUMERIC_ID.fullmatch(external_id) else None


async def find_in_library(
    session: AsyncSession,
    *,
    media_type: str,
    external_source: str,
    external_id: str,
    tvdb_id: int | None = None,
    seasons: Sequence[int] | None = None,
) -> LibraryItem | None:
    """The library item a request is satisfied by, ignoring items marked missing."""
    if external_source == ExternalSource.manual:
        return None  # a title alone names no library item with certainty
    if media_type == "movie":
        if not external_id.isdigit():
            return None
        movie_id = await matching.present_movie(session, int(external_id))
        return ("movie", movie_id) if movie_id else None
    if media_type == "tv":
        series_id = await matching.present_series(
            session,
            tmdb_id=int(external_id) if external_id.isdigit() else None,
            tvdb_id=tvdb_id,
            seasons=seasons,
        )
        return ("series", series_id) if series_id else None
    if external_source == ExternalSource.musicbrainz_release_group:
        album_id = await matching.present_album(session, external_id)
        return ("album", album_id) if album_id else None
    artist_id = await matching.present_artist(session, external_id)
    return ("artist", artist_id) if artist_id else None


async def external_keys_of_item(
    session: AsyncSession, media_type: str, media_id: uuid.UUID
) -> tuple[list[tuple[str, str]], list[int]]:
    """The request keys a library item can satisfy: ([(request media type, external id)], tvdb
    ids). An episode or season stands for its series, a track for its album and artist."""
    try:
        kind = MediaType(media_type)
    except ValueError:
        return [], []
    item = await lookup.resolve_one(session, lookup.MediaRef(kind, media_id))
    if item is None:
        return [], []
    if kind == MediaType.movie:
        tmdb = item.external_ids.tmdb
        return ([("movie", str(tmdb))] if tmdb else []), []
    if kind in (MediaType.series, MediaType.season, MediaType.episode):
        ids = item.external_ids if item.series is None else item.series.external_ids
        return ([("tv", str(ids.tmdb))] if ids.tmdb else []), ([ids.tvdb] if ids.tvdb else [])
    values: list[str | None] = []
    if kind == MediaType.track and item.album is not None and item.artist is not None:
        values = [
            item.album.external_ids.musicbrainz_release_group,
            item.artist.external_ids.musicbrainz_artist,
        ]
    elif kind == MediaType.album and item.artist is not None:
        values = [
            item.external_ids.musicbrainz_release_group,
            item.artist.external_ids.musicbrainz_artist,
        ]
    elif kind == MediaType.artist:
        values = [
            item.external_ids.musicbrainz_artist,
            *await matching.release_groups_of_artist(session, item.id),
        ]
    return sorted({("music", value) for value in values if value}), []


async def requests_with_candidates(
    session: AsyncSession, requests: Sequence[ContentRequest]
) -> set[uuid.UUID]:
    """Which of these requests have *some* present library item with their external id.

    A superset of the exact match (TV seasons are not checked here), found in one query so
    the sweep only looks closer at requests that may change.
    """
    numeric = {r.id: n for r in requests if (n := _numeric(r.external_id)) is not None}
    movies = [r for r in requests if r.media_type == "movie" and r.id in numeric]
    shows = [r for r in requests if r.media_type == "tv"]
    albums = [r for r in requests if r.external_source == ExternalSource.musicbrainz_release_group]
    artists = [r for r in requests if r.external_source == ExternalSource.musicbrainz_artist]
    present = await matching.present_ids(
        session,
        movie_tmdb={numeric[r.id] for r in movies},
        series_tmdb={numeric[r.id] for r in shows if r.id in numeric},
        series_tvdb={r.tvdb_id for r in shows if r.tvdb_id is not None},
        release_groups={r.external_id for r in albums},
        artist_mbids={r.external_id for r in artists},
    )
    found = {r.id for r in movies if numeric[r.id] in present.movie_tmdb}
    found |= {
        r.id
        for r in shows
        if (r.id in numeric and numeric[r.id] in present.series_tmdb)
        or (r.tvdb_id is not None and r.tvdb_id in present.series_tvdb)
    }
    found |= {r.id for r in albums if r.external_id in present.release_groups}
    found |= {r.id for r in artists if r.external_id in present.artist_mbids}
    return found


async def library_artwork(
    session: AsyncSession, items: Sequence[tuple[str, uuid.UUID]], secret: str
) -> dict[tuple[str, uuid.UUID], Artwork]:
    """The signed artwork URLs of those library items that have a picture (one batched lookup)."""
    refs = {}
    for media_type, media_id in items:
        try:
            refs[(media_type, media_id)] = lookup.MediaRef.of(media_type, media_id)
        except ValueError:  # not a library kind; nothing to show
            continue
    if not refs:
        return {}
    resolved = await lookup.resolve(session, refs.values())
    return {
        key: urls_for(secret, ref.media_type, ref.id)
        for key, ref in refs.items()
        if (item := resolved.get(ref)) is not None and item.artwork_path is not None
    }


# --- settling requests ------------------------------------------------------------------------


async def _match(session: AsyncSession, request: ContentRequest) -> LibraryItem | None:
    return await find_in_library(
        session,
        media_type=request.media_type,
        external_source=request.external_source,
        external_id=request.external_id,
        tvdb_id=request.tvdb_id,
        seasons=request.seasons,
    )


async def _mark_available(
    session: AsyncSession, request: ContentRequest, item: LibraryItem, settings: Settings
) -> None:
    # An approved request may have been handed to a downloader: it need not be followed now.
    was_approved = request.status != RequestStatus.pending
    request.status = RequestStatus.available
    request.status_reason = None
    request.available_at = clock.utcnow()
    request.library_media_type, request.library_media_id = item
    downloads.forget_handoff_problem(request)
    await session.flush()
    await tell_watchers(session, request, NotificationType.request_available, settings=settings)
    if was_approved:
        await downloads.announce_closed(session, request)
    log.info("content_request.available", request_id=str(request.id), item=item[0])


async def _mark_gone(session: AsyncSession, request: ContentRequest) -> None:
    # Back to "approved": it was wanted and approved; it just is not there any more.
    request.status = RequestStatus.approved
    request.status_reason = ITEM_REMOVED
    request.available_at = None
    request.library_media_type = None
    request.library_media_id = None
    await session.flush()
    log.info("content_request.item_gone", request_id=str(request.id))


async def check_request(session: AsyncSession, request: ContentRequest, settings: Settings) -> bool:
    """Bring one request in line with the library; True when its status changed."""
    item = await _match(session, request)
    if request.status in OPEN_STATUSES and item is not None:
        await _mark_available(session, request, item, settings)
        return True
    if request.status == RequestStatus.available:
        if item is None:
            await _mark_gone(session, request)
            return True
        request.library_media_type, request.library_media_id = item
    return False


async def item_added(
    session: AsyncSession, media_type: str, media_id: uuid.UUID, settings: Settings
) -> int:
    """A library item appeared: settle every open request it may satisfy. Returns how many
    became available."""
    keys, tvdb_ids = await external_keys_of_item(session, media_type, media_id)
    requests = await repository.requests_for_keys(session, keys, tvdb_ids, OPEN_STATUSES)
    changed = 0
    for request in requests:
        changed += await check_request(session, request, settings)
    return changed


async def item_removed(
    session: AsyncSession, media_type: str, media_id: uuid.UUID, settings: Settings
) -> int:
    """A library item went away: requests it satisfied go back to approved unless another
    copy is still there. Returns how many went back."""
    requests = {r.id: r for r in await repository.requests_linked_to(session, media_type, media_id)}
    keys, tvdb_ids = await external_keys_of_item(session, media_type, media_id)
    for request in await repository.requests_for_keys(
        session, keys, tvdb_ids, [RequestStatus.available]
    ):
        requests.setdefault(request.id, request)
    changed = 0
    for request in requests.values():
        changed += await check_request(session, request, settings)
    return changed


def _may_change(request: ContentRequest, has_candidate: bool) -> bool:
    """Whether the exact check could change anything, given the one-query prefilter."""
    if request.status == RequestStatus.available:
        # Gone for sure without a candidate; with one only season coverage can differ.
        return not has_candidate or bool(request.seasons)
    return has_candidate


async def sweep(session: AsyncSession, settings: Settings) -> int:
    """Re-check every open and available request (catches missed events and files marked
    missing by a rescan). Returns how many changed."""
    changed = 0
    after: uuid.UUID | None = None
    statuses = [*OPEN_STATUSES, RequestStatus.available]
    while True:
        batch = await repository.requests_with_status(
            session, statuses, after=after, limit=SWEEP_BATCH
        )
        candidates = await requests_with_candidates(session, batch)
        for request in batch:
            if _may_change(request, request.id in candidates):
                changed += await check_request(session, request, settings)
        if len(batch) < SWEEP_BATCH:
            return changed
        after = batch[-1].id
