from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, Field

from revenge.core.artwork_urls import Artwork
from revenge.core.types import SaneAwareDatetime, SaneDatetime, Text

ShareableType = Literal["movie", "episode", "series", "track", "album"]
GrantState = Literal["active", "expired", "revoked", "used_up"]


class GrantCreate(BaseModel):
    media_type: ShareableType
    media_id: uuid.UUID
    expires_at: SaneAwareDatetime | None = Field(
        None, description="When the link stops working; defaults to the admin's maximum expiry."
    )
    max_views: int | None = Field(
        None, ge=1, le=1_000_000, description="How many times the link may be opened."
    )
    password: Text | None = Field(None, min_length=4, max_length=200)
    allow_download: bool = True
    description: Text | None = Field(
        None, max_length=500, description="A note for yourself; never shown on the public page."
    )


class GrantRead(BaseModel):
    id: uuid.UUID
    media_type: ShareableType
    media_id: uuid.UUID
    title: Text | None
    state: GrantState
    expires_at: SaneDatetime | None
    max_views: int | None
    current_views: int
    views_left: int | None
    requires_password: bool
    allow_download: bool
    description: Text | None
    revoked_at: SaneDatetime | None
    last_viewed_at: SaneDatetime | None
    last_opened_at: SaneDatetime | None = Field(
        None,
        description="When someone last got in: opened the page, unlocked it or started a stream "
        "(from the link's access log; refused attempts do not count).",
    )
    ended_at: SaneDatetime | None = Field(
        None,
        description="When a link that no longer works stopped working: revoked, expired or its "
        "last view used; null while it is active. A dead link's `expires_at` may lie in the "
        "future (revoked or used up before), so show this instead.",
    )
    artwork: Artwork | None = Field(
        None, description="Signed poster/cover URLs of the shared item; null without artwork."
    )
    created_at: SaneDatetime


class GrantCreated(GrantRead):
    token: Text = Field(
        description="The link's secret. Shown only in this response: the server keeps just a "
        "hash of it, so a lost link cannot be shown again (revoke it and create a new one)."
    )
    url: Text = Field(description="The public share page; shown only once, like `token`.")


class SharedItem(BaseModel):
    media_type: Text
    id: uuid.UUID
    title: Text
    subtitle: Text | None = None
    year: int | None = None
    duration_ms: int | None = None
    season_number: int | None = None
    number: int | None = None
    overview: Text | None = Field(None, description="A movie's or series' plot summary.")


class SharePage(BaseModel):
    """What a share page shows. Until a password-protected link is unlocked it shows only
    that a password is needed, the kind of item and the link's limits."""

    media_type: Text
    shared_by: Text | None = Field(
        None,
        description="Who shared it: their display name, or null when they have none (the page "
        'then says "someone"). Never the username or email address. Shown before unlocking '
        "too, so the visitor knows whom to ask for the password.",
    )
    requires_password: bool
    unlocked: bool
    expires_at: SaneDatetime | None
    views_left: int | None
    allow_download: bool
    item: SharedItem | None = None
    items: list[SharedItem] = Field(
        default_factory=list, description="A shared series' episodes or album's tracks."
    )
    has_artwork: bool = False
    access_token: Text | None = Field(
        None,
        description="Lets the player stream without using up more views: sent back as the "
        "cookie (set on this response) or as `?access=`. Valid for a few hours, only for this link.",
    )
    access_expires_at: SaneDatetime | None = None


class UnlockRequest(BaseModel):
    password: Text = Field(max_length=200)


class UnlockResult(BaseModel):
    access_token: Text
    access_expires_at: SaneDatetime
