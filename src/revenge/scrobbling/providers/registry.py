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


_CLASSES: dict[ProviderName, type[ScrobbleProvider]] = {
    ProviderName.trakt: TraktProvider,
    ProviderName.lastfm: LastfmProvider,
    ProviderName.listenbrainz: ListenBrainzProvider,
}


def provider_label(name: ProviderName | str) -> str:
    """The name users know a provider by (no settings needed: it is the class's)."""
    return _CLASSES[ProviderName(name)].label


def all_providers(settings: Settings) -> list[ScrobbleProvider]:
    return [get_provider(name, settings) for name in ProviderName]
