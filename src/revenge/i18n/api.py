from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from revenge.core.errors import problem_responses
from revenge.core.http_ranges import etag_matches
from revenge.i18n import service
from revenge.i18n.schemas import LocaleInfo

router = APIRouter(prefix="/i18n", tags=["i18n"])


@router.get("/locales", response_model=list[LocaleInfo])
async def list_locales() -> list[LocaleInfo]:
    return service.list_locales()


@router.get(
    "/{locale}",
    response_model=dict[str, Any],
    responses={304: {"description": "Not modified"}, **problem_responses(404)},
)
async def get_catalogue(locale: str, request: Request) -> Response:
    catalogue = service.get_catalogue(locale)
    headers = {"ETag": catalogue.etag, "Cache-Control": "public, max-age=0, must-revalidate"}
    if etag_matches(request.headers.get("if-none-match"), catalogue.etag):
        return Response(status_code=304, headers=headers)
    return JSONResponse(catalogue.tree, headers=headers)
