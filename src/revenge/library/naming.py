"""What file and folder names say, following the Jellyfin/Plex naming conventions.

Pure functions (no I/O) so the many spellings found in real libraries are cheap to test:
``Movie (2010) [tmdbid-123]``, ``{tmdb-123}``, ``[imdbid-tt0111161]``, ``Show (2019) {tvdb-1}``,
``Season 01``/``Specials``, ``Show - S01E02 - Title``, ``1x02``, scene names
(``Show.Name.S01E02.720p.HDTV``), ``Artist/Album (1998)/01 - Title.flac``, ``CD2``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

VIDEO_EXTENSIONS = frozenset(
    {".mkv", ".mp4", ".m4v", ".avi", ".mov", ".webm", ".ts", ".m2ts", ".wmv", ".mpg", ".mpeg"}
)
AUDIO_EXTENSIONS = frozenset(
    {".flac", ".mp3", ".m4a", ".aac", ".ogg", ".oga", ".opus", ".wav", ".wma", ".aiff", ".ape"}
)
IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".webp"})

# Folders whose videos are extras, never the main item (Jellyfin's list).
EXTRAS_FOLDERS = frozenset(
    {
        "extras",
        "featurettes",
        "behind the scenes",
        "deleted scenes",
        "interviews",
        "scenes",
        "samples",
        "sample",
        "shorts",
        "trailers",
        "clips",
        "other",
    }
)
_EXTRA_SUFFIX = re.compile(
    r"[-._ ](trailer|sample|featurette|behindthescenes|deleted|interview|scene|short|clip)\d*$",
    re.IGNORECASE,
)

_ID_TAG = re.compile(r"[\[{]\s*(tmdb|imdb|tvdb)(?:id)?\s*[-=]\s*([a-z0-9]+)\s*[\]}]", re.IGNORECASE)
_EDITION_TAG = re.compile(r"\{edition-[^}]*\}", re.IGNORECASE)
_YEAR_PAREN = re.compile(r"[(\[]((?:19|20)\d{2})[)\]]")
_YEAR_BARE = re.compile(r"(?:^|[\s.])((?:19|20)\d{2})(?=$|[\s.])")
# Scene-release noise: everything from the first of these tokens on is not the title.
_QUALITY = re.compile(
    r"[\s.\-_\[(](?:2160p|1080[pi]|720p|576p|480p|4k|uhd|bluray|blu-ray|bdrip|brrip|web-?dl|"
    r"webrip|hdtv|dvdrip|hdrip|remux|x26[45]|h\.?26[45]|hevc|xvid|divx|aac|ac3|dts|"
    r"proper|repack|internal|extended|unrated|multi)(?=$|[\s.\-_\])])",
    re.IGNORECASE,
)
_VERSION_SUFFIX = re.compile(r"\s+-\s+[^-]*$")  # Jellyfin multi-version: "Movie (2010) - 1080p"


@dataclass(frozen=True)
class ExternalIds:
    tmdb_id: int | None = None
    imdb_id: str | None = None
    tvdb_id: int | None = None


@dataclass(frozen=True)
class TitleInfo:
    title: str
    year: int | None
    ids: ExternalIds


@dataclass(frozen=True)
class EpisodeInfo:
    season_number: int | None
    episode_number: int
    episode_end: int | None
    title: str | None
    series_hint: str | None


@dataclass(frozen=True)
class TrackNameInfo:
    title: str
    track_number: int | None
    disc_number: int | None


def parse_ids(name: str) -> ExternalIds:
    tmdb: int | None = None
    imdb: str | None = None
    tvdb: int | None = None
    for source, value in _ID_TAG.findall(name):
        source = source.lower()
        if source == "imdb" and re.fullmatch(r"tt\d+", value, re.IGNORECASE):
            imdb = value.lower()
        elif source == "tmdb" and value.isdigit():
            tmdb = int(value)
        elif source == "tvdb" and value.isdigit():
            tvdb = int(value)
    return ExternalIds(tmdb_id=tmdb, imdb_id=imdb, tvdb_id=tvdb)


def _tidy(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip(" -_.,")
    return text


def _descene(text: str) -> str:
    """``The.Dark.Knight`` → ``The Dark Knight`` (only when the name has no spaces)."""
    if " " not in text.strip() and ("." in text or "_" in text):
        text = text.replace(".", " ").replace("_", " ")
    return text


def parse_title(name: str) -> TitleInfo:
    """A movie or series name from a folder or file name (without extension)."""
    ids = parse_ids(name)
    text = _EDITION_TAG.sub(" ", _ID_TAG.sub(" ", name))
    year: int | None = None
    match = _YEAR_PAREN.search(text)
    if match:
        year = int(match.group(1))
        text = text[: match.start()]
    else:
        text = _descene(text)
        quality = _QUALITY.search(text)
        if quality:
            text = text[: quality.start()]
        # The last bare year wins: "Blade Runner 2049 2017" is titled "Blade Runner 2049".
        bare = list(_YEAR_BARE.finditer(text))
        if bare and bare[-1].start(1) > 0:
            year = int(bare[-1].group(1))
            text = text[: bare[-1].start(1)]
    text = _descene(text)
    text = re.sub(r"\[[^\]]*\]|\{[^}]*\}", " ", text)  # leftover tags: [1080p], {whatever}
    title = _tidy(text)
    if year is None:
        title = _tidy(_VERSION_SUFFIX.sub("", title)) or title
    return TitleInfo(title=title or _tidy(name), year=year, ids=ids)


def is_extra(relative_parts: tuple[str, ...], stem: str) -> bool:
    """Trailers, samples and behind-the-scenes files are not library items."""
    if any(part.lower() in EXTRAS_FOLDERS for part in relative_parts[:-1]):
        return True
    return bool(_EXTRA_SUFFIX.search(stem))


_SEASON_FOLDER = re.compile(
    r"^(?:season|series|staffel|saison|temporada|stagione|seizoen|s)[\s._-]*(\d{1,4})(?:\D.*)?$",
    re.IGNORECASE,
)
_SPECIALS = re.compile(r"^(?:specials?|extras?\s+season|season\s+0+)$", re.IGNORECASE)


def parse_season_folder(name: str) -> int | None:
    """``Season 01`` → 1, ``Specials`` → 0, anything else → None."""
    name = name.strip()
    if _SPECIALS.match(name):
        return 0
    match = _SEASON_FOLDER.match(name)
    return int(match.group(1)) if match else None


_SXXEYY = re.compile(
    r"(?<![a-z0-9])s(\d{1,4})[\s._-]*e(\d{1,4})(?:(?:[\s._-]*-?[\s._-]*e|-)(\d{1,4}))?(?![0-9])",
    re.IGNORECASE,
)
_NXNN = re.compile(r"(?<![a-z0-9])(\d{1,2})x(\d{2,3})(?:-?x?(\d{2,3}))?(?![0-9p])", re.IGNORECASE)
_EP_ONLY = re.compile(r"(?<![a-z0-9])(?:e|ep|episode)[\s._-]*(\d{1,4})(?![0-9])", re.IGNORECASE)


def parse_episode(stem: str) -> EpisodeInfo | None:
    """Season/episode numbers and the episode title from an episode file name."""
    match = _SXXEYY.search(stem) or _NXNN.search(stem)
    season: int | None
    if match:
        season, episode = int(match.group(1)), int(match.group(2))
        end = int(match.group(3)) if match.group(3) else None
    else:
        match = _EP_ONLY.search(stem)
        if not match:
            return None
        season, episode, end = None, int(match.group(1)), None
    before, after = stem[: match.start()], stem[match.end() :]
    title = _episode_title(after)
    hint = _tidy(_descene(_ID_TAG.sub(" ", before))) or None
    if hint is not None:
        hint = parse_title(hint).title or None
    return EpisodeInfo(season, episode, end if end and end > episode else None, title, hint)


def _episode_title(after: str) -> str | None:
    after = _descene(after)
    quality = _QUALITY.search(after)
    if quality:
        after = after[: quality.start()]
    after = re.sub(r"\[[^\]]*\]|\{[^}]*\}", " ", after)
    title = _tidy(after)
    return title or None


_ALBUM_YEAR_FIRST = re.compile(r"^\s*[(\[]?((?:19|20)\d{2})[)\]]?\s*[-–.]\s*(.+)$")


def parse_album_folder(name: str) -> tuple[str, int | None]:
    """``Mezzanine (1998)``, ``1998 - Mezzanine``, ``Mezzanine [1998]`` → (title, year)."""
    match = _ALBUM_YEAR_FIRST.match(name)
    if match:
        return _tidy(match.group(2)), int(match.group(1))
    year_match = _YEAR_PAREN.search(name)
    if year_match:
        title = _tidy(name[: year_match.start()] + " " + name[year_match.end() :])
        return title or _tidy(name), int(year_match.group(1))
    return _tidy(name), None


_DISC_FOLDER = re.compile(r"^(?:cd|dis[ck]|disque|disco)[\s._-]*(\d{1,2})$", re.IGNORECASE)


def parse_disc_folder(name: str) -> int | None:
    match = _DISC_FOLDER.match(name.strip())
    return int(match.group(1)) if match else None


_TRACK_DISC_PREFIX = re.compile(r"^\s*(\d{1,2})[-.](\d{1,3})(?:\s*[-.]\s*|\s+)(.+)$")
_TRACK_PREFIX = re.compile(r"^\s*(\d{1,3})(?:\s*[-.)]\s*|\s+)(.+)$")


def parse_track_filename(stem: str) -> TrackNameInfo:
    """``01 - Title``, ``01. Title``, ``1-03 Title`` (disc 1, track 3), ``Title``."""
    match = _TRACK_DISC_PREFIX.match(stem)
    if match:
        return TrackNameInfo(_tidy(match.group(3)), int(match.group(2)), int(match.group(1)))
    match = _TRACK_PREFIX.match(stem)
    if match:
        return TrackNameInfo(_tidy(match.group(2)), int(match.group(1)), None)
    return TrackNameInfo(_tidy(stem) or stem, None, None)


# Image roles by file stem (lower case): Jellyfin/Kodi/Plex names.
_IMAGE_ROLES = {
    "poster": "poster",
    "folder": "poster",
    "cover": "cover",
    "front": "cover",
    "default": "poster",
    "movie": "poster",
    "show": "poster",
    "artist": "poster",
    "albumart": "cover",
    "backdrop": "backdrop",
    "fanart": "backdrop",
    "background": "backdrop",
    "art": "backdrop",
    "landscape": "thumb",
    "thumb": "thumb",
}
_SEASON_POSTER = re.compile(r"^season[\s_-]*(\d{1,4}|specials?)(?:-poster)?$", re.IGNORECASE)


def image_role(stem: str) -> str | None:
    """``poster``/``cover``/``backdrop``/``thumb`` for an image file stem, else None."""
    stem = stem.lower()
    if stem in _IMAGE_ROLES:
        return _IMAGE_ROLES[stem]
    base = re.sub(r"\d+$", "", stem)  # backdrop1, fanart2 …
    if base in ("backdrop", "fanart", "background"):
        return "backdrop"
    return None


def image_role_for_item(stem: str, item_stem: str) -> str | None:
    """``Movie (2010)-poster.jpg`` / ``Show - S01E02-thumb.jpg`` next to the media file."""
    lowered, item = stem.lower(), item_stem.lower()
    if lowered == item:
        return "thumb"
    if lowered.startswith(item + "-"):
        return image_role(lowered[len(item) + 1 :])
    return None


def season_poster_number(stem: str) -> int | None:
    """``season01-poster`` / ``season-specials-poster`` in a series folder → season number."""
    match = _SEASON_POSTER.match(stem)
    if not match:
        return None
    value = match.group(1).lower()
    return 0 if value.startswith("special") else int(value)
