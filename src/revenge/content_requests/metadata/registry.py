"""Which provider serves which media type, built from settings (None = not configured)."""

from __future__ import annotations

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


def _tmdb(settings: Settings) -> MetadataProvider | None:
    key = settings.metadata.tmdb_api_key
    if key is None or not key.get_secret_value() or not settings.metadata.tmdb_api_url:
        return None
    return TmdbProvider(settings.metadata.tmdb_api_url, key.get_secret_value())


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


def provider_for(media_type: str, settings: Settings) -> MetadataProvider | None:
    """The configured provider for ``media_type``; the caller closes it."""
    return _BUILDERS[PROVIDER_FOR_MEDIA_TYPE[media_type]](settings)
