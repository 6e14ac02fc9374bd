"""Finding the library item another server or player means (``external_match``): external ids
first, then the path, then normalized titles; only present items; None rather than a guess;
a batch costs a fixed handful of statements."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core.clock import utcnow
from revenge.core.db import session_scope
from revenge.core.media import MediaType
from revenge.library.external_match import match_items, normalize_title
from revenge.library.item_hints import ItemHints
from revenge.library.lookup import MediaRef
from revenge.library.match_keys import track_match_key
from revenge.library.models import (
    Album,
    Artist,
    Episode,
    Library,
    MediaFile,
    Movie,
    Season,
    Series,
    Track,
)
from tests.library.conftest import create_and_scan

RECORDING = "8f3471b5-7e6a-48da-86a9-c1c07a0f47ae"
RELEASE = "b1a9c0e9-d987-4042-ae91-78d6a3267d69"
GROUP = "a3ff4f7d-7a8c-3f1d-b2f0-5e5b1ad0d9a1"


class Catalogue:
    """Library rows made directly (files, ids, missing marks), in the test's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.libraries: dict[str, uuid.UUID] = {}

    async def library(self, kind: str) -> uuid.UUID:
        if kind not in self.libraries:
            library = Library(
                name=kind, kind=kind.split("-")[0], path=f"/srv/{kind}-{uuid.uuid4().hex[:6]}"
            )
            self.session.add(library)
            await self.session.flush()
            self.libraries[kind] = library.id
        return self.libraries[kind]

    async def _file(self, kind: str, path: str | None) -> uuid.UUID | None:
        if path is None:
            return None
        file = MediaFile(library_id=await self.library(kind), path=path, size_bytes=1, mtime=1.0)
        self.session.add(file)
        await self.session.flush()
        return file.id

    async def _add(self, row: Any) -> Any:
        self.session.add(row)
        await self.session.flush()
        return row

    async def movie(
        self, title: str, year: int | None = None, *, path: str | None = None, **extra: Any
    ) -> MediaRef:
        movie = await self._add(
            Movie(
                library_id=await self.library("movies"),
                title=title,
                year=year,
                file_id=await self._file("movies", path),
                **extra,
            )
        )
        return MediaRef(MediaType.movie, movie.id)

    async def series(self, title: str, year: int | None = None, **ids: Any) -> Series:
        return await self._add(
            Series(library_id=await self.library("tv"), title=title, year=year, **ids)
        )

    async def episode(
        self, series: Series, season: int, number: int, *, path: str | None = None, **extra: Any
    ) -> MediaRef:
        season_row = (
            await self.session.execute(
                select(Season).where(Season.series_id == series.id, Season.season_number == season)
            )
        ).scalar_one_or_none() or await self._add(Season(series_id=series.id, season_number=season))
        episode = await self._add(
            Episode(
                series_id=series.id,
                season_id=season_row.id,
                season_number=season,
                episode_number=number,
                file_id=await self._file("tv", path),
                **extra,
            )
        )
        return MediaRef(MediaType.episode, episode.id)

    async def track(
        self,
        artist: str,
        title: str,
        album: str = "Mezzanine",
        *,
        path: str | None = None,
        release: str | None = None,
        group: str | None = None,
        library: str = "music",
        **extra: Any,
    ) -> MediaRef:
        library_id = await self.library(library)
        artist_row = (
            await self.session.execute(
                select(Artist).where(Artist.library_id == library_id, Artist.name == artist)
            )
        ).scalar_one_or_none() or await self._add(Artist(library_id=library_id, name=artist))
        album_row = (
            await self.session.execute(
                select(Album).where(Album.artist_id == artist_row.id, Album.title == album)
            )
        ).scalar_one_or_none() or await self._add(
            Album(
                artist_id=artist_row.id,
                title=album,
                musicbrainz_release_id=release,
                musicbrainz_release_group_id=group,
            )
        )
        track = await self._add(
            Track(
                album_id=album_row.id,
                artist_id=artist_row.id,
                title=title,
                file_id=await self._file(library, path),
                **extra,
            )
        )
        return MediaRef(MediaType.track, track.id)

    async def mark_missing(self, ref: MediaRef) -> None:
        model = {MediaType.movie: Movie, MediaType.episode: Episode, MediaType.track: Track}
        row = await self.session.get(model[ref.media_type], ref.id)
        assert row is not None
        row.missing_at = utcnow()
        await self.session.flush()


