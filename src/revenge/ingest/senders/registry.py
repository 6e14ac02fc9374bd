"""The senders by kind: the one place that knows which parsers exist."""

from __future__ import annotations

from revenge.ingest.senders.base import Sender, SourceKind
from revenge.ingest.senders.emby import EmbySender
from revenge.ingest.senders.jellyfin import JellyfinSender
from revenge.ingest.senders.plex import PlexSender

_SENDERS: dict[SourceKind, Sender] = {
    SourceKind.jellyfin: JellyfinSender(),
    SourceKind.emby: EmbySender(),
    SourceKind.plex: PlexSender(),
}


def sender_for(kind: SourceKind | str) -> Sender:
    return _SENDERS[SourceKind(kind)]
