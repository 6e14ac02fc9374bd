from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from revenge.core.types import SaneDatetime, Text
from revenge.ingest.paths import is_absolute
from revenge.ingest.senders.base import SourceKind

MAX_PATH_RULES = 20
MAX_LINKS = 500


def _absolute(value: str) -> str:
    if not is_absolute(value):
        raise PydanticCustomError("absolute_path", "must be an absolute path")
    return value


AbsolutePath = Annotated[Text, Field(min_length=1, max_length=1024), AfterValidator(_absolute)]
SourceName = Annotated[Text, Field(min_length=1, max_length=100)]


class PathRewrite(BaseModel):
    """``from`` (a prefix of the sender's paths) is replaced by ``to`` (where this server sees
    the same folder)."""

    model_config = ConfigDict(populate_by_name=True)

    from_: AbsolutePath = Field(alias="from")
    to: AbsolutePath


class SourceCreate(BaseModel):
    kind: SourceKind
    name: SourceName
    path_map: list[PathRewrite] = Field(default_factory=list, max_length=MAX_PATH_RULES)


class SourceUpdate(BaseModel):
    name: SourceName | None = None
    path_map: list[PathRewrite] | None = Field(None, max_length=MAX_PATH_RULES)
    # A new secret: the old webhook URL stops working, the new one is shown in the answer once.
    rotate_token: bool = False


class SourceRead(BaseModel):
    id: uuid.UUID
    kind: SourceKind
    name: Text
    path_map: list[PathRewrite]
    created_at: SaneDatetime
    last_received_at: SaneDatetime | None
    received: int
    applied: int
    duplicates: int
    unmatched: int
    # Webhooks stored and not processed yet (normally for a moment only).
    waiting: int
    last_error: Text | None
    last_error_at: SaneDatetime | None


class SourceWithUrl(SourceRead):
    """The answer that shows the webhook URL: it carries the secret token, shown only here (the
    server keeps a hash of it)."""

    webhook_url: Text
    token: Text


class SourceUpdated(SourceRead):
    """After a ``rotate_token``: the new URL and token, shown here only (else null)."""

    webhook_url: Text | None = None
    token: Text | None = None


class ExternalUserRead(BaseModel):
    id: uuid.UUID
    external_id: Text
    name: Text
    user_id: uuid.UUID | None
    username: Text | None
    # name: same name as a local user; admin: linked (or unlinked) by an admin; created: a
    # local account made for this user (``REVENGE_INGEST_CREATE_USERS``).
    linked_by: Literal["name", "admin", "created"] | None
    last_seen_at: SaneDatetime | None
    pending: int


class ExternalUserLink(BaseModel):
    external_id: Text = Field(min_length=1, max_length=200)
    # The local user to link to; null unlinks (and stops linking by name).
    user_id: uuid.UUID | None


class UnmatchedGroup(BaseModel):
    reason: Literal["item", "user"]
    description: Text
    source_id: uuid.UUID | None
    # The source's name, or "ListenBrainz" for listens that came in through /1/.
    source_name: Text
    source_kind: Text
    count: int
    last_received_at: SaneDatetime


class WebhookAccepted(BaseModel):
    # Play events the body holds (0: a notification that is no play, stored all the same).
    events: int
