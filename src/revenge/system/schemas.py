from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel


class Health(BaseModel):
    status: str
    checks: dict[str, str] = {}


class JobRead(BaseModel):
    id: int
    task_name: str
    queue_name: str
    status: str
    attempts: int
    args: dict[str, Any]
    scheduled_at: datetime | None
    queueing_lock: str | None
