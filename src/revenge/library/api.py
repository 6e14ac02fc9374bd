"""Library routes: admins manage libraries and scans; every logged-in user reads items."""

# No `from __future__ import annotations`: the generated routes close over their kind.

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Response, status

from revenge.core.deps import AdminUser, CurrentUser, DbSession
from revenge.core.errors import problem_responses
from revenge.core.media import MediaType
from revenge.core.pagination import Page, PageParams, page_params
from revenge.core.types import text_query
from revenge.library import artwork, service
from revenge.library.repository import ListFilter
from revenge.library.schemas import (
    AlbumRead,
    ArtistRead,
    EpisodeRead,
    LibraryCreate,
    LibraryRead,
    LibraryScanRead,
    LibraryUpdate,
    MovieRead,
    SeriesRead,
    TrackRead,
)
from revenge.library.service import ItemKind

admin_router = APIRouter(
    prefix="/admin/libraries", tags=["library admin"], responses=problem_responses(401, 403)
)
read_router = APIRouter(prefix="/library", tags=["library"], responses=problem_responses(401))
# No login: <img src> cannot send a bearer token; the URL's signature is the proof.
artwork_router = APIRouter(prefix="/artwork", tags=["library"])


@admin_router.post(
    "",
    response_model=LibraryRead,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(409, 422),
)
async def create_library(body: LibraryCreate, _: AdminUser, session: DbSession) -> LibraryRead:
    library = await service.create_library(session, body)
    return (await service.describe_libraries(session, [library]))[0]


@admin_router.get("", response_model=Page[LibraryRead])
async def list_libraries(
    _: AdminUser, session: DbSession, page: PageParams = Depends(page_params)
) -> Page[LibraryRead]:
    items, total = await service.list_libraries(session, page.limit, page.offset)
    return Page(
        items=await service.describe_libraries(session, items),
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@admin_router.patch(
    "/{library_id}", response_model=LibraryRead, responses=problem_responses(404, 409, 422)
)
async def update_library(
    library_id: uuid.UUID, body: LibraryUpdate, _: AdminUser, session: DbSession
) -> LibraryRead:
    """Rename the library, set its scan interval (minutes; 0 = no scheduled scans) or switch
    folder watching on or off."""
    library = await service.update_library(session, library_id, body)
    return (await service.describe_libraries(session, [library]))[0]


@admin_router.post(
    "/{library_id}/scan",
    response_model=LibraryScanRead,
    status_code=status.HTTP_202_ACCEPTED,
    responses=problem_responses(404, 422),
)
async def scan_library(library_id: uuid.UUID, _: AdminUser, session: DbSession) -> LibraryScanRead:
    return LibraryScanRead.model_validate(await service.request_scan(session, library_id))


@admin_router.get(
    "/scans/{scan_id}", response_model=LibraryScanRead, responses=problem_responses(404, 422)
)
async def get_scan(scan_id: uuid.UUID, _: AdminUser, session: DbSession) -> LibraryScanRead:
    return LibraryScanRead.model_validate(await service.get_scan(session, scan_id))


_READ_MODELS: dict[ItemKind, Any] = {
    ItemKind.movies: MovieRead,
    ItemKind.series: SeriesRead,
    ItemKind.episodes: EpisodeRead,
    ItemKind.artists: ArtistRead,
    ItemKind.albums: AlbumRead,
    ItemKind.tracks: TrackRead,
}
# The filter each list understands as ``?parent_id=`` (documented per route).
_PARENTS = {
    ItemKind.episodes: "series",
    ItemKind.albums: "artist",
    ItemKind.tracks: "album",
}


# The order a list comes in when no ``sort`` is asked for.
_NATURAL_ORDER = {
    ItemKind.episodes: "by series, season and episode number",
    ItemKind.tracks: "by album, disc and track number",
}


def _add_read_routes(kind: ItemKind, model: Any) -> None:
    parent = _PARENTS.get(kind)
    choices = service.sort_choices(kind)
    natural = _NATURAL_ORDER.get(kind, "by title")

    async def list_route(
        user: CurrentUser,
        session: DbSession,
        page: PageParams = Depends(page_params),
        q: Annotated[
            str | None, text_query(max_length=200, description="case-insensitive title/name search")
        ] = None,
        include_missing: Annotated[
            bool, Query(description="also list items whose file is gone")
        ] = False,
        parent_id: Annotated[
            uuid.UUID | None,
            Query(description=f"only the {parent}'s items" if parent else "not used here"),
        ] = None,
        sort: Annotated[
            str | None,
            Query(
                max_length=16,
                description=(
                    f"order: {', '.join(choices)} ('-': descending; added = when a scan "
                    f"found it); left out: {natural}. Ties keep a stable order."
                ),
                json_schema_extra={"enum": choices},
            ),
        ] = None,
    ) -> Page[Any]:
        flt = ListFilter(
            q=q or None, include_missing=include_missing, parent_id=parent_id, sort=sort
        )
        items, total = await service.list_items(
            session, kind, flt, page.limit, page.offset, show_paths=user.is_admin
        )
        return Page(items=items, total=total, limit=page.limit, offset=page.offset)

    async def get_route(item_id: uuid.UUID, user: CurrentUser, session: DbSession) -> Any:
        return await service.get_item(session, kind, item_id, show_paths=user.is_admin)

    read_router.add_api_route(
        f"/{kind.value}",
        list_route,
        methods=["GET"],
        response_model=Page[model],
        name=f"list_{kind.value}",
        summary=f"List {kind.value}",
        responses=problem_responses(422),
    )
    read_router.add_api_route(
        f"/{kind.value}/{{item_id}}",
        get_route,
        methods=["GET"],
        response_model=model,
        name=f"get_{kind.value}",
        summary=f"One of the {kind.value}",
        responses=problem_responses(404, 422),
    )


for _kind, _model in _READ_MODELS.items():
    _add_read_routes(_kind, _model)


@artwork_router.get(
    "/{media_type}/{media_id}/{width}",
    response_class=Response,
    responses={
        200: {"content": {"image/webp": {}}, "description": "the picture, resized, as WebP"},
        304: {"description": "the copy the client holds (If-None-Match) is current"},
        **problem_responses(404, 422),
    },
)
async def get_artwork(
    media_type: MediaType,
    media_id: uuid.UUID,
    width: Annotated[int, Path(description="one of 96, 160, 320, 640")],
    sig: Annotated[str | None, Query(max_length=64, description="from the signed URL")] = None,
    if_none_match: Annotated[str | None, Header(max_length=1024)] = None,
) -> Response:
    """An item's poster or cover (or its parent's) at ``width`` px wide, from a signed URL the
    read models' ``artwork`` carry. A wrong signature answers 404 like an item without
    artwork."""
    found = await artwork.picture(media_type, media_id, width, sig, if_none_match)
    headers = {"ETag": found.etag, "Cache-Control": artwork.CACHE_CONTROL}
    if found.body is None:
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    return Response(found.body, media_type="image/webp", headers=headers)
