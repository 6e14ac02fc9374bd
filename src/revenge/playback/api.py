from __future__ import annotations

from fastapi import APIRouter, Depends

from revenge.core.deps import AppSettings, CurrentUser, DbSession
from revenge.core.errors import problem_responses
from revenge.core.pagination import Page, PageParams, page_params
from revenge.playback import service
from revenge.playback.schemas import HistoryEntry, PlaybackEventCreate, PlaySessionRead

ERRORS = problem_responses(401, 404, 409, 422)
router = APIRouter(tags=["playback"], responses=ERRORS)


@router.post("/playback/events", response_model=PlaySessionRead)
async def post_event(
    body: PlaybackEventCreate, user: CurrentUser, session: DbSession, settings: AppSettings
) -> PlaySessionRead:
    return PlaySessionRead.model_validate(await service.record_event(session, user, body, settings))


@router.get("/users/me/history", response_model=Page[HistoryEntry])
async def my_history(
    user: CurrentUser, session: DbSession, page: PageParams = Depends(page_params)
) -> Page[HistoryEntry]:
    items, total = await service.history(session, user, page.limit, page.offset)
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)
