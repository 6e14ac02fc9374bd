"""The providers by name: the one place that knows which classes exist."""

from __future__ import annotations

from revenge.core.config import Settings
from revenge.scrobbling.providers.base import ProviderName, ScrobbleProvider
from revenge.scrobbling.providers.lastfm import LastfmProvider
from revenge.scrobbling.providers.listenbrainz import ListenBrainzProvider
from revenge.scrobbling.providers.trakt import TraktProvider


def get_provider(name: ProviderName | str, settings: Settings) -> ScrobbleProvider:
    """A provider configured from ``settings`` (cheap; built per use so tests can repoint URLs)."""
    match ProviderName(name):
        case ProviderName.trakt:
            return TraktProvider(settings.trakt)
        case ProviderName.lastfm:
            return LastfmProvider(settings.lastfm)
        case ProviderName.listenbrainz:
            return ListenBrainzProvider(settings.listenbrainz)


def all_providers(settings: Settings) -> list[ScrobbleProvider]:
    return [get_provider(name, settings) for name in ProviderName]
