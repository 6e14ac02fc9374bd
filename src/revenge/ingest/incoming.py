"""One play event as another server sent it, in this server's terms.

The senders (``ingest.senders``) turn a Jellyfin, Emby or Plex webhook into these; the drain job
matches the item (``library.external_match``) and the user (``ingest.users``) and hands the event
to playback, which applies it like a native player event.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from revenge.library.item_hints import ItemHints


class IncomingKind(StrEnum):
    start = "start"
    pause = "pause"
    resume = "resume"
    progress = "progress"
    stop = "stop"
    # "Marked played" in the sender's UI: a finished, counted play that ended at that moment.
    played = "played"
    # A ListenBrainz listen: a finished, counted play that started at that moment.
    listen = "listen"


@dataclass(frozen=True, kw_only=True)
class ExternalUserRef:
    """The sender's user: its own id and name (linked to a local user by name or by an admin)."""

    external_id: str
    name: str


@dataclass(frozen=True, kw_only=True)
class IncomingEvent:
    kind: IncomingKind
    # The sender's time of the event; a sender without one (Plex) gets the time it arrived.
    occurred_at: datetime
    position_ms: int | None
    user: ExternalUserRef
    item: ItemHints
    # The sender's own id of the item (Jellyfin ItemId, Plex ratingKey): keeps duplicates apart.
    external_item_id: str | None = None
    client: str | None = None
    device: str | None = None

    def dedupe_key(self, source_id: object) -> str:
        """Same source, user, item, kind and time: the same event (senders repeat themselves)."""
        raw = "|".join(
            str(part)
            for part in (
                source_id,
                self.user.external_id,
                self.external_item_id or self.item.describe(),
                self.kind.value,
                self.occurred_at.isoformat(),
            )
        )
        return hashlib.sha256(raw.encode()).hexdigest()


class MalformedPayload(ValueError):
    """The body is not a webhook of the source's kind (answered 400, nothing stored)."""
