"""Library lists: ``?sort=`` (title, year, added; albums also artist), ``added_at``, stable
paging on equal keys, and the 422 problem for a sort a list does not know."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from revenge.core.db import session_scope
from revenge.library.models import Album, Artist, Episode, Movie, Season, Series, Track
from tests.factories import make_library

T0 = datetime(2024, 1, 1, tzinfo=UTC)


async def listed(client: Any, headers: Any, kind: str, **params: Any) -> list[dict[str, Any]]:
    response = await client.get(f"/api/v1/library/{kind}", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


async def paged(client: Any, headers: Any, kind: str, size: int, **params: Any) -> list[str]:
    """Every item's id, fetched ``size`` at a time."""
    ids: list[str] = []
    offset = 0
    while True:
        page = await listed(client, headers, kind, limit=size, offset=offset, **params)
        ids += [row["id"] for row in page]
        if len(page) < size:
            return ids
        offset += size


@pytest.fixture
async def user(make_user: Any) -> dict[str, str]:
    _, headers = await make_user()
    return headers


@pytest.fixture
async def movies() -> dict[str, Movie]:
    """Five movies: mixed case, an unknown year, and two with the same title, year and added
    time (only the id tells them apart)."""
    library = await make_library("movies")
    rows = {
        "alpha": Movie(library_id=library.id, title="alpha", year=2001, created_at=T0 + timedelta(3)),
        "Bravo": Movie(library_id=library.id, title="Bravo", year=1999, created_at=T0),
        "charlie": Movie(library_id=library.id, title="charlie", year=None, created_at=T0 + timedelta(1)),
        "Delta-1": Movie(library_id=library.id, title="Delta", year=2005, created_at=T0 + timedelta(2)),
        "Delta-2": Movie(library_id=library.id, title="Delta", year=2005, created_at=T0 + timedelta(2)),
    }  # fmt: skip
    async with session_scope() as s:
        s.add_all(rows.values())
        await s.flush()
    return rows


def names(rows: list[dict[str, Any]], movies: dict[str, Movie]) -> list[str]:
    by_id = {str(movie.id): name for name, movie in movies.items()}
    return [by_id[row["id"]] for row in rows]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        (None, ["alpha", "Bravo", "charlie", "Delta", "Delta"]),
        ("title", ["alpha", "Bravo", "charlie", "Delta", "Delta"]),
        ("-title", ["Delta", "Delta", "charlie", "Bravo", "alpha"]),
        ("year", ["Bravo", "alpha", "Delta", "Delta", "charlie"]),  # unknown year last
        ("-year", ["Delta", "Delta", "alpha", "Bravo", "charlie"]),
        ("added", ["Bravo", "charlie", "Delta", "Delta", "alpha"]),
        ("-added", ["alpha", "Delta", "Delta", "charlie", "Bravo"]),
    ],
)
async def test_movie_sorts(client, user, movies, sort, expected):
    params = {} if sort is None else {"sort": sort}
    rows = await listed(client, user, "movies", **params)
    assert [name.split("-")[0] for name in names(rows, movies)] == expected
    # Equal keys: the lower id first, whichever the direction.
    deltas = [row["id"] for row in rows if row["title"] == "Delta"]
    assert deltas == sorted(deltas, key=uuid.UUID)
    # And every page of two agrees with the whole list.
    assert await paged(client, user, "movies", 2, **params) == [row["id"] for row in rows]


async def test_added_at_is_when_the_row_was_made(client, user, movies):
    rows = await listed(client, user, "movies", sort="added")
    days = [(datetime.fromisoformat(row["added_at"]) - T0).days for row in rows]
    assert days == [0, 1, 2, 2, 3]
    one = (await client.get(f"/api/v1/library/movies/{movies['alpha'].id}", headers=user)).json()
    assert datetime.fromisoformat(one["added_at"]) == T0 + timedelta(3)


async def music() -> dict[str, Any]:
    library = await make_library("music")
    async with session_scope() as s:
        zed = Artist(library_id=library.id, name="Zed", created_at=T0)
        abba = Artist(library_id=library.id, name="abba", created_at=T0 + timedelta(1))
        s.add_all([zed, abba])
        await s.flush()
        albums = {
            "Arrival": Album(artist_id=abba.id, title="Arrival", year=1976, created_at=T0),
            "Voulez-Vous": Album(artist_id=abba.id, title="Voulez-Vous", year=1979, created_at=T0 + timedelta(2)),
            "Beta": Album(artist_id=zed.id, title="Beta", year=1990, created_at=T0 + timedelta(1)),
        }  # fmt: skip
        s.add_all(albums.values())
        await s.flush()
        arrival = albums["Arrival"]
        tracks = {
            "Why Did It Have to Be Me": Track(album_id=arrival.id, artist_id=abba.id, title="Why Did It Have to Be Me", track_number=1, created_at=T0 + timedelta(2)),
            "Dancing Queen": Track(album_id=arrival.id, artist_id=abba.id, title="Dancing Queen", track_number=2, created_at=T0),
            "Money, Money, Money": Track(album_id=arrival.id, artist_id=abba.id, title="Money, Money, Money", track_number=3, created_at=T0 + timedelta(1)),
        }  # fmt: skip
        s.add_all(tracks.values())
        await s.flush()
    return {"artists": {"Zed": zed, "abba": abba}, "albums": albums, "tracks": tracks}


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        (None, ["Arrival", "Beta", "Voulez-Vous"]),
        ("artist", ["Arrival", "Voulez-Vous", "Beta"]),  # abba before Zed, then by title
        ("-artist", ["Beta", "Arrival", "Voulez-Vous"]),
        ("-year", ["Beta", "Voulez-Vous", "Arrival"]),
        ("added", ["Arrival", "Beta", "Voulez-Vous"]),
        ("-title", ["Voulez-Vous", "Beta", "Arrival"]),
    ],
)
async def test_album_sorts(client, user, sort, expected):
    await music()
    params = {} if sort is None else {"sort": sort}
    rows = await listed(client, user, "albums", **params)
    assert [row["title"] for row in rows] == expected
    assert all(row["added_at"] for row in rows)
    assert await paged(client, user, "albums", 1, **params) == [row["id"] for row in rows]


