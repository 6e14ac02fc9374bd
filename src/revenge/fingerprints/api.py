from __future__ import annotations

import tempfile
import uuid
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from revenge.core.deps import AdminUser, AppSettings, DbSession
from revenge.core.errors import PayloadTooLarge, Unprocessable, problem_responses
from revenge.core.pagination import Page, PageParams, page_params
from revenge.fingerprints import duplicates, recording_ids, service
from revenge.fingerprints.schemas import (
    AcoustidLookupRead,
    AcoustidLookupStatus,
    AcoustidSummary,
    DuplicateDismiss,
    DuplicateDismissalRead,
    DuplicateGroupRead,
    DuplicateKind,
    GenerateItemResult,
    GenerateTarget,
    MatchRequest,
    MatchResult,
    RunRead,
)

router = APIRouter(
    prefix="/admin/fingerprint", tags=["fingerprints"], responses=problem_responses(401, 403)
)
UPLOAD_CHUNK = 1024 * 1024


@router.post(
    "/generate/{type}/{id}",
    response_model=GenerateItemResult,
    responses=problem_responses(404, 422),
)
async def generate_item(
    type: GenerateTarget,
    id: uuid.UUID,
    admin: AdminUser,
    session: DbSession,
    settings: AppSettings,
) -> GenerateItemResult:
    """Fingerprint one item now (its file and its images) and queue duplicate detection (and,
    with an AcoustID key, a look-up of a track that has no recording id)."""
    return await service.generate_item(session, settings, type, id, force=True)


@router.post("/generate", response_model=RunRead, status_code=202)
async def generate_library(admin: AdminUser, session: DbSession) -> RunRead:
    """Start a library-wide run (or return the one in progress); poll ``runs/{id}``."""
    return service.run_read(await service.start_run(session))


@router.get("/runs/{run_id}", response_model=RunRead, responses=problem_responses(404))
async def get_run(run_id: uuid.UUID, admin: AdminUser, session: DbSession) -> RunRead:
    return service.run_read(await service.get_run(session, run_id))


@router.get("/duplicates", response_model=Page[DuplicateGroupRead])
async def list_duplicates(
    admin: AdminUser,
    session: DbSession,
    settings: AppSettings,
    kind: DuplicateKind | None = None,
    min_score: Annotated[
        float | None,
        Query(ge=0.0, le=1.0, description="only groups whose weakest link scores at least this"),
    ] = None,
    dismissed: Annotated[
        bool, Query(description="list the dismissed groups instead of those to look at")
    ] = False,
    page: PageParams = Depends(page_params),
) -> Page[DuplicateGroupRead]:
    items, total = await duplicates.list_groups(
        session,
        kind,
        min_score,
        page.limit,
        page.offset,
        secret=settings.secret,
        dismissed=dismissed,
    )
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.post(
    "/duplicates/{group_id}/dismiss",
    response_model=DuplicateDismissalRead,
    responses=problem_responses(404, 422),
)
async def dismiss_duplicates(
    group_id: uuid.UUID, body: DuplicateDismiss, admin: AdminUser, session: DbSession
) -> DuplicateDismissalRead:
    """ "Keep this one" or "not duplicates": the group leaves the list until another member
    joins it. No file is touched."""
    return await duplicates.dismiss(session, group_id, body, admin.id)


@router.delete("/duplicates/{group_id}/dismiss", status_code=204, responses=problem_responses(404))
async def restore_duplicates(group_id: uuid.UUID, admin: AdminUser, session: DbSession) -> None:
    """Undo a dismissal: the group is listed again."""
    await duplicates.restore(session, group_id)


@router.get("/acoustid", response_model=AcoustidSummary)
async def acoustid_summary(
    admin: AdminUser, session: DbSession, settings: AppSettings
) -> AcoustidSummary:
    """AcoustID look-ups at a glance: configured?, the key refused?, counts by status."""
    return await recording_ids.summary(session, settings)


@router.get("/acoustid/lookups", response_model=Page[AcoustidLookupRead])
async def list_acoustid_lookups(
    admin: AdminUser,
    session: DbSession,
    status: AcoustidLookupStatus | None = None,
    page: PageParams = Depends(page_params),
) -> Page[AcoustidLookupRead]:
    """Per-track look-ups, most recently changed first: what was filled (with its score), the
    candidates left alone and why, the failures with their reason."""
    items, total = await recording_ids.list_lookups(session, status, page.limit, page.offset)
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


_MATCH_BODY = {
    "requestBody": {
        "content": {
            "application/json": {
                "schema": MatchRequest.model_json_schema(
                    ref_template="#/components/schemas/{model}"
                )
            },
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
        },
        "required": True,
    }
}


@router.post(
    "/match",
    response_model=MatchResult,
    responses=problem_responses(413, 422),
    openapi_extra=_MATCH_BODY,
)
async def match(
    request: Request,
    admin: AdminUser,
    session: DbSession,
    settings: AppSettings,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> MatchResult:
    """Best library matches for an uploaded audio/image file or a raw fingerprint (JSON)."""
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        max_bytes = settings.fingerprint.max_upload_bytes
        async with request.form(max_files=1, max_fields=5) as form:
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise Unprocessable("fingerprint.match_input_missing", field="file")
            with tempfile.TemporaryDirectory(prefix="revenge-match-") as tmp:
                path = Path(tmp) / "upload"
                await _save_upload(upload, path, max_bytes)
                return await service.match_file(session, settings, path, limit=limit)
    try:
        body = MatchRequest.model_validate_json(await request.body())
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False)) from exc
    return await service.match_raw(
        session,
        settings,
        body.fingerprint_type,
        values=body.fingerprint,
        phash_hex=body.phash,
        limit=body.limit if "limit" in body.model_fields_set else limit,
    )


async def _save_upload(upload: UploadFile, path: Path, max_bytes: int) -> None:
    written = 0
    with path.open("wb") as out:
        while chunk := await upload.read(UPLOAD_CHUNK):
            written += len(chunk)
            if written > max_bytes:
                raise PayloadTooLarge(
                    "fingerprint.upload_too_large", max_mb=max_bytes // (1024 * 1024)
                )
            out.write(chunk)
