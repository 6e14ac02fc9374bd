from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from revenge.core.pagination import Page
from revenge.core.types import SaneDatetime, Text


class Health(BaseModel):
    status: Text
    checks: dict[Text, Text] = {}


class JobRead(BaseModel):
    id: int
    task_name: Text
    queue_name: Text
    status: Text
    attempts: int
    args: dict[Text, Any]
    scheduled_at: SaneDatetime | None
    queueing_lock: Text | None
    periodic: bool = Field(
        description="deferred by the schedule (a periodic sweep), not by an event"
    )
    started_at: SaneDatetime | None = Field(description="when its last attempt started")
    finished_at: SaneDatetime | None = Field(description="when it ended (finished jobs only)")
    duration_ms: int | None = Field(
        description="finished: its last attempt's run time; running: the time so far"
    )


class JobPage(Page[JobRead]):
    routine_hidden: int = Field(
        description="periodic jobs that succeeded, left out because routine=false"
    )


class JobFacets(BaseModel):
    """What the job list can be filtered by: the tasks and queues that have jobs."""

    tasks: list[Text]
    queues: list[Text]
