"""Which provider serves which media type, built from settings (None = not configured)."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from revenge.content_requests.metadata.base import MetadataProvider
from revenge.content_requests.metadata.musicbrainz import MusicBrainzProvider
from revenge.content_requests.metadata.tmdb import TmdbProvider
from revenge.core.config import Settings


class MetadataProviderKind(StrEnum):
    tmdb = "tmdb"
    musicbrainz = "musicbrainz"


PROVIDER_FOR_MEDIA_TYPE = {
    "movie": MetadataProviderKind.tmdb,
    "tv": MetadataProviderKind.tmdb,
    "music": MetadataProviderKind.musicbrainz,
}


def _tmdb_key(settings: Settings) -> str | None:
    key = settings.metadata.tmdb_api_key
    if key is None or not key.get_secret_value() or not settings.metadata.tmdb_api_url:
        return None
    return key.get_secret_value()


def tmdb_provider(settings: Settings) -> TmdbProvider | None:
    """TMDB itself, for what only it offers (popular and upcoming lists, a series' seasons);
    None without an API key. The caller closes it."""
    key = _tmdb_key(settings)
    return TmdbProvider(settings.metadata.tmdb_api_url, key) if key else None


def _tmdb(settings: Settings) -> MetadataProvider | None:
    return tmdb_provider(settings)


def _musicbrainz(settings: Settings) -> MetadataProvider | None:
    if not settings.metadata.musicbrainz_api_url:
        return None
    # MusicBrainz asks for "Application/version ( contact )" and blocks anonymous clients.
    user_agent = f"Revenge/0.8.0 ( {settings.public_url} )"
    return MusicBrainzProvider(
        settings.metadata.musicbrainz_api_url,
        user_agent,
        settings.metadata.musicbrainz_min_interval_seconds,
    )


_BUILDERS = {MetadataProviderKind.tmdb: _tmdb, MetadataProviderKind.musicbrainz: _musicbrainz}
# Whether a provider is set up, without building its HTTP client.
_CONFIGURED: dict[MetadataProviderKind, Callable[[Settings], bool]] = {
    MetadataProviderKind.tmdb: lambda settings: _tmdb_key(settings) is not None,
    MetadataProviderKind.musicbrainz: lambda settings: bool(settings.metadata.musicbrainz_api_url),
}


def provider_for(media_type: str, settings: Settings) -> MetadataProvider | None:
    """The configured provider for ``media_type``; the caller closes it."""
    return _BUILDERS[PROVIDER_FOR_MEDIA_TYPE[media_type]](settings)


def searchable_media_types(settings: Settings) -> list[str]:
    """The media types a provider is set up for: search works, ids are looked up."""
    return [
        media_type
        for media_type, kind in PROVIDER_FOR_MEDIA_TYPE.items()
        if _CONFIGURED[kind](settings)
    ]


def discovery_configured(settings: Settings) -> bool:
    """Popular and upcoming lists come from TMDB, so they need its key."""
    return _tmdb_key(settings) is not None
