"""A source's path map: the longest prefix that ends at a folder wins; Windows paths too."""

from __future__ import annotations

import pytest

from revenge.ingest.paths import is_absolute, map_hints, rewrite_path
from revenge.library.item_hints import ItemHints

MAP = [
    {"from": "/media", "to": "/srv/media"},
    {"from": "/media/Movies/", "to": "/mnt/films/"},
    {"from": "D:\\Media", "to": "/srv/windows"},
]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/media/Music/a.flac", "/srv/media/Music/a.flac"),
        ("/media/Movies/Heat (1995)/Heat.mkv", "/mnt/films/Heat (1995)/Heat.mkv"),
        ("/media", "/srv/media"),
        ("/mediathek/a.mkv", "/mediathek/a.mkv"),  # not a folder boundary
        ("/other/a.mkv", "/other/a.mkv"),
        ("d:\\media\\TV\\Dark\\S01E01.mkv", "/srv/windows/TV/Dark/S01E01.mkv"),
    ],
)
def test_rewrite(path, expected):
    assert rewrite_path(path, MAP) == expected


def test_trailing_separators_are_joined_once():
    assert rewrite_path("/a/b/c", [{"from": "/a/", "to": "/x"}]) == "/x/b/c"
    assert rewrite_path("/a/b/c", [{"from": "/a", "to": "/x/"}]) == "/x/b/c"


def test_hints_without_a_path_or_a_map_are_unchanged():
    hints = ItemHints(media_type="movie", title="Heat")
    assert map_hints(hints, MAP) is hints
    with_path = ItemHints(media_type="movie", path="/media/a.mkv")
    assert map_hints(with_path, []) is with_path
    assert map_hints(with_path, MAP).path == "/srv/media/a.mkv"


@pytest.mark.parametrize(
    ("path", "absolute"),
    [
        ("/srv", True),
        ("D:\\Media", True),
        ("\\\\nas\\share", True),
        ("media", False),
        ("C:", False),
    ],
)
def test_absolute(path, absolute):
    assert is_absolute(path) is absolute
