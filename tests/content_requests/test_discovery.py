"""Discovery (TMDB's popular and upcoming lists), the season picker's seasons and what the
request page can offer, through the TMDB fake over real HTTP."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from tests.content_requests.helpers import ask, make_series, with_poster
from tests.factories import make_movie
from tests.helpers import free_port

POPULAR = "/api/v1/requests/discover"


async def test_options_say_what_this_setup_offers(
    client, make_user, tmdb, test_settings, monkeypatch
):
    _, headers = await make_user()
    with_tmdb = (await client.get("/api/v1/requests/options", headers=headers)).json()
    assert with_tmdb == {"search": ["movie", "tv"], "discover": True, "manual": True}
    monkeypatch.setattr(test_settings.metadata, "tmdb_api_key", SecretStr(""))
    without = (await client.get("/api/v1/requests/options", headers=headers)).json()
    assert without == {"search": [], "discover": False, "manual": True}
    assert (await client.get("/api/v1/requests/options")).status_code == 401


async def test_popular_movies_are_paged_and_marked_like_search_results(client, make_user, tmdb):
    for n in range(1, 26):
        tmdb.add_movie(n, f"Film {n}", f"20{n:02d}-05-01")
    tmdb.add_to_list("movie/popular", *range(25, 0, -1))
    in_library = await make_movie("Film 25", tmdb_id=25)
    await with_poster("movie", in_library.id)
    _, headers = await make_user()
    requested = (await ask(client, headers, media_type="movie", external_id="24")).json()

    first = await client.get(POPULAR, params={"list": "popular"}, headers=headers)
    assert first.status_code == 200, first.text
    body = first.json()
    assert (body["list_name"], body["media_type"], body["page"], body["total_pages"]) == (
        "popular",
        "movie",
        1,
        2,
    )
    assert [item["external_id"] for item in body["items"]] == [str(n) for n in range(25, 5, -1)]
    top, second = body["items"][0], body["items"][1]
    assert (top["title"], top["year"], top["in_library"]) == ("Film 25", 2025, True)
    assert top["library_item"] == {"media_type": "movie", "media_id": str(in_library.id)}
    assert top["artwork"]["thumb"].startswith(f"/api/v1/artwork/movie/{in_library.id}/160?sig=")
    assert (second["requested"], second["request_id"], second["request_status"]) == (
        True,
        requested["id"],
        "pending",
    )
    assert second["poster_url"] == "https://image.tmdb.org/t/p/w342/poster24.jpg"
    assert second["artwork"] is None
    call = tmdb.calls[-1]
    assert (call["path"], call["params"]["page"], call["params"]["api_key"]) == (
        "/3/movie/popular",
        "1",
        "fake-tmdb-v3-key",
    )

    page_two = (
        await client.get(POPULAR, params={"list": "popular", "page": 2}, headers=headers)
    ).json()
    assert [item["title"] for item in page_two["items"]] == [f"Film {n}" for n in range(5, 0, -1)]


@pytest.mark.parametrize(
    ("media_type", "which", "tmdb_path"),
    [
        ("movie", "upcoming", "/3/movie/upcoming"),
        ("tv", "popular", "/3/tv/popular"),
        ("tv", "upcoming", "/3/tv/on_the_air"),
    ],
)
async def test_each_list_comes_from_its_tmdb_list(
    client, make_user, tmdb, media_type, which, tmdb_path
):
    tmdb.add_movie(1, "Soon", "2030-01-01")
    tmdb.add_show(2, "Airing", "2024-02-02", seasons=2)
    tmdb.add_to_list(tmdb_path.removeprefix("/3/"), 1 if media_type == "movie" else 2)
    _, headers = await make_user()
    response = await client.get(
        POPULAR, params={"list": which, "media_type": media_type}, headers=headers
    )
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    expected = ("Soon", 2030) if media_type == "movie" else ("Airing", 2024)
    assert [(i["title"], i["year"], i["media_type"]) for i in items] == [(*expected, media_type)]
    assert tmdb.calls[-1]["path"] == tmdb_path


async def test_without_a_tmdb_key_discovery_is_a_clear_503(client, make_user):
    _, headers = await make_user(locale="de")
    response = await client.get(POPULAR, params={"list": "popular"}, headers=headers)
    assert response.status_code == 503
    problem = response.json()
    assert problem["code"] == "content_request.discover_unavailable"
    assert problem["title"] == "Entdecken nicht verfügbar"
    assert "per Titel" in problem["detail"]


@pytest.mark.parametrize(
    ("status", "code", "http_status"),
    [
        (500, "content_request.metadata_unavailable", 502),
        (429, "content_request.metadata_busy", 503),
    ],
)
async def test_tmdb_failures_in_discovery_are_clear_problems(
    client, make_user, tmdb, status, code, http_status
):
    tmdb.add_movie(1, "Soon", "2030-01-01")
    tmdb.add_to_list("movie/popular", 1)
    tmdb.fail_next(status, retry_after=9)
    _, headers = await make_user(locale="fr")
    response = await client.get(POPULAR, params={"list": "popular"}, headers=headers)
    assert response.status_code == http_status
    assert response.json()["code"] == code
    assert "TMDB" in response.json()["title"]
    if status == 429:
        assert response.headers["Retry-After"] == "9"
        assert "9 secondes" in response.json()["detail"]
    # Nothing was remembered from the failure: the next look works.
    again = await client.get(POPULAR, params={"list": "popular"}, headers=headers)
    assert [i["title"] for i in again.json()["items"]] == ["Soon"]


async def test_a_refused_key_and_an_unreachable_tmdb_in_discovery(
    client, make_user, tmdb, test_settings, monkeypatch
):
    _, headers = await make_user()
    monkeypatch.setattr(test_settings.metadata, "tmdb_api_key", SecretStr("wrong"))
    refused = await client.get(POPULAR, params={"list": "popular"}, headers=headers)
    assert (refused.status_code, refused.json()["code"]) == (
        502,
        "content_request.metadata_rejected",
    )
    monkeypatch.setattr(test_settings.metadata, "tmdb_api_url", f"http://127.0.0.1:{free_port()}/3")
    down = await client.get(POPULAR, params={"list": "popular"}, headers=headers)
    assert (down.status_code, down.json()["code"]) == (502, "content_request.metadata_unavailable")


@pytest.mark.parametrize(
    "params",
    [
        {"list": "trending"},
        {"list": "popular", "media_type": "music"},
        {"list": "popular", "page": 0},
        {"list": "popular", "page": 501},
        {},
    ],
)
async def test_bad_discovery_parameters_are_422(client, make_user, tmdb, params):
    _, headers = await make_user()
    response = await client.get(POPULAR, params=params, headers=headers)
    assert response.status_code == 422
    assert tmdb.calls == []


async def test_the_season_picker_lists_tmdb_seasons_and_what_the_library_has(
    client, make_user, tmdb
):
    tmdb.add_show(70523, "Dark", "2017-12-01", tvdb_id=334824, seasons=3, specials=True)
    await make_series("Dark", tvdb_id=334824, seasons=(1, 2))
    _, headers = await make_user()
    response = await client.get("/api/v1/requests/tv/70523/seasons", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["external_id"], body["title"]) == ("70523", "Dark")
    assert [
        (s["number"], s["name"], s["episode_count"], s["in_library"]) for s in body["seasons"]
    ] == [
        (0, "Specials", 8, False),
        (1, "Season 1", 8, True),
        (2, "Season 2", 8, True),
        (3, "Season 3", 8, False),
    ]
    assert body["seasons"][1]["air_date"] == "2001-01-15"
    # Season 3 alone is still missing, so it can be requested; the whole series cannot.
    only_three = await ask(client, headers, media_type="tv", external_id="70523", seasons=[3])
    assert only_three.status_code == 201, only_three.text
    assert only_three.json()["seasons"] == [3]


async def test_seasons_of_an_unknown_series_without_tmdb_and_bad_ids(
    client, make_user, tmdb, test_settings, monkeypatch
):
    _, headers = await make_user()
    unknown = await client.get("/api/v1/requests/tv/999/seasons", headers=headers)
    assert (unknown.status_code, unknown.json()["code"]) == (
        422,
        "content_request.unknown_external_id",
    )
    bad = await client.get("/api/v1/requests/tv/abc/seasons", headers=headers)
    assert bad.status_code == 422
    monkeypatch.setattr(test_settings.metadata, "tmdb_api_key", None)
    off = await client.get("/api/v1/requests/tv/70523/seasons", headers=headers)
    assert (off.status_code, off.json()["code"]) == (503, "content_request.search_unavailable")


async def test_a_busy_tmdb_during_search_is_a_503_with_its_retry_after(client, make_user, tmdb):
    tmdb.add_movie(949, "Heat", "1995-12-15")
    tmdb.fail_next(429, retry_after=4)
    _, headers = await make_user()
    params = {"q": "heat", "media_type": "movie"}
    busy = await client.get("/api/v1/requests/search", params=params, headers=headers)
    assert (busy.status_code, busy.json()["code"]) == (503, "content_request.metadata_busy")
    assert busy.headers["Retry-After"] == "4"
    again = await client.get("/api/v1/requests/search", params=params, headers=headers)
    assert [item["poster_url"] for item in again.json()["items"]] == [
        "https://image.tmdb.org/t/p/w342/poster949.jpg"
    ]
