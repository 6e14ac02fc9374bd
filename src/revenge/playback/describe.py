"""How the player's pages name an item: its own title, a second line, and its artwork.

One rule for every list the web app shows of plays (playback info, home, history):

    movie     "Heat"            no second line
    episode   "Lies"            "Dark S01E02"              (an untitled one: "S01E02", "Dark S01E02")
    track     "Teardrop"        "Massive Attack – Mezzanine" (its own artist – its album)
    series    "Dark"            no second line
    album     "Mezzanine"       "Massive Attack"           (the album's artist)
"""

from __future__ import annotations

from revenge.core.artwork_urls import Artwork, urls_for
from revenge.core.media import MediaType
from revenge.library import lookup


def subtitle(item: lookup.MediaItem) -> str | None:
    if item.kind == MediaType.episode and item.series is not None:
        code = lookup.episode_code(item.season_number or 0, item.episode_number or 0)
        return f"{item.series.name} {code}"
    if item.kind == MediaType.track and item.artist is not None and item.album is not None:
        return lookup.album_title(item.artist.name, item.album.name)
    if item.kind == MediaType.album and item.artist is not None:
        return item.artist.name
    return None


def artwork(secret: str, item: lookup.MediaItem | None) -> Artwork | None:
    """Signed URLs of the item's poster or cover (an episode's or track's falls back to its
    parent's, as the artwork route does); None when there is nothing to show."""
    if item is None or item.artwork_path is None:
        return None
    return urls_for(secret, item.kind, item.id)
