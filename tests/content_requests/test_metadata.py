"""TMDB and MusicBrainz lookups through fakes that speak their protocols over real HTTP."""

from __future__ import annotations

import httpx2 as httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import func, select

from revenge.content_requests.models import ContentRequest
from tests.content_requests.helpers import ask, make_album, make_series
from tests.factories import make_movie
from tests.fakes.tmdb import READ_TOKEN

RG_MEZZANINE = "0b1c1f5e-8d6c-3b4e-9d6a-7f3f4a0b9c11"
ARTIST_MASSIVE = "10adbe5e-a2c0-4bf3-8249-2b4cbf6e6ca8"


async def count_requests(session) -> int:
    return (await session.execute(select(func.count()).select_from(ContentRequest))).scalar_one()


async def test_movie_details_come_from_tmdb(client, make_user, tmdb):
    tmdb.add_movie(949, "Heat", "1995-12-15", overview="Obsessive master thief.")
    _, headers = await make_user()
    # The client's own title is ignored when a provider knows better.
    response = await ask(client, headers, media_type="movie", external_id="949", title="heat??")
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["title"], body["year"], body["overview"], body["poster_path"]) == (
        "Heat",
        1995,
        "Obsessive master thief.",
        "/poster949.jpg",
    )
    call = tmdb.calls[-1]
    assert call["path"] == "/3/movie/949"
    assert call["params"]["api_key"] == "fake-tmdb-v3-key"


async def test_tv_lookup_keeps_the_tvdb_id_and_a_v4_token_goes_in_the_header(
    client, make_user, tmdb, test_settings, monkeypatch
):
    monkeypatch.setattr(test_settings.metadata, "tmdb_api_key", SecretStr(READ_TOKEN))
    tmdb.add_show(70523, "Dark", "2017-12-01", tvdb_id=334824)
    _, headers = await make_user()
    body = (await ask(client, headers, media_type="tv", external_id="70523")).json()
    assert (body["title"], body["year"], body["tvdb_id"]) == ("Dark", 2017, 334824)
    assert tmdb.calls[-1]["authorization"] == f"Bearer {READ_TOKEN}"
    assert "api_key" not in tmdb.calls[-1]["params"]


async def test_a_series_known_to_the_library_only_by_tvdb_id_is_in_the_library(
    client, make_user, tmdb
):
    tmdb.add_show(70523, "Dark", "2017-12-01", tvdb_id=334824)
    await make_series("Dark", tvdb_id=334824)
    _, headers = await make_user()
    response = await ask(client, headers, media_type="tv", external_id="70523")
    assert (response.status_code, response.json()["code"]) == (409, "content_request.in_library")


async def test_unknown_tmdb_id_is_a_clear_422(client, make_user, tmdb, session):
    _, headers = await make_user()
    response = await ask(client, headers, media_type="movie", external_id="999999")
    assert response.status_code == 422
    assert response.json()["code"] == "content_request.unknown_external_id"
    assert response.json()["title"] == "Not found at TMDB"
    assert await count_requests(session) == 0


@pytest.mark.parametrize(
    ("status", "code", "http_status"),
    [
        (500, "content_request.metadata_unavailable", 502),
        (429, "content_request.metadata_busy", 503),
    ],
)
async def test_tmdb_failures_become_translated_problems_and_save_nothing(
    client, make_user, tmdb, session, status, code, http_status
):
    tmdb.add_movie(949, "Heat", "1995-12-15")
    tmdb.fail_next(status, retry_after=17)
    _, headers = await make_user(locale="es")
    response = await ask(client, headers, media_type="movie", external_id="949")
    assert response.status_code == http_status
    assert response.json()["code"] == code
    assert "TMDB" in response.json()["title"]
    assert "No se guardó nada" in response.json()["detail"]
    if status == 429:
        assert response.headers["Retry-After"] == "17"
    assert await count_requests(session) == 0
    # The provider is back: the same request goes through.
    assert (await ask(client, headers, media_type="movie", external_id="949")).status_code == 201


async def test_a_rejected_tmdb_key_is_reported_as_such(
    client, make_user, tmdb, test_settings, monkeypatch
):
    monkeypatch.setattr(test_settings.metadata, "tmdb_api_key", SecretStr("wrong"))
    _, headers = await make_user()
    response = await ask(client, headers, media_type="movie", external_id="949")
    assert (response.status_code, response.json()["code"]) == (
        502,
        "content_request.metadata_rejected",
    )


async def test_tmdb_unreachable_is_a_502(client, make_user, test_settings, monkeypatch):
    from tests.helpers import free_port

    monkeypatch.setattr(test_settings.metadata, "tmdb_api_url", f"http://127.0.0.1:{free_port()}/3")
    monkeypatch.setattr(test_settings.metadata, "tmdb_api_key", SecretStr("k"))
    _, headers = await make_user()
    response = await ask(client, headers, media_type="movie", external_id="949")
    assert (response.status_code, response.json()["code"]) == (
        502,
        "content_request.metadata_unavailable",
    )