@pytest.fixture
def catalogue(session: AsyncSession) -> Catalogue:
    return Catalogue(session)


def movie(**hints: Any) -> ItemHints:
    return ItemHints(media_type="movie", **hints)


def episode(**hints: Any) -> ItemHints:
    return ItemHints(media_type="episode", **hints)


def track(**hints: Any) -> ItemHints:
    return ItemHints(media_type="track", **hints)


async def match_one(session: AsyncSession, hint: ItemHints) -> MediaRef | None:
    (answer,) = await match_items(session, [hint])
    return answer


@contextmanager
def statements(session: AsyncSession) -> Iterator[list[str]]:
    """The SQL statements the session sends while the block runs."""
    seen: list[str] = []
    engine = session.bind.sync_engine if session.bind is not None else None
    assert engine is not None

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


# --- normalization -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Björk", "BJORK"),
        ("Sigur Rós", "sigur ros"),
        ("Motörhead", "Motorhead"),
        ("Straße", "STRASSE"),
        ("The Beatles", "Beatles"),
        ("Simon & Garfunkel", "Simon and Garfunkel"),
        ("Protection (feat. Tracey Thorn)", "Protection"),
        ("Protection [ft. Tracey Thorn]", "protection"),
        ("Massive Attack feat. Tracey Thorn", "Massive Attack"),
        ("Massive Attack ft Tracey Thorn", "Massive Attack"),
        ("Massive Attack featuring Tracey Thorn", "Massive Attack"),
        ("Don’t Stop Me Now", "Dont Stop Me Now"),
        ("R.E.M.", "REM"),
        ("WALL·E", "WALL-E"),
        ("  Hello,   World!  ", "hello world"),
    ],
)
def test_spellings_of_one_name_normalize_alike(one: str, other: str) -> None:
    assert normalize_title(one) == normalize_title(other)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Little Feat", "Little"),  # a band's name, not a featured artist
        ("A Feat of Strength", "A"),
        ("Heat", "Heath"),
        ("!!!", "???"),  # names of punctuation alone keep it instead of becoming ""
        ("Dune", "Dune 2"),
    ],
)
def test_different_names_stay_different(one: str, other: str) -> None:
    assert normalize_title(one) != normalize_title(other)


def test_normalized_form_is_readable() -> None:
    assert normalize_title("The Beatles") == "beatles"
    assert normalize_title("Jóga (feat. Someone)") == "joga"
    assert normalize_title("The") == "the"


# --- movies --------------------------------------------------------------------------------------


async def test_movie_by_tmdb_then_imdb_then_path_then_title(
    session: AsyncSession, catalogue: Catalogue
) -> None:
    heat = await catalogue.movie("Heat", 1995, tmdb_id=949, path="/srv/movies/Heat (1995).mkv")
    matrix = await catalogue.movie("The Matrix", 1999, imdb_id="tt0133093")
    alien = await catalogue.movie("Alien", 1979, path="/srv/movies/Alien.mkv")
    amelie = await catalogue.movie("Le Fabuleux Destin d'Amélie Poulain", 2001)
    shawshank = await catalogue.movie("The Shawshank Redemption", 1994, imdb_id="TT0111161")

    assert await match_items(
        session,
        [
            movie(tmdb_id=949, title="Something else entirely"),
            movie(imdb_id="TT0133093"),
            movie(path="/srv/movies/Alien.mkv", title="Not Alien"),
            movie(title="LE FABULEUX DESTIN D’AMELIE POULAIN", year=2001),
            movie(title="Matrix", year=1999),  # "The" and case do not matter
            movie(imdb_id="tt0111161"),  # IMDb ids are compared case-insensitively
        ],
    ) == [heat, matrix, alien, amelie, matrix, shawshank]


