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


def ended_at(grant: MediaGrant, now: datetime | None = None) -> datetime | None:
    """When the link stopped working, or None while it works: the earliest of its revocation,
    its expiry (once passed) and the view that used it up. A link revoked after it had expired
    ended when it expired; its ``expires_at`` may lie in the future when it was revoked or used
    up first, so the owner's list shows this moment instead."""
    now = now or clock.utcnow()
    if grant_state(grant, now) == "active":
        return None
    ends = [grant.revoked_at]
    if grant.expires_at is not None and grant.expires_at <= now:
        ends.append(grant.expires_at)
    if grant.max_views is not None and grant.current_views >= grant.max_views:
        # The view that used it up is the last one counted (no later view is ever counted).
        ends.append(grant.last_viewed_at)
    known = [end for end in ends if end is not None]
    return min(known) if known else None
