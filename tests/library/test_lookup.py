"""The one resolver: what an item is (title in the one format, year, ids, duration, file,
images, parents), for many items in one statement per media type."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core.clock import utcnow
from revenge.core.media import MediaType
from revenge.library import lookup, matching
from revenge.library.lookup import MediaRef
from revenge.library.models import (
    Album,
    Artist,
    Episode,
    Library,
    MediaFile,
    MediaImage,
    Movie,
    Season,
    Series,
    Track,
)
from revenge.library.snapshots import ItemSnapshot, scrobble_snapshot


@contextmanager
def _statements(session: AsyncSession) -> Iterator[list[str]]:
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


@dataclass
class Catalogue:
    movie: Movie
    series: Series
    season: Season
    lies: Episode  # titled, with a file
    untitled: Episode
    artist: Artist
    guest: Artist
    album: Album
    teardrop: Track  # performed by the guest, on the artist's album
    angel: Track
    paths: dict[str, str]


async def _catalogue(session: AsyncSession) -> Catalogue:
    tag = uuid.uuid4().hex[:8]
    root = f"/srv/lookup-{tag}"
    libs = {
        k: Library(name=f"{k}-{tag}", kind=k, path=f"{root}/{k}") for k in ("movies", "tv", "music")
    }
    session.add_all(libs.values())
    await session.flush()

    def file(library: str, name: str, mime: str, size: int) -> MediaFile:
        return MediaFile(
            library_id=libs[library].id,
            path=f"{root}/{library}/{name}",
            size_bytes=size,
            mtime=1_700_000_000.25,
            mime_type=mime,
            container=name.rsplit(".", 1)[-1],
            duration_ms=1000,
        )

    heat_file = file("movies", "Heat.mkv", "video/x-matroska", 1234)
    lies_file = file("tv", "Dark S01E02.mkv", "video/x-matroska", 555)
    tear_file = file("music", "Teardrop.flac", "audio/flac", 777)
    session.add_all([heat_file, lies_file, tear_file])
    await session.flush()
    movie = Movie(
        library_id=libs["movies"].id,
        title="Heat",
        year=1995,
        tmdb_id=949,
        imdb_id="tt0113277",
        duration_ms=10_200_000,
        file_id=heat_file.id,
    )
    series = Series(library_id=libs["tv"].id, title="Dark", year=2017, tmdb_id=70523, tvdb_id=1)
    artist = Artist(library_id=libs["music"].id, name="Massive Attack", musicbrainz_artist_id="ma")
    guest = Artist(library_id=libs["music"].id, name="Elizabeth Fraser")
    session.add_all([movie, series, artist, guest])
    await session.flush()
    season = Season(series_id=series.id, season_number=1)
    album = Album(
        artist_id=artist.id,
        title="Mezzanine",
        year=1998,
        musicbrainz_release_id="rel",
        musicbrainz_release_group_id="rg",
    )
    session.add_all([season, album])
    await session.flush()
    lies = Episode(
        series_id=series.id,
        season_id=season.id,
        season_number=1,
        episode_number=2,
        title="Lies",
        tvdb_id=22,
        duration_ms=3_000_000,
        file_id=lies_file.id,
    )
    untitled = Episode(
        series_id=series.id,
        season_id=season.id,
        season_number=1,
        episode_number=3,
        duration_ms=2_000_000,
    )
    teardrop = Track(
        album_id=album.id,
        artist_id=guest.id,
        title="Teardrop",
        track_number=3,
        disc_number=1,
        duration_ms=330_000,
        musicbrainz_recording_id="rec",
        file_id=tear_file.id,
    )
    angel = Track(
        album_id=album.id, artist_id=artist.id, title="Angel", track_number=1, duration_ms=380_000
    )
    session.add_all([lies, untitled, teardrop, angel])
    await session.flush()
    paths = {
        "movie_poster": f"{root}/movies/Heat-poster.jpg",
        "series_poster": f"{root}/tv/Dark/poster.jpg",
        "album_cover": f"{root}/music/cover.jpg",
        "movie_file": heat_file.path,
    }
    session.add_all(
        [
            MediaImage(
                media_type="movie",
                media_id=movie.id,
                kind="poster",
                path=paths["movie_poster"],
                size_bytes=10,
                mtime=1.5,
                width=30,
                height=40,
            ),
            MediaImage(
                media_type="movie",
                media_id=movie.id,
                kind="backdrop",
                path=f"{root}/movies/Heat-backdrop.jpg",
                size_bytes=20,
                mtime=1.0,
            ),
            MediaImage(
                media_type="series",
                media_id=series.id,
                kind="poster",
                path=paths["series_poster"],
                size_bytes=10,
                mtime=1.0,
            ),
            MediaImage(
                media_type="album",
                media_id=album.id,
                kind="cover",
                path=paths["album_cover"],
                size_bytes=10,
                mtime=1.0,
            ),
            MediaImage(  # gone from disk: not shown
                media_type="album",
                media_id=album.id,
                kind="poster",
                path=f"{root}/music/old-poster.jpg",
                size_bytes=10,
                mtime=1.0,
                missing_at=utcnow(),
            ),
        ]
    )
    await session.flush()
    return Catalogue(
        movie, series, season, lies, untitled, artist, guest, album, teardrop, angel, paths
    )


def _refs(c: Catalogue) -> dict[str, MediaRef]:
    return {
        "movie": MediaRef(MediaType.movie, c.movie.id),
        "series": MediaRef(MediaType.series, c.series.id),
        "season": MediaRef(MediaType.season, c.season.id),
        "lies": MediaRef(MediaType.episode, c.lies.id),
        "untitled": MediaRef(MediaType.episode, c.untitled.id),
        "artist": MediaRef(MediaType.artist, c.artist.id),
        "album": MediaRef(MediaType.album, c.album.id),
        "teardrop": MediaRef(MediaType.track, c.teardrop.id),
    }


async def test_resolve_answers_every_kind_in_one_statement_per_type(session: AsyncSession) -> None:
    c = await _catalogue(session)
    refs = _refs(c)
    unknown = MediaRef(MediaType.movie, uuid.uuid4())
    with _statements(session) as sent:
        items = await lookup.resolve(session, [*refs.values(), unknown, refs["movie"]])
    assert len(sent) == 7  # movie, series, season, episode, artist, album, track
    assert set(items) == set(refs.values())  # unknown ids are left out

    movie = items[refs["movie"]]
    assert (movie.kind, movie.display_title, movie.title, movie.year) == (
        MediaType.movie,
        "Heat",
        "Heat",
        1995,
    )
    assert movie.external_ids == lookup.ExternalIds(tmdb=949, imdb="tt0113277")
    assert movie.file is not None and movie.file_id == c.movie.file_id
    assert (movie.file.path, movie.file.size_bytes, movie.file.mime_type) == (
        c.paths["movie_file"],
        1234,
        "video/x-matroska",
    )
    assert movie.file.mtime == 1_700_000_000.25 and movie.file.missing is False
    assert [(i.kind, i.width, i.owner) for i in movie.images] == [
        ("backdrop", None, refs["movie"]),
        ("poster", 30, refs["movie"]),
    ]
    assert movie.artwork_path == c.paths["movie_poster"]

    series = items[refs["series"]]
    assert (series.display_title, series.year, series.duration_ms) == ("Dark", 2017, 5_000_000)
    assert series.external_ids == lookup.ExternalIds(tmdb=70523, tvdb=1)

    season = items[refs["season"]]
    assert (season.display_title, season.title, season.year) == (
        "Dark – Season 1",
        "Season 1",
        2017,
    )
    assert season.series is not None and season.series.ref == refs["series"]
    assert season.artwork_path == c.paths["series_poster"]  # falls back to the series

    lies = items[refs["lies"]]
    assert (lies.display_title, lies.title, lies.name) == ("Dark S01E02 – Lies", "Lies", "Lies")
    assert (lies.season_number, lies.episode_number, lies.year) == (1, 2, 2017)
    assert lies.external_ids == lookup.ExternalIds(tvdb=22)
    assert lies.series == lookup.Parent(
        refs["series"], "Dark", 2017, lookup.ExternalIds(tmdb=70523, tvdb=1)
    )
    assert lies.season is not None and lies.season.ref == refs["season"]
    assert lies.file is not None and lies.file.size_bytes == 555
    assert lies.images == () and lies.artwork_path == c.paths["series_poster"]

    untitled = items[refs["untitled"]]
    assert (untitled.display_title, untitled.title, untitled.name) == (
        "Dark S01E03",
        "S01E03",
        None,
    )
    assert untitled.file is None and untitled.file_id is None

    album = items[refs["album"]]
    assert (album.display_title, album.title, album.year) == (
        "Massive Attack – Mezzanine",
        "Mezzanine",
        1998,
    )
    assert album.duration_ms == 710_000  # its tracks together
    assert album.external_ids == lookup.ExternalIds(
        musicbrainz_release="rel", musicbrainz_release_group="rg"
    )
    assert album.artist is not None and album.artist.name == "Massive Attack"
    # The missing poster is not shown: the cover stands for the album.
    assert [i.kind for i in album.images] == ["cover"]
    assert album.artwork_path == c.paths["album_cover"]

    track = items[refs["teardrop"]]
    assert (track.display_title, track.title, track.year) == (
        "Elizabeth Fraser – Teardrop",
        "Teardrop",
        1998,
    )
    assert (track.disc_number, track.track_number, track.duration_ms) == (1, 3, 330_000)
    assert track.external_ids == lookup.ExternalIds(musicbrainz_recording="rec")
    assert track.artist is not None and track.artist.name == "Elizabeth Fraser"
    assert track.album_artist is not None and track.album_artist.name == "Massive Attack"
    assert track.album == lookup.Parent(
        refs["album"],
        "Mezzanine",
        1998,
        lookup.ExternalIds(musicbrainz_release="rel", musicbrainz_release_group="rg"),
    )
    assert track.artwork_path == c.paths["album_cover"]  # the album's cover

    artist = items[refs["artist"]]
    assert (artist.display_title, artist.year, artist.duration_ms) == ("Massive Attack", None, None)
    assert artist.external_ids.musicbrainz_artist == "ma"


async def test_display_titles_alone_are_the_resolvers_titles(session: AsyncSession) -> None:
    c = await _catalogue(session)
    refs = list(_refs(c).values())
    items = await lookup.resolve(session, refs)
    with _statements(session) as sent:
        titles = await lookup.display_titles(
            session, [*refs, MediaRef(MediaType.album, uuid.uuid4())]
        )
    assert titles == {ref: item.display_title for ref, item in items.items()}
    assert len(sent) == 7


async def test_durations_alone_are_the_resolvers_durations(session: AsyncSession) -> None:
    c = await _catalogue(session)
    c.angel.missing_at = utcnow()  # missing items are answered too
    await session.flush()
    refs = [*_refs(c).values(), MediaRef(MediaType.track, c.angel.id)]
    items = await lookup.resolve(session, refs)
    with _statements(session) as sent:
        lengths = await lookup.durations(
            session, [*refs, *refs, MediaRef(MediaType.track, uuid.uuid4())]
        )
    assert lengths == {ref: item.duration_ms for ref, item in items.items()}
    # Sums over the children for series and albums, as the resolver's.
    assert all(lengths[_refs(c)[kind]] for kind in ("series", "season", "album", "teardrop"))
    assert len(sent) == 7


async def test_refs_from_plain_strings_are_the_same_key(session: AsyncSession) -> None:
    c = await _catalogue(session)
    ref = MediaRef.of("movie", str(c.movie.id))
    assert ref == MediaRef(MediaType.movie, c.movie.id)
    assert (await lookup.resolve_one(session, ref)) is not None


async def test_missing_items_are_still_answered_and_say_so(session: AsyncSession) -> None:
    c = await _catalogue(session)
    c.angel.missing_at = utcnow()
    await session.flush()
    angel = await lookup.resolve_one(session, MediaRef(MediaType.track, c.angel.id))
    assert angel is not None and angel.missing and angel.display_title == "Massive Attack – Angel"


async def test_children_come_in_play_order_without_missing_ones(session: AsyncSession) -> None:
    c = await _catalogue(session)
    c.untitled.missing_at = utcnow()
    await session.flush()
    episodes = await lookup.children(session, MediaRef(MediaType.series, c.series.id))
    assert [e.title for e in episodes] == ["Lies"]
    tracks = await lookup.children(session, MediaRef(MediaType.album, c.album.id))
    assert [(t.track_number, t.title) for t in tracks] == [(1, "Angel"), (3, "Teardrop")]
    assert await lookup.children(session, MediaRef(MediaType.movie, c.movie.id)) == []


async def test_images_by_id_name_their_owner(session: AsyncSession) -> None:
    c = await _catalogue(session)
    movie = await lookup.resolve_one(session, MediaRef(MediaType.movie, c.movie.id))
    assert movie is not None
    poster = next(i for i in movie.images if i.kind == "poster")
    found = await lookup.images(session, [poster.id, uuid.uuid4()])
    assert list(found) == [poster.id]
    assert found[poster.id] == poster


async def test_scrobble_snapshots_come_from_the_resolver(session: AsyncSession) -> None:
    c = await _catalogue(session)
    untitled = await scrobble_snapshot(session, "episode", c.untitled.id)
    # An episode without a title is named in the one display format.
    assert untitled is not None and untitled.title == "Dark S01E03"
    assert (untitled.series_title, untitled.series_tmdb_id, untitled.year) == ("Dark", 70523, None)
    track = await scrobble_snapshot(session, MediaType.track, c.teardrop.id)
    assert track == ItemSnapshot(
        media_type="track",
        media_id=str(c.teardrop.id),
        title="Teardrop",  # services want the track's own title
        duration_ms=330_000,
        year=1998,
        artist="Elizabeth Fraser",
        album="Mezzanine",
        album_artist="Massive Attack",
        track_number=3,
        musicbrainz_recording_id="rec",
        musicbrainz_release_id="rel",
        musicbrainz_artist_id=None,
    )
    movie = await scrobble_snapshot(session, "movie", c.movie.id)
    assert movie is not None and movie.to_json() == {
        "media_type": "movie",
        "media_id": str(c.movie.id),
        "title": "Heat",
        "duration_ms": 10_200_000,
        "year": 1995,
        "tmdb_id": 949,
        "imdb_id": "tt0113277",
    }
    assert await scrobble_snapshot(session, "series", c.series.id) is None
    assert await scrobble_snapshot(session, "movie", uuid.uuid4()) is None


async def test_present_ids_find_only_present_items(session: AsyncSession) -> None:
    c = await _catalogue(session)
    c.lies.missing_at = utcnow()  # the album keeps a present track, the series is present
    c.teardrop.missing_at = utcnow()
    await session.flush()
    present = await matching.present_ids(
        session,
        movie_tmdb={949, 1},
        series_tmdb={70523},
        series_tvdb={1, 2},
        release_groups={"rg", "other"},
        artist_mbids={"ma", "nobody"},
    )
    assert present == matching.PresentIds(
        movie_tmdb=frozenset({949}),
        series_tmdb=frozenset({70523}),
        series_tvdb=frozenset({1}),
        release_groups=frozenset({"rg"}),
        artist_mbids=frozenset({"ma"}),
    )
    c.angel.missing_at = utcnow()  # no present track left
    await session.flush()
    gone = await matching.present_ids(session, release_groups={"rg"}, artist_mbids={"ma"})
    assert gone == matching.PresentIds()
    assert await matching.present_ids(session) == matching.PresentIds()
    assert await matching.release_groups_of_artist(session, c.artist.id) == ["rg"]
