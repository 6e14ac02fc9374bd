from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from revenge.core.deps import AdminUser, DbSession
from revenge.core.errors import problem_responses
from revenge.core.pagination import Page, PageParams, page_params
from revenge.system import service
from revenge.system.schemas import Health, JobRead

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


@router.get("/admin/jobs", response_model=Page[JobRead])
async def list_jobs(
    admin: AdminUser,
    session: DbSession,
    status: JobStatus | None = None,
    task: str | None = None,
    page: PageParams = Depends(page_params),
) -> Page[JobRead]:
    items, total = await service.list_jobs(session, status, task, page.limit, page.offset)
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)
