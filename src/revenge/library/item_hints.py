"""What another server or player tells about an item it played, for finding it in the library.

Jellyfin, Emby and Plex webhooks and ListenBrainz listens name items by their own ids, by
external ids (TMDB, IMDb, TVDB, MusicBrainz), by a file path and by titles. ``ItemHints``
carries whatever a sender gave, and ``library.external_match`` finds the item, in this order:
external ids, then the path (already rewritten by the source's path map), then normalized
titles. The hints are stored as JSON with an unmatched event, so that a later scan can match it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal

PlayableType = Literal["movie", "episode", "track"]


@dataclass(frozen=True, kw_only=True)
class ItemHints:
    media_type: PlayableType
    # A movie's own ids; for an episode, the episode's own ids (rarely given).
    tmdb_id: int | None = None
    imdb_id: str | None = None
    tvdb_id: int | None = None
    # An episode's series and its place in it.
    series_tmdb_id: int | None = None
    series_tvdb_id: int | None = None
    series_imdb_id: str | None = None
    season_number: int | None = None
    episode_number: int | None = None
    # Music: MusicBrainz recording id (ListenBrainz, Plex "mbid://"), track id (Jellyfin's
    # Provider_musicbrainztrack: a track on a release, not a recording), release and release
    # group ids, and the track's number on the release.
    recording_mbid: str | None = None
    track_mbid: str | None = None
    release_mbid: str | None = None
    release_group_mbid: str | None = None
    track_number: int | None = None
    # The file as the sender sees it, after the source's path map.
    path: str | None = None
    # Titles: the item's own (movie, episode or track title), its year, and its parents.
    title: str | None = None
    year: int | None = None
    series_title: str | None = None
    artist: str | None = None
    album: str | None = None
    duration_ms: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ItemHints:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    def describe(self) -> str:
        """How an admin recognises the item in the unmatched list ("Severance S01E02 – Good
        News About Hell", "Massive Attack – Teardrop (Mezzanine)", "Heat (1995)"), with the
        ids that were given, so that a missing id or a wrong path can be seen at a glance."""
        if self.media_type == "episode":
            code = (
                f" S{self.season_number:02d}E{self.episode_number:02d}"
                if self.season_number is not None and self.episode_number is not None
                else ""
            )
            text = f"{self.series_title or '?'}{code}"
            if self.title:
                text += f" – {self.title}"
        elif self.media_type == "track":
            text = f"{self.artist or '?'} – {self.title or '?'}"
            if self.album:
                text += f" ({self.album})"
        else:
            text = self.title or "?"
            if self.year:
                text += f" ({self.year})"
        ids = [
            f"{name}={value}"
            for name, value in (
                ("tmdb", self.tmdb_id or self.series_tmdb_id),
                ("imdb", self.imdb_id or self.series_imdb_id),
                ("tvdb", self.tvdb_id or self.series_tvdb_id),
                ("mbid", self.recording_mbid or self.track_mbid),
            )
            if value
        ]
        if ids:
            text += f" [{', '.join(ids)}]"
        if self.path:
            text += f" {self.path}"
        return text