async def test_an_id_beats_a_conflicting_title(session: AsyncSession, catalogue: Catalogue) -> None:
    heat = await catalogue.movie("Heat", 1995, tmdb_id=949)
    other = await catalogue.movie("Ronin", 1998, tmdb_id=8195)
    assert await match_one(session, movie(tmdb_id=8195, title="Heat", year=1995)) == other
    # An id the library does not have: the title still finds a movie without a contradicting id
    # …
    plain = await catalogue.movie("Thief", 1981)
    assert await match_one(session, movie(tmdb_id=11524, title="Thief", year=1981)) == plain
    # … but not one whose own id says it is another film.
    assert await match_one(session, movie(tmdb_id=1, title="Heat", year=1995)) is None
    assert await match_one(session, movie(title="Heat", year=1995)) == heat


async def test_movie_title_needs_the_year_or_a_single_candidate(
    session: AsyncSession, catalogue: Catalogue
) -> None:
    old = await catalogue.movie("Dune", 1984)
    new = await catalogue.movie("Dune", 2021)
    solaris = await catalogue.movie("Solaris", 1972)
    assert await match_items(
        session,
        [
            movie(title="Dune", year=2021),
            movie(title="DUNE", year=1984),
            movie(title="Dune"),  # two films of that name: no guess
            movie(title="Dune", year=2000),  # neither
            movie(title="Solaris"),  # the only one
            movie(title="Solaris", year=2002),  # the library's is another film
        ],
    ) == [new, old, None, None, solaris, None]


async def test_copies_of_one_movie_answer_with_the_oldest(
    session: AsyncSession, catalogue: Catalogue
) -> None:
    first = await catalogue.movie("Heat", 1995, tmdb_id=949, path="/srv/movies/a/Heat.mkv")
    second = await catalogue.movie("Heat", 1995, tmdb_id=949, path="/srv/movies/b/Heat.mkv")
    row = await session.get(Movie, second.id)
    assert row is not None
    row.created_at = utcnow() - timedelta(days=1)
    await session.flush()
    assert await match_items(
        session,
        [
            movie(tmdb_id=949),
            movie(title="Heat", year=1995),
            movie(tmdb_id=949, path="/srv/movies/a/Heat.mkv"),  # the copy that was played
        ],
    ) == [second, second, first]


async def test_missing_items_are_not_matched(session: AsyncSession, catalogue: Catalogue) -> None:
    heat = await catalogue.movie("Heat", 1995, tmdb_id=949, path="/srv/movies/Heat.mkv")
    dark = await catalogue.series("Dark", 2017, tvdb_id=334824)
    lies = await catalogue.episode(dark, 1, 2, path="/srv/tv/Dark/S01E02.mkv")
    angel = await catalogue.track(
        "Massive Attack", "Angel", path="/srv/music/angel.flac", musicbrainz_recording_id=RECORDING
    )
    hints = [
        movie(tmdb_id=949),
        movie(path="/srv/movies/Heat.mkv"),
        movie(title="Heat", year=1995),
        episode(series_tvdb_id=334824, season_number=1, episode_number=2),
        episode(path="/srv/tv/Dark/S01E02.mkv"),
        episode(series_title="Dark", season_number=1, episode_number=2),
        track(recording_mbid=RECORDING),
        track(path="/srv/music/angel.flac"),
        track(artist="Massive Attack", title="Angel"),
    ]
    assert await match_items(session, hints) == [heat] * 3 + [lies] * 3 + [angel] * 3
    for ref in (heat, lies, angel):
        await catalogue.mark_missing(ref)
    assert await match_items(session, hints) == [None] * len(hints)


# --- episodes ------------------------------------------------------------------------------------


async def test_episode_by_own_id_series_ids_path_and_title(
    session: AsyncSession, catalogue: Catalogue
) -> None:
    dark = await catalogue.series("Dark", 2017, tvdb_id=334824, tmdb_id=70523)
    severance = await catalogue.series("Severance", 2022, imdb_id="tt11280740")
    secrets = await catalogue.episode(dark, 1, 1, tvdb_id=6352393)
    lies = await catalogue.episode(dark, 1, 2)
    past = await catalogue.episode(dark, 2, 1, path="/srv/tv/Dark/Season 02/Dark S02E01.mkv")
    good_news = await catalogue.episode(severance, 1, 2)
    ecole = await catalogue.episode(await catalogue.series("L'École de la vie", 2016), 1, 3)

    assert await match_items(
        session,
        [
            episode(tvdb_id=6352393, series_title="Wrong"),
            episode(series_tvdb_id=334824, season_number=1, episode_number=2),
            episode(series_tmdb_id=70523, season_number=1, episode_number=2),
            episode(series_imdb_id="TT11280740", season_number=1, episode_number=2),
            episode(path="/srv/tv/Dark/Season 02/Dark S02E01.mkv"),
            episode(series_title="L’ECOLE DE LA VIE", season_number=1, episode_number=3),
            episode(series_title="DARK", season_number=9, episode_number=9),  # no such episode
            episode(series_tvdb_id=334824, season_number=3, episode_number=1),
        ],
    ) == [secrets, lies, lies, good_news, past, ecole, None, None]


