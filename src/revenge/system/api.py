from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from revenge.core.deps import AdminUser, DbSession
from revenge.core.errors import problem_responses
from revenge.core.pagination import PageParams, page_params
from revenge.system import service
from revenge.system.schemas import Health, JobFacets, JobPage

ops_router = APIRouter(tags=["operations"])
router = APIRouter(tags=["admin"], responses=problem_responses(401, 403))

JobStatus = Literal["todo", "doing", "succeeded", "failed", "cancelled", "aborting", "aborted"]


@ops_router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    """The process is up (says nothing about the database)."""
    return Health(status="ok")


@ops_router.get("/readyz", response_model=Health, responses={503: {"model": Health}})
async def readyz() -> Response:
    """Ready to serve: the database answers and its migrations are current."""
    checks = await service.readiness()
    ready = all(value == "ok" for value in checks.values())
    body = Health(status="ok" if ready else "unavailable", checks=checks)
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)


@ops_router.get("/metrics", response_class=Response)
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


@router.get("/admin/jobs", response_model=JobPage)
async def list_jobs(
    admin: AdminUser,
    session: DbSession,
    status: JobStatus | None = None,
    task: Annotated[str | None, Query(max_length=128)] = None,
    queue: Annotated[str | None, Query(max_length=128)] = None,
    routine: Annotated[
        bool,
        Query(description="include the periodic sweeps that succeeded (left out by default)"),
    ] = False,
    page: PageParams = Depends(page_params),
) -> JobPage:
    """Jobs, newest first, with when each ran and for how long."""
    items, total, hidden = await service.list_jobs(
        session,
        status=status,
        task=task,
        queue=queue,
        routine=routine,
        limit=page.limit,
        offset=page.offset,
    )
    return JobPage(
        items=items, total=total, limit=page.limit, offset=page.offset, routine_hidden=hidden
    )


@router.get("/admin/jobs/facets", response_model=JobFacets)
async def job_facets(admin: AdminUser, session: DbSession) -> JobFacets:
    """The task and queue names the job list can be filtered by."""
    return await service.job_facets(session)
