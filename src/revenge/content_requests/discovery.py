"""Finding something to request: provider search, TMDB's popular and upcoming lists, a
series' seasons for the season picker, and what this server's setup offers at all.

Every result says whether it is in the library already or requested (and how far along), so
the page shows "In the library" or the request's state instead of a Request button.
"""

from __future__ import annotations

from collections.abc import Sequence

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.content_requests import availability, repository
from revenge.content_requests.metadata.base import ExternalItem
from revenge.content_requests.metadata.problems import provider_problem
from revenge.content_requests.metadata.registry import (
    discovery_configured,
    provider_for,
    searchable_media_types,
    tmdb_provider,
)
from revenge.content_requests.metadata.tmdb import poster_url
from revenge.content_requests.models import RequestMediaType, RequestStatus
from revenge.content_requests.schemas import (
    DiscoverList,
    DiscoverMediaType,
    DiscoverPage,
    LibraryItemRef,
    RequestOptions,
    SearchResult,
    SeasonInfo,
    SeriesSeasons,
)
from revenge.core.config import Settings
from revenge.core.errors import ServiceUnavailable
from revenge.core.http import ProviderError
from revenge.library import matching

log = structlog.get_logger(__name__)


def options(settings: Settings) -> RequestOptions:
    return RequestOptions(
        search=[RequestMediaType(m) for m in searchable_media_types(settings)],
        discover=discovery_configured(settings),
    )


async def _annotate(
    session: AsyncSession, media_type: str, items: Sequence[ExternalItem], secret: str
) -> list[SearchResult]:
    """Provider items with their library and request state."""
    requests = await repository.requests_by_external(
        session, media_type, [i.external_id for i in items]
    )
    found = {}
    for item in items:
        found[item.external_id] = await availability.find_in_library(
            session,
            media_type=item.media_type,
            external_source=item.external_source,
            external_id=item.external_id,
            tvdb_id=item.tvdb_id,
        )
    art = await availability.library_artwork(
        session, [hit for hit in found.values() if hit is not None], secret
    )
    results = []
    for item in items:
        hit = found[item.external_id]
        request = requests.get(item.external_id)
        results.append(
            SearchResult(
                media_type=RequestMediaType(media_type),
                external_source=item.external_source,
                external_id=item.external_id,
                title=item.title,
                year=item.year,
                overview=item.overview,
                poster_path=item.poster_path,
                poster_url=poster_url(item.poster_path) if item.external_source == "tmdb" else None,
                in_library=hit is not None,
                library_item=LibraryItemRef(media_type=hit[0], media_id=hit[1]) if hit else None,
                artwork=art.get(hit) if hit else None,
                requested=request is not None,
                request_id=request.id if request else None,
                request_status=RequestStatus(request.status) if request else None,
            )
        )
    return results


async def search(
    session: AsyncSession, media_type: RequestMediaType, query: str, settings: Settings
) -> list[SearchResult]:
    """Provider search results, each saying whether it is in the library or requested."""
    provider = provider_for(media_type, settings)
    if provider is None:
        raise ServiceUnavailable("content_request.search_unavailable")
    try:
        items = await provider.search(media_type, query)
    except ProviderError as exc:
        log.warning("content_request.search_failed", provider=provider.name, reason=exc.reason)
        raise provider_problem(provider.name, exc) from exc
    finally:
        await provider.aclose()
    return await _annotate(session, media_type, items, settings.secret)


async def discover(
    session: AsyncSession,
    which: DiscoverList,
    media_type: DiscoverMediaType,
    page: int,
    settings: Settings,
) -> DiscoverPage:
    """A page of TMDB's popular or upcoming movies or series (upcoming TV: on the air)."""
    provider = tmdb_provider(settings)
    if provider is None:
        raise ServiceUnavailable("content_request.discover_unavailable")
    try:
        found = await provider.discover(media_type, which, page)
    except ProviderError as exc:
        log.warning("content_request.discover_failed", provider=provider.name, reason=exc.reason)
        raise provider_problem(provider.name, exc) from exc
    finally:
        await provider.aclose()
    items = await _annotate(session, media_type, found.items, settings.secret)
    return DiscoverPage(
        list_name=which,
        media_type=media_type,
        items=items,
        page=found.page,
        total_pages=max(found.total_pages, found.page),
    )


async def seasons(session: AsyncSession, external_id: str, settings: Settings) -> SeriesSeasons:
    """A series' seasons from TMDB, each saying whether the library has it."""
    provider = tmdb_provider(settings)
    if provider is None:
        raise ServiceUnavailable("content_request.search_unavailable")
    try:
        series, listed = await provider.seasons(external_id)
    except ProviderError as exc:
        log.warning("content_request.seasons_failed", provider=provider.name, reason=exc.reason)
        raise provider_problem(provider.name, exc) from exc
    finally:
        await provider.aclose()
    tmdb_id = int(series.external_id)
    # One look for the series; only a series the library has is asked season by season.
    in_library = await matching.present_series(session, tmdb_id=tmdb_id, tvdb_id=series.tvdb_id)
    present = set()
    if in_library is not None:
        for season in listed:
            if await matching.present_series(
                session, tmdb_id=tmdb_id, tvdb_id=series.tvdb_id, seasons=[season.number]
            ):
                present.add(season.number)
    return SeriesSeasons(
        external_id=series.external_id,
        title=series.title,
        seasons=[
            SeasonInfo(
                number=s.number,
                name=s.name,
                episode_count=s.episode_count,
                air_date=s.air_date,
                in_library=s.number in present,
            )
            for s in listed
        ],
    )