async def test_series_of_one_name_are_told_apart_by_year_or_not_at_all(
    session: AsyncSession, catalogue: Catalogue
) -> None:
    classic = await catalogue.series("Doctor Who", 1963)
    modern = await catalogue.series("Doctor Who", 2005)
    classic_s05 = await catalogue.episode(classic, 5, 1)
    modern_s05 = await catalogue.episode(modern, 5, 1)
    classic_s01 = await catalogue.episode(classic, 1, 1)
    modern_s01 = await catalogue.episode(modern, 1, 1)

    def who(season: int, year: int | None = None) -> ItemHints:
        return episode(series_title="Doctor Who", season_number=season, episode_number=1, year=year)

    assert await match_items(
        session,
        [
            who(1, 2005),  # the series' own year
            who(1, 1963),
            who(5, 2010),  # an episode's year: the latest series begun before it
            who(5, 1967),
            who(5),  # no year: two series have an S05E01
            who(5, 1950),  # before both
        ],
    ) == [modern_s01, classic_s01, modern_s05, classic_s05, None, None]


async def test_title_match_skips_a_series_whose_id_contradicts(
    session: AsyncSession, catalogue: Catalogue
) -> None:
    uk = await catalogue.series("The Office", 2001, tvdb_id=78107)
    await catalogue.episode(uk, 1, 1)
    us_hint = episode(
        series_title="The Office", series_tvdb_id=73244, season_number=1, episode_number=1
    )
    assert await match_one(session, us_hint) is None
    us = await catalogue.series("The Office", 2005, tvdb_id=73244)
    pilot = await catalogue.episode(us, 1, 1)
    assert await match_one(session, us_hint) == pilot


# --- tracks --------------------------------------------------------------------------------------


async def test_track_by_recording_release_path_and_names(
    session: AsyncSession, catalogue: Catalogue
) -> None:
    angel = await catalogue.track(
        "Massive Attack",
        "Angel",
        release=RELEASE,
        group=GROUP,
        track_number=1,
        musicbrainz_recording_id=RECORDING,
    )
    teardrop = await catalogue.track("Massive Attack", "Teardrop", track_number=3)
    inertia = await catalogue.track("Massive Attack", "Inertia Creeps", track_number=4)
    joga = await catalogue.track("Björk", "Jóga", "Homogenic", path="/srv/music/joga.flac")
    hyperballad = await catalogue.track(
        "Björk feat. Somebody", "Hyperballad (feat. Somebody Else)", "Post"
    )

    assert await match_items(
        session,
        [
            track(recording_mbid=RECORDING.upper(), artist="Nobody", title="Nothing"),
            track(release_mbid=RELEASE, track_number=3),
            track(release_group_mbid=GROUP, title="inertia creeps"),
            # Jellyfin's track id is a track on a release, which the library does not keep:
            # the release and the number stand in for it.
            track(track_mbid=str(uuid.uuid4()), release_mbid=RELEASE, track_number=1),
            track(path="/srv/music/joga.flac"),
            track(artist="BJORK", title="joga"),
            track(artist="Bjork", title="Hyperballad"),
            track(artist="Massive Attack feat. Elizabeth Fraser", title="Teardrop!"),
            track(track_mbid=str(uuid.uuid4())),
        ],
    ) == [angel, teardrop, inertia, angel, joga, joga, hyperballad, teardrop, None]


