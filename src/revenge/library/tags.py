"""Audio tags via mutagen's "easy" interface (ID3, Vorbis comments, MP4 atoms alike).

Picard writes MusicBrainz ids as ``musicbrainz_artistid`` (track artist),
``musicbrainz_albumartistid``, ``musicbrainz_albumid`` (the release),
``musicbrainz_releasegroupid`` and ``musicbrainz_trackid`` (which is the *recording* id).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog

log = structlog.get_logger(__name__)

_MBID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@dataclass(frozen=True)
class AudioTags:
    title: str | None = None
    artist: str | None = None
    album_artist: str | None = None
    album: str | None = None
    year: int | None = None
    track_number: int | None = None
    disc_number: int | None = None
    genres: list[str] = field(default_factory=list)
    duration_ms: int | None = None
    musicbrainz_artist_id: str | None = None
    musicbrainz_album_artist_id: str | None = None
    musicbrainz_release_id: str | None = None
    musicbrainz_release_group_id: str | None = None
    musicbrainz_recording_id: str | None = None


def _first(tags: Any, key: str) -> str | None:
    try:
        values = tags.get(key)
    except (KeyError, ValueError):
        return None
    if not values:
        return None
    value = values[0] if isinstance(values, list | tuple) else values
    text = str(value).strip()
    return text or None


def _number(value: str | None) -> int | None:
    """``"3/12"`` → 3; junk → None."""
    if not value:
        return None
    match = re.match(r"\s*(\d+)", value)
    return int(match.group(1)) if match else None


def _mbid(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip().lower().split("/")[0].strip()  # multi-artist ids are joined by "/"
    return value if _MBID.match(value) else None


def _genres(tags: Any) -> list[str]:
    try:
        values = tags.get("genre") or []
    except (KeyError, ValueError):
        return []
    genres: list[str] = []
    for value in values:
        for part in re.split(r"\s*[;/]\s*", str(value)):
            part = part.strip()[:64]
            if part and part not in genres:
                genres.append(part)
    return genres


def read_tags(path: Path) -> AudioTags:
    """The tags of an audio file; an unreadable or untagged file gives empty tags."""
    import mutagen

    try:
        audio = mutagen.File(path, easy=True)
    except Exception as exc:  # mutagen raises many types for damaged files
        log.warning("tags.unreadable", path=str(path), error=str(exc))
        return AudioTags()
    if audio is None:
        return AudioTags()
    tags = audio.tags or {}
    length = getattr(audio.info, "length", None)
    year_text = _first(tags, "date") or _first(tags, "originaldate")
    year = _number(year_text)
    return AudioTags(
        title=_first(tags, "title"),
        artist=_first(tags, "artist"),
        album_artist=_first(tags, "albumartist"),
        album=_first(tags, "album"),
        year=year if year and 1000 <= year <= 9999 else None,
        track_number=_number(_first(tags, "tracknumber")),
        disc_number=_number(_first(tags, "discnumber")),
        genres=_genres(tags),
        duration_ms=round(length * 1000) if length else None,
        musicbrainz_artist_id=_mbid(_first(tags, "musicbrainz_artistid")),
        musicbrainz_album_artist_id=_mbid(_first(tags, "musicbrainz_albumartistid")),
        musicbrainz_release_id=_mbid(_first(tags, "musicbrainz_albumid")),
        musicbrainz_release_group_id=_mbid(_first(tags, "musicbrainz_releasegroupid")),
        musicbrainz_recording_id=_mbid(_first(tags, "musicbrainz_trackid")),
    )
