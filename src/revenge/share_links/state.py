"""A grant's state (active, expired, revoked, used up) and views left: what both the owner's
list and the public side decide from."""

from __future__ import annotations

from datetime import datetime

from revenge.core import clock
from revenge.share_links.models import MediaGrant
from revenge.share_links.schemas import GrantState


def grant_state(grant: MediaGrant, now: datetime | None = None) -> GrantState:
    now = now or clock.utcnow()
    if grant.revoked_at is not None:
        return "revoked"
    if grant.expires_at is not None and grant.expires_at <= now:
        return "expired"
    if grant.max_views is not None and grant.current_views >= grant.max_views:
        return "used_up"
    return "active"


def views_left(grant: MediaGrant) -> int | None:
    return None if grant.max_views is None else max(0, grant.max_views - grant.current_views)
