"""The media vocabulary every feature shares."""

from __future__ import annotations

from enum import StrEnum


class MediaType(StrEnum):
    movie = "movie"
    series = "series"
    season = "season"
    episode = "episode"
    artist = "artist"
    album = "album"
    track = "track"


# What a player can play (playback events, scrobbles, streams).
PLAYABLE_TYPES = (MediaType.movie, MediaType.episode, MediaType.track)


class LibraryKind(StrEnum):
    movies = "movies"
    tv = "tv"
    music = "music"
