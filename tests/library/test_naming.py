"""The Jellyfin/Plex naming conventions, on names as they appear in real libraries."""

from __future__ import annotations

import pytest

from revenge.library import naming


@pytest.mark.parametrize(
    ("name", "title", "year", "tmdb", "imdb", "tvdb"),
    [
        ("Inception (2010) [tmdbid-27205]", "Inception", 2010, 27205, None, None),
        ("Inception (2010) [tmdbid=27205]", "Inception", 2010, 27205, None, None),
        ("Inception (2010) {tmdb-27205}", "Inception", 2010, 27205, None, None),
        ("The Matrix (1999) [imdbid-tt0133093]", "The Matrix", 1999, None, "tt0133093", None),
        ("The Matrix (1999) {imdb-tt0133093}", "The Matrix", 1999, None, "tt0133093", None),
        ("Dark (2017) [tvdbid-334824]", "Dark", 2017, None, None, 334824),
        ("Dark (2017) {tvdb-334824}", "Dark", 2017, None, None, 334824),
        (
            "Heat (1995) [imdbid-tt0113277] [tmdbid-949]",
            "Heat",
            1995,
            949,
            "tt0113277",
            None,
        ),
        ("Blade Runner 2049 (2017)", "Blade Runner 2049", 2017, None, None, None),
        ("2001 A Space Odyssey (1968)", "2001 A Space Odyssey", 1968, None, None, None),
        ("1917 (2019)", "1917", 2019, None, None, None),
        ("The.Dark.Knight.2008.1080p.BluRay.x264-GROUP", "The Dark Knight", 2008, None, None, None),
        ("Alien.1979.Directors.Cut.720p.BRRip", "Alien", 1979, None, None, None),
        (
            "Blade.Runner.2049.2017.2160p.UHD.BluRay.REMUX.HEVC",
            "Blade Runner 2049",
            2017,
            None,
            None,
            None,
        ),
        ("Amélie (2001)", "Amélie", 2001, None, None, None),
        ("Movie (2010) - 1080p", "Movie", 2010, None, None, None),
        ("Movie (2010) {edition-Director's Cut}", "Movie", 2010, None, None, None),
        ("Heat", "Heat", None, None, None, None),
        ("Some_Home_Video", "Some Home Video", None, None, None, None),
        ("Star Wars - Episode IV (1977)", "Star Wars - Episode IV", 1977, None, None, None),
        ("Se7en [1995]", "Se7en", 1995, None, None, None),
        ("Movie (2010) [imdbid-nonsense]", "Movie", 2010, None, None, None),
    ],
)
def test_titles_years_and_ids(name, title, year, tmdb, imdb, tvdb):
    info = naming.parse_title(name)
    assert (info.title, info.year) == (title, year)
    assert (info.ids.tmdb_id, info.ids.imdb_id, info.ids.tvdb_id) == (tmdb, imdb, tvdb)


@pytest.mark.parametrize(
    ("stem", "season", "episode", "end", "title", "hint"),
    [
        ("Dark - S01E02 - Lies", 1, 2, None, "Lies", "Dark"),
        ("Dark (2017) - S01E02 - Lies", 1, 2, None, "Lies", "Dark"),
        ("Show - S01E02", 1, 2, None, None, "Show"),
        ("S01E02", 1, 2, None, None, None),
        ("s1e2", 1, 2, None, None, None),
        ("Show - s01e10 - Ten", 1, 10, None, "Ten", "Show"),
        ("Show.Name.S02E10.The.Title.720p.HDTV.x264-LOL", 2, 10, None, "The Title", "Show Name"),
        ("Show - S01E01-E02 - Pilot", 1, 1, 2, "Pilot", "Show"),
        ("Show - S01E01-02 - Pilot", 1, 1, 2, "Pilot", "Show"),
        ("Show S01E05E06", 1, 5, 6, None, "Show"),
        ("Dark 1x03 Secrets", 1, 3, None, "Secrets", "Dark"),
        ("The Office - 2x01 - The Dundies", 2, 1, None, "The Dundies", "The Office"),
        ("Doctor Who (2005) - S2005E01 - Rose", 2005, 1, None, "Rose", "Doctor Who"),
        ("One Piece - S01E1071", 1, 1071, None, None, "One Piece"),
        ("Episode 4", None, 4, None, None, None),
        ("Show - E05 - Five", None, 5, None, "Five", "Show"),
        ("Show S01E03 [1080p]", 1, 3, None, None, "Show"),
    ],
)
def test_episode_names(stem, season, episode, end, title, hint):
    info = naming.parse_episode(stem)
    assert info is not None
    assert (info.season_number, info.episode_number, info.episode_end) == (season, episode, end)
    assert (info.title, info.series_hint) == (title, hint)


