"""The metadata provider protocol and what every provider returns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from revenge.core.http import PermanentError


@dataclass(frozen=True)
class ExternalItem:
    """One thing a user can request, as a provider describes it."""

    media_type: str  # RequestMediaType
    external_source: str  # ExternalSource
    external_id: str
    title: str
    year: int | None = None
    overview: str | None = None
    poster_path: str | None = None
    tvdb_id: int | None = None


class UnknownExternalId(PermanentError):
    """The provider does not know this id (TMDB 404 / MusicBrainz 404 or invalid MBID)."""


class MetadataProvider(Protocol):
    """A metadata service for some media types (TMDB for movies/TV, MusicBrainz for music)."""

    name: str

    async def lookup(self, media_type: str, external_source: str, external_id: str) -> ExternalItem:
        """The item behind ``external_id``; raises ``UnknownExternalId`` or a ``ProviderError``."""
        ...

    async def search(self, media_type: str, query: str) -> list[ExternalItem]:
        """Candidates for ``query`` (the first page is enough for a request UI)."""
        ...

    async def aclose(self) -> None: ...


def year_of(date: str | None) -> int | None:
    """``"1995-12-15"`` / ``"1998"`` → 1995 / 1998; ``""`` or None → None."""
    if date and len(date) >= 4 and date[:4].isdigit():
        return int(date[:4])
    return None
