"""Titles and names reduced to what two spellings of the same thing share.

Another server, a player or a ListenBrainz client names an item in its own spelling
("Björk – Jóga", "BJORK - Joga", "Massive Attack feat. Tracey Thorn – Protection",
"The Beatles" / "Beatles", "Simon & Garfunkel" / "Simon and Garfunkel"). The library keeps a
normalized key beside each movie, series and track title (``match_key``, indexed), so that a
batch of a thousand listens is matched with one ``= ANY(:keys)`` lookup.

Pure functions (no I/O, nothing of the library imported): the models compute keys with them
when rows are written, the migration that added the keys backfilled them with them, and
``library.external_match`` computes the same keys for what a sender tells.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# The separator between a track's artist and title in its key (never part of a normalized name).
KEY_SEPARATOR = "\x1f"
# Each part of a key is cut to this many characters: a btree entry must stay below ~2,700 bytes,
# and titles longer than this are told apart well before their end.
KEY_PART_LENGTH = 250

# "(feat. X)", "[ft. X]", "(featuring X)" anywhere, and a trailing "feat. X", "ft X",
# "featuring X" (with an optional dash or comma before it). A bare trailing "feat" is a name
# ("Little Feat"), and "feat" without a dot inside a title is a word ("A Feat of …").
_FEAT_BRACKETED = re.compile(r"\s*[(\[]\s*(?:feat\.|ft\.|feat\s|ft\s|featuring\s)[^)\]]*[)\]]")
_FEAT_TRAILING = re.compile(r"(?:\s*[,\-–—])?\s+(?:feat\.|ft\.|ft\s|featuring\s)\s*\S.*$")
# Apostrophes and dots vanish ("Don't" = "Dont", "R.E.M." = "REM", "Mr. Brightside");
# every other punctuation mark or symbol separates words ("WALL·E" = "WALL-E" = "WALL E").
_VANISHING = re.compile(r"['’‘`´.]")
_SEPARATING = re.compile(r"[^\w\s]|_")
_LEADING_THE = re.compile(r"^the\s+(?=\S)")


@lru_cache(maxsize=65536)
def normalize_title(text: str) -> str:
    """A title or name as two spellings of it share it: diacritics removed (Unicode NFKD
    without combining marks), case folded, ``&`` read as ``and``, a "feat./ft./featuring …"
    part dropped (in brackets or at the end), a leading "the" dropped, punctuation removed
    and whitespace collapsed. Artists go through the same function, so their "feat." parts
    come off too. A name made only of punctuation ("!!!") keeps its marks, so that it does
    not become the empty key every such name would share."""
    if text.isascii():  # most names: nothing to decompose, and casefold() is lower() here
        folded = text.lower()
    else:
        decomposed = unicodedata.normalize("NFKD", text)
        folded = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    reduced = _FEAT_TRAILING.sub("", _FEAT_BRACKETED.sub("", folded))
    reduced = reduced.replace("&", " and ")
    reduced = _SEPARATING.sub(" ", _VANISHING.sub("", reduced))
    reduced = _LEADING_THE.sub("", " ".join(reduced.split()))
    return reduced or " ".join(folded.split())


def title_key(text: str) -> str:
    """The stored key of a movie's or series' title (``match_key``)."""
    return normalize_title(text)[:KEY_PART_LENGTH]


def track_match_key(artist_name: str, title: str) -> str:
    """The stored key of a track: its own artist's name and its title, normalized."""
    return f"{title_key(artist_name)}{KEY_SEPARATOR}{title_key(title)}"