async def test_search_flags_library_and_requested_items(client, make_user, tmdb):
    tmdb.add_movie(949, "Heat", "1995-12-15")
    tmdb.add_movie(11, "Heat Wave", "2001-01-01")
    tmdb.add_movie(12, "Heathers", "1989-03-31")
    await make_movie("Heathers", tmdb_id=12)
    _, headers = await make_user()
    request_id = (await ask(client, headers, media_type="movie", external_id="949")).json()["id"]
    response = await client.get(
        "/api/v1/requests/search", params={"q": "heat", "media_type": "movie"}, headers=headers
    )
    assert response.status_code == 200, response.text
    results = {item["title"]: item for item in response.json()["items"]}
    assert set(results) == {"Heat", "Heat Wave", "Heathers"}
    assert (results["Heat"]["requested"], results["Heat"]["request_status"]) == (True, "pending")
    assert results["Heat"]["request_id"] == request_id
    assert results["Heat"]["in_library"] is False
    assert (results["Heathers"]["in_library"], results["Heathers"]["requested"]) == (True, False)
    assert results["Heathers"]["library_item"]["media_type"] == "movie"
    assert (results["Heat Wave"]["in_library"], results["Heat Wave"]["requested"]) == (False, False)


async def test_search_without_provider_is_unavailable(client, make_user):
    _, headers = await make_user()
    response = await client.get(
        "/api/v1/requests/search", params={"q": "heat", "media_type": "movie"}, headers=headers
    )
    assert (response.status_code, response.json()["code"]) == (
        503,
        "content_request.search_unavailable",
    )


async def test_album_and_artist_requests_come_from_musicbrainz(client, make_user, musicbrainz):
    musicbrainz.add_artist(ARTIST_MASSIVE, "Massive Attack", begin="1988")
    musicbrainz.add_release_group(RG_MEZZANINE, "Mezzanine", ARTIST_MASSIVE, "1998-04-20")
    _, headers = await make_user()
    album = await ask(client, headers, media_type="music", external_id=RG_MEZZANINE.upper())
    artist = await ask(
        client, headers, media_type="music", external_id=ARTIST_MASSIVE, music_kind="artist"
    )
    assert album.status_code == 201, album.text
    assert (album.json()["title"], album.json()["year"]) == ("Massive Attack – Mezzanine", 1998)
    assert album.json()["external_id"] == RG_MEZZANINE
    assert album.json()["external_source"] == "musicbrainz_release_group"
    assert (artist.json()["title"], artist.json()["external_source"]) == (
        "Massive Attack",
        "musicbrainz_artist",
    )
    # Two lookups back to back, yet MusicBrainz never saw us go faster than allowed.
    assert musicbrainz.rate_limited == 0
    assert all(call["user_agent"].startswith("Revenge/") for call in musicbrainz.calls)
    assert all(call["params"]["fmt"] == "json" for call in musicbrainz.calls)


async def test_musicbrainz_fake_checks_the_user_agent_and_rate(musicbrainz, test_settings):
    base = test_settings.metadata.musicbrainz_api_url
    async with httpx.AsyncClient() as plain:
        anonymous = await plain.get(f"{base}/artist/{ARTIST_MASSIVE}?fmt=json")
        assert anonymous.status_code == 403
        agent = {"User-Agent": "Test/1.0 ( test@example.test )"}
        await plain.get(f"{base}/artist/{ARTIST_MASSIVE}?fmt=json", headers=agent)
        too_fast = await plain.get(f"{base}/artist/{ARTIST_MASSIVE}?fmt=json", headers=agent)
        assert too_fast.status_code == 503


async def test_musicbrainz_trouble_saves_nothing(client, make_user, musicbrainz, session):
    musicbrainz.add_artist(ARTIST_MASSIVE, "Massive Attack")
    musicbrainz.fail_next(503)
    _, headers = await make_user()
    busy = await ask(
        client, headers, media_type="music", external_id=ARTIST_MASSIVE, music_kind="artist"
    )
    assert (busy.status_code, busy.json()["code"]) == (503, "content_request.metadata_busy")
    assert "Retry-After" in busy.headers
    unknown = await ask(client, headers, media_type="music", external_id=RG_MEZZANINE)
    assert (unknown.status_code, unknown.json()["code"]) == (
        422,
        "content_request.unknown_external_id",
    )
    assert await count_requests(session) == 0


async def test_album_in_library_by_release_group(client, make_user, musicbrainz):
    musicbrainz.add_artist(ARTIST_MASSIVE, "Massive Attack")
    musicbrainz.add_release_group(RG_MEZZANINE, "Mezzanine", ARTIST_MASSIVE)
    await make_album("Mezzanine", "Massive Attack", release_group=RG_MEZZANINE)
    _, headers = await make_user()
    response = await ask(client, headers, media_type="music", external_id=RG_MEZZANINE)
    assert (response.status_code, response.json()["code"]) == (409, "content_request.in_library")
    search = await client.get(
        "/api/v1/requests/search", params={"q": "mezz", "media_type": "music"}, headers=headers
    )
    assert search.json()["items"][0]["in_library"] is True