async def test_release_track_by_title_wins_over_a_different_number(
    session: AsyncSession, catalogue: Catalogue
) -> None:
    angel = await catalogue.track("Massive Attack", "Angel", release=RELEASE, track_number=1)
    await catalogue.track("Massive Attack", "Risingson", track_number=2)
    disc_one = await catalogue.track("Massive Attack", "Intro", track_number=5, disc_number=1)
    await catalogue.track("Massive Attack", "Outro", track_number=5, disc_number=2)
    assert await match_items(
        session,
        [
            # The sender's tagger numbers the release otherwise: the title wins.
            track(release_mbid=RELEASE, track_number=2, title="Angel"),
            track(release_mbid=RELEASE, track_number=5),  # on both discs: no guess
            track(release_mbid=RELEASE, track_number=5, title="Intro"),
        ],
    ) == [angel, None, disc_one]


async def test_recording_id_beats_a_conflicting_title(
    session: AsyncSession, catalogue: Catalogue
) -> None:
    angel = await catalogue.track("Massive Attack", "Angel", musicbrainz_recording_id=RECORDING)
    await catalogue.track("Massive Attack", "Teardrop")
    hint = track(recording_mbid=RECORDING, artist="Massive Attack", title="Teardrop")
    assert await match_one(session, hint) == angel


async def test_a_song_on_two_albums_needs_the_album(
    session: AsyncSession, catalogue: Catalogue
) -> None:
    studio = await catalogue.track("Massive Attack", "Teardrop", "Mezzanine", duration_ms=330_000)
    best_of = await catalogue.track("Massive Attack", "Teardrop", "Collected", duration_ms=331_000)
    live = await catalogue.track(
        "Massive Attack", "Teardrop", "Live at Glastonbury", duration_ms=420_000
    )
    assert await match_items(
        session,
        [
            track(artist="Massive Attack", title="Teardrop", album="Mezzanine"),
            track(artist="massive attack", title="teardrop", album="COLLECTED"),
            track(artist="Massive Attack", title="Teardrop"),  # three albums: no guess
            track(artist="Massive Attack", title="Teardrop", duration_ms=419_000),
            # The album is unknown here, and two versions last as long: still no guess.
            track(artist="Massive Attack", title="Teardrop", album="Other", duration_ms=330_500),
        ],
    ) == [studio, best_of, None, live, None]


async def test_copies_of_one_album_in_two_libraries_are_one_work(
    session: AsyncSession, catalogue: Catalogue
) -> None:
    await catalogue.track("Massive Attack", "Angel", track_number=1, library="music")
    mp3 = await catalogue.track("Massive Attack", "Angel", track_number=1, library="music-mp3")
    row = await session.get(Track, mp3.id)
    assert row is not None
    row.created_at = utcnow() - timedelta(days=1)
    await session.flush()
    assert await match_one(session, track(artist="Massive Attack", title="Angel")) == mp3


async def test_copies_whose_tags_spell_the_recording_id_otherwise_answer_with_the_oldest(
    session: AsyncSession, catalogue: Catalogue
) -> None:
    await catalogue.track(
        "Massive Attack", "Angel", library="music", musicbrainz_recording_id=RECORDING.upper()
    )
    mp3 = await catalogue.track(
        "Massive Attack", "Angel", library="music-mp3", musicbrainz_recording_id=RECORDING
    )
    row = await session.get(Track, mp3.id)
    assert row is not None
    row.created_at = utcnow() - timedelta(days=1)
    await session.flush()
    assert await match_one(session, track(recording_mbid=RECORDING)) == mp3
    assert await match_one(session, track(recording_mbid=RECORDING.upper())) == mp3


async def test_a_track_written_without_a_key_gets_one_from_its_artist(
    session: AsyncSession, catalogue: Catalogue
) -> None:
    ref = await catalogue.track("Sigur Rós", "Hoppípolla (feat. Nobody)", "Takk…")
    row = await session.get(Track, ref.id)
    assert row is not None
    assert row.match_key == track_match_key("Sigur Rós", "Hoppípolla") == "sigur ros\x1fhoppipolla"
    movie_row = Movie(library_id=await catalogue.library("movies"), title="The Matrix")
    assert movie_row.match_key == "matrix"
    movie_row.title = "Amélie"
    assert movie_row.match_key == "amelie"