@pytest.mark.parametrize(
    "stem",
    ["Holiday 2019", "Behind the scenes", "1920x1080 sample", "Movie.2010.1080p", "trailer"],
)
def test_not_episodes(stem):
    assert naming.parse_episode(stem) is None


@pytest.mark.parametrize(
    ("folder", "season"),
    [
        ("Season 01", 1),
        ("Season 1", 1),
        ("season 10", 10),
        ("Season 1 (2019)", 1),
        ("S03", 3),
        ("Series 2", 2),
        ("Staffel 4", 4),
        ("Saison 5", 5),
        ("Temporada 6", 6),
        ("Specials", 0),
        ("Special", 0),
        ("Season 00", 0),
        ("Extras", None),
        ("Dark", None),
        ("Sunshine", None),
    ],
)
def test_season_folders(folder, season):
    assert naming.parse_season_folder(folder) == season


@pytest.mark.parametrize(
    ("stem", "title", "track", "disc"),
    [
        ("01 - Teardrop", "Teardrop", 1, None),
        ("01. Teardrop", "Teardrop", 1, None),
        ("01 Teardrop", "Teardrop", 1, None),
        ("1-03 Angel", "Angel", 3, 1),
        ("2-01 - Inertia Creeps", "Inertia Creeps", 1, 2),
        ("101 Dalmatians Theme", "Dalmatians Theme", 101, None),
        ("Intro", "Intro", None, None),
        ("07 - Song - Live", "Song - Live", 7, None),
    ],
)
def test_track_file_names(stem, title, track, disc):
    assert naming.parse_track_filename(stem) == naming.TrackNameInfo(title, track, disc)


@pytest.mark.parametrize(
    ("folder", "title", "year"),
    [
        ("Mezzanine (1998)", "Mezzanine", 1998),
        ("1998 - Mezzanine", "Mezzanine", 1998),
        ("[1998] Mezzanine", "Mezzanine", 1998),
        ("Mezzanine [1998]", "Mezzanine", 1998),
        ("Mezzanine (1998) [Deluxe]", "Mezzanine [Deluxe]", 1998),
        ("Blue Lines", "Blue Lines", None),
        ("1999", "1999", None),
    ],
)
def test_album_folders(folder, title, year):
    assert naming.parse_album_folder(folder) == (title, year)


@pytest.mark.parametrize(
    ("folder", "disc"), [("CD1", 1), ("CD 2", 2), ("Disc 3", 3), ("disk-1", 1), ("Bonus", None)]
)
def test_disc_folders(folder, disc):
    assert naming.parse_disc_folder(folder) == disc


@pytest.mark.parametrize(
    ("rel", "extra"),
    [
        (("Heat (1995)", "extras", "Making of.mkv"), True),
        (("Heat (1995)", "Trailers", "Teaser.mkv"), True),
        (("Heat (1995)", "Heat (1995)-trailer.mkv"), True),
        (("Heat (1995)", "Heat (1995)-sample.mkv"), True),
        (("Heat (1995)", "Heat (1995).mkv"), False),
        (("Sample Movie (2001).mkv",), False),
    ],
)
def test_extras_are_not_items(rel, extra):
    stem = rel[-1].rsplit(".", 1)[0]
    assert naming.is_extra(rel, stem) is extra


@pytest.mark.parametrize(
    ("stem", "role"),
    [
        ("poster", "poster"),
        ("folder", "poster"),
        ("cover", "cover"),
        ("front", "cover"),
        ("fanart", "backdrop"),
        ("backdrop2", "backdrop"),
        ("background", "backdrop"),
        ("landscape", "thumb"),
        ("Poster", "poster"),
        ("screenshot", None),
    ],
)
def test_image_roles(stem, role):
    assert naming.image_role(stem) == role


def test_images_named_after_the_item():
    assert naming.image_role_for_item("Heat (1995)-poster", "Heat (1995)") == "poster"
    assert naming.image_role_for_item("Heat (1995)-fanart", "Heat (1995)") == "backdrop"
    assert naming.image_role_for_item("Dark - S01E01-thumb", "Dark - S01E01") == "thumb"
    assert naming.image_role_for_item("Dark - S01E01", "Dark - S01E01") == "thumb"
    assert naming.image_role_for_item("Other-poster", "Heat (1995)") is None
    assert naming.season_poster_number("season01-poster") == 1
    assert naming.season_poster_number("season-specials-poster") == 0
    assert naming.season_poster_number("poster") is None