async def test_artist_and_track_sorts(client, user):
    data = await music()
    artists = await listed(client, user, "artists")
    assert [row["name"] for row in artists] == ["abba", "Zed"]
    newest = await listed(client, user, "artists", sort="-added")
    assert [row["name"] for row in newest] == ["abba", "Zed"]
    oldest = await listed(client, user, "artists", sort="added")
    assert [row["name"] for row in oldest] == ["Zed", "abba"]

    album_id = str(data["albums"]["Arrival"].id)
    # Without a sort an album's tracks come in play order; "title" is the track's own title.
    in_order = await listed(client, user, "tracks", parent_id=album_id)
    assert [row["track_number"] for row in in_order] == [1, 2, 3]
    by_title = await listed(client, user, "tracks", parent_id=album_id, sort="title")
    assert [row["title"] for row in by_title] == [
        "Dancing Queen",
        "Money, Money, Money",
        "Why Did It Have to Be Me",
    ]
    latest = await listed(client, user, "tracks", parent_id=album_id, sort="-added")
    assert [row["track_number"] for row in latest] == [1, 3, 2]


async def test_episode_sorts(client, user):
    library = await make_library("tv")
    async with session_scope() as s:
        old = Series(library_id=library.id, title="Old Show", year=1990)
        new = Series(library_id=library.id, title="New Show", year=2020)
        s.add_all([old, new])
        await s.flush()
        seasons = {series.id: Season(series_id=series.id, season_number=1) for series in (old, new)}
        s.add_all(seasons.values())
        await s.flush()
        for series, number, title, day in (
            (old, 2, "Beginning", 0),
            (old, 1, None, 5),
            (new, 1, "Another", 1),
        ):
            s.add(
                Episode(
                    series_id=series.id,
                    season_id=seasons[series.id].id,
                    season_number=1,
                    episode_number=number,
                    title=title,
                    created_at=T0 + timedelta(day),
                )
            )
    natural = await listed(client, user, "episodes")
    assert [(row["series_title"], row["episode_number"]) for row in natural] == [
        ("New Show", 1),
        ("Old Show", 1),
        ("Old Show", 2),
    ]
    by_title = await listed(client, user, "episodes", sort="title")
    assert [row["title"] for row in by_title] == ["Another", "Beginning", None]
    by_year = await listed(client, user, "episodes", sort="-year")
    assert [row["series_title"] for row in by_year] == ["New Show", "Old Show", "Old Show"]
    newest = await listed(client, user, "episodes", sort="-added")
    assert [(row["series_title"], row["episode_number"]) for row in newest] == [
        ("Old Show", 1),
        ("New Show", 1),
        ("Old Show", 2),
    ]
    series = await listed(client, user, "series", sort="year")
    assert [row["title"] for row in series] == ["Old Show", "New Show"]


@pytest.mark.parametrize(
    ("kind", "sort"),
    [
        ("movies", "artist"),
        ("movies", "bogus"),
        ("movies", "--title"),
        ("movies", "Title"),
        ("artists", "year"),
        ("tracks", "-artist"),
        ("series", ""),
    ],
)
async def test_unknown_sort_is_a_422_problem(client, user, kind, sort):
    response = await client.get(f"/api/v1/library/{kind}", params={"sort": sort}, headers=user)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == "library.invalid_sort"
    assert problem["params"]["sort"] == sort
    assert "-added" in problem["params"]["choices"]


async def test_sort_problem_is_translated_and_long_values_refused(client, user):
    german = await client.get(
        "/api/v1/library/albums",
        params={"sort": "rating"},
        headers={**user, "Accept-Language": "de"},
    )
    assert german.json()["title"] == "Unbekannte Sortierung"
    assert "-artist" in german.json()["detail"]
    long = await client.get("/api/v1/library/movies", params={"sort": "x" * 500}, headers=user)
    assert (long.status_code, long.json()["code"]) == (422, "request.validation_failed")


async def test_sort_choices_are_in_the_api_description(app):
    document = app.openapi()
    for path, choices in (
        ("/api/v1/library/movies", ["title", "-title", "year", "-year", "added", "-added"]),
        ("/api/v1/library/albums", ["title", "-title", "year", "-year", "added", "-added", "artist", "-artist"]),
        ("/api/v1/library/artists", ["title", "-title", "added", "-added"]),
    ):  # fmt: skip
        parameters = document["paths"][path]["get"]["parameters"]
        sort = next(p for p in parameters if p["name"] == "sort")
        assert sort["schema"]["enum"] == choices