async def test_scanned_tracks_are_matched_by_names(client, jobs, admin, tree) -> None:  # type: ignore[no-untyped-def]
    t = tree("music")
    t.add(
        "Björk/Homogenic (1997)/02 - Jóga.flac",
        t.media.flac,
        title="Jóga",
        artist="Björk",
        album="Homogenic",
        tracknumber="2",
    )
    t.add(
        "Massive Attack/Protection (1994)/01 - Protection.flac",
        t.media.flac,
        title="Protection (feat. Tracey Thorn)",
        artist="Massive Attack feat. Tracey Thorn",
        albumartist="Massive Attack",
        album="Protection",
    )
    await create_and_scan(client, jobs, admin, name="Music", kind="music", path=str(t.root))
    async with session_scope() as s:
        titles = {
            row.title: row.id for row in (await s.execute(select(Track.id, Track.title))).all()
        }
        assert await match_items(
            s,
            [
                track(artist="BJORK", title="Joga"),
                track(artist="Massive Attack", title="Protection"),
                track(artist="Massive Attack", title="Teardrop"),
            ],
        ) == [
            MediaRef(MediaType.track, titles["Jóga"]),
            MediaRef(MediaType.track, titles["Protection (feat. Tracey Thorn)"]),
            None,
        ]


# --- batches -------------------------------------------------------------------------------------


async def test_a_mixed_batch_answers_in_order(session: AsyncSession, catalogue: Catalogue) -> None:
    heat = await catalogue.movie("Heat", 1995, tmdb_id=949)
    dark = await catalogue.series("Dark", 2017, tvdb_id=334824)
    lies = await catalogue.episode(dark, 1, 2)
    angel = await catalogue.track("Massive Attack", "Angel", musicbrainz_recording_id=RECORDING)
    joga = await catalogue.track("Björk", "Jóga", "Homogenic")
    hints = [
        track(artist="Bjork", title="Joga"),
        movie(title="Unknown"),
        episode(series_tvdb_id=334824, season_number=1, episode_number=2),
        track(recording_mbid=RECORDING),
        movie(tmdb_id=949),
        track(artist="Bjork", title="Joga"),
        episode(series_title="Dark", season_number=1, episode_number=2),
        track(),
    ]
    assert await match_items(session, hints) == [joga, None, lies, angel, heat, joga, lies, None]
    assert await match_items(session, []) == []


async def test_a_batch_costs_the_same_few_statements_at_any_size(
    session: AsyncSession, catalogue: Catalogue
) -> None:
    dark = await catalogue.series("Dark", 2017, tvdb_id=334824)
    for number in range(1, 21):
        await catalogue.movie(f"Movie {number}", 2000 + number, tmdb_id=number)
        await catalogue.episode(dark, 1, number, path=f"/srv/tv/Dark/S01E{number:02d}.mkv")
        await catalogue.track(
            "Artist",
            f"Song {number}",
            release=RELEASE,
            track_number=number,
            musicbrainz_recording_id=str(uuid.uuid5(uuid.NAMESPACE_URL, str(number))),
        )

    def hints(count: int) -> list[ItemHints]:
        made: list[ItemHints] = []
        for number in range(1, count + 1):
            made += [
                movie(tmdb_id=number),
                movie(title=f"Movie {number}", year=2000 + number),
                episode(tvdb_id=10_000 + number),  # an episode id the library does not know
                episode(series_tvdb_id=334824, season_number=1, episode_number=number),
                episode(path=f"/srv/tv/Dark/S01E{number:02d}.mkv"),
                episode(series_title="Dark", season_number=1, episode_number=number),
                track(recording_mbid=str(uuid.uuid5(uuid.NAMESPACE_URL, str(number)))),
                track(release_mbid=RELEASE, track_number=number),
                track(artist="Artist", title=f"Song {number}"),
                track(artist="Nobody", title="Nothing", path="/nowhere", release_mbid=GROUP),
            ]
        return made

    found = [True, True, False, True, True, True, True, True, True, False]
    with statements(session) as few:
        small = await match_items(session, hints(2))
    with statements(session) as many:
        large = await match_items(session, hints(20))
    assert [answer is not None for answer in small] == found * 2
    assert [answer is not None for answer in large] == found * 20
    # One statement per kind of evidence still open: ids (movies, episodes' own, their series',
    # recordings, releases), paths, titles (movies, episodes, tracks).
    assert len(few) == len(many) == 9
