from __future__ import annotations

from typing import Any

from pydantic import BaseModel

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
