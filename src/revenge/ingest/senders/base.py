"""What every sender of webhooks is to the rest of ingest: a kind and a parser."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Protocol

from revenge.ingest.incoming import IncomingEvent


class SourceKind(StrEnum):
    jellyfin = "jellyfin"
    emby = "emby"
    plex = "plex"


class Sender(Protocol):
    """Turns one webhook body of its server into play events.

    ``parse`` is pure (no I/O): the receiver calls it to refuse a malformed body before
    anything is stored, and the drain job calls it again on the stored body. It returns no
    event for a notification that is not about a play (a library scan, a rating, a login), and
    raises ``MalformedPayload`` for a body that is not a webhook of this kind at all.
    ``received_at`` stands in for the time of a sender that does not say when (Plex).
    """

    kind: SourceKind
    label: str

    def parse(
        self, content_type: str, body: bytes, received_at: datetime
    ) -> list[IncomingEvent]: ...
