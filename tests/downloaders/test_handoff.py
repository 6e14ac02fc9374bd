"""Approved requests reach Radarr, Sonarr and Lidarr: added new, monitored, searched; the
request records the downloader and its item and shows ``processing``."""

from __future__ import annotations

from tests.downloaders.conftest import (
    DARK_TMDB,
    DARK_TVDB,
    HEAT_TMDB,
    OK_COMPUTER_RG,
    RADIOHEAD,
    add_downloader,
)
from tests.downloaders.helpers import approve, ask, ask_movie, handoff, read


async def test_an_approved_movie_is_added_to_radarr(client, make_user, admin, jobs, radarr):
    await add_downloader(client, admin, "radarr", radarr.url, minimum_availability="inCinemas")
    _, alice = await make_user()
    request = await ask_movie(client, alice)
    assert request["status"] == "pending"
    assert radarr.fake.calls == []  # nothing goes out before the approval

    await approve(client, admin, request["id"])
    await jobs.run()

    [movie] = radarr.fake.movies.values()
    posted = radarr.fake.writes("POST")[0]
    assert posted["path"] == "/movie"
    assert posted["body"] == {
        "title": "Heat",
        "tmdbId": HEAT_TMDB,
        "year": 1995,
        "qualityProfileId": 4,
        "rootFolderPath": "/movies",
        "minimumAvailability": "inCinemas",
        "monitored": True,
        "tags": [1],
        "addOptions": {"searchForMovie": True},
    }
    assert [c["path"] for c in radarr.fake.calls] == ["/movie/lookup", "/movie"]
    assert radarr.fake.calls[0]["params"] == {"term": f"tmdb:{HEAT_TMDB}"}
    assert radarr.fake.commands == [
        {"name": "MoviesSearch", "movieIds": [movie["id"]], "trigger": "add"}
    ]

    seen_by_alice = await read(client, alice, request["id"])
    assert seen_by_alice["status"] == "processing"
    assert seen_by_alice["downloader"] is None  # admins only
    seen_by_admin = await read(client, admin, request["id"])
    assert seen_by_admin["downloader"]["item_id"] == movie["id"]
    assert seen_by_admin["downloader"]["kind"] == "radarr"
    assert seen_by_admin["downloader"]["name"] == "My Radarr"


async def test_an_auto_approved_request_is_handed_off_too(client, make_user, admin, jobs, radarr):
    await add_downloader(client, admin, "radarr", radarr.url)
    created = await ask_movie(client, admin)  # an admin's own request is approved at once
    assert created["status"] == "approved"
    await jobs.run()
    assert len(radarr.fake.movies) == 1
    assert (await read(client, admin, created["id"]))["status"] == "processing"


async def test_a_movie_radarr_has_unmonitored_is_monitored_and_searched(
    client, make_user, admin, jobs, radarr
):
    await add_downloader(client, admin, "radarr", radarr.url)
    existing = radarr.fake.have(HEAT_TMDB, monitored=False)
    _, alice = await make_user()
    request = await ask_movie(client, alice)
    await approve(client, admin, request["id"])
    await jobs.run()

    put = radarr.fake.writes("PUT")
    assert [c["path"] for c in put] == [f"/movie/{existing['id']}"]
    assert put[0]["body"]["monitored"] is True
    assert radarr.fake.movies[existing["id"]]["monitored"] is True
    assert radarr.fake.writes("POST")[0]["path"] == "/command"
    assert radarr.fake.commands == [{"name": "MoviesSearch", "movieIds": [existing["id"]]}]
    assert len(radarr.fake.movies) == 1  # nothing added twice
    assert (await read(client, admin, request["id"]))["downloader"]["item_id"] == existing["id"]


async def test_a_movie_radarr_already_monitors_is_searched(client, make_user, admin, jobs, radarr):
    await add_downloader(client, admin, "radarr", radarr.url)
    existing = radarr.fake.have(HEAT_TMDB, monitored=True)
    _, alice = await make_user()
    request = await ask_movie(client, alice)
    await approve(client, admin, request["id"])
    await jobs.run()

    assert radarr.fake.writes("PUT") == []
    assert radarr.fake.commands == [{"name": "MoviesSearch", "movieIds": [existing["id"]]}]
    assert (await handoff(request["id"])).action == "searched"


async def test_search_on_add_off_adds_without_searching(client, make_user, admin, jobs, radarr):
    await add_downloader(client, admin, "radarr", radarr.url, search_on_add=False)
    _, alice = await make_user()
    request = await ask_movie(client, alice)
    await approve(client, admin, request["id"])
    await jobs.run()
    assert radarr.fake.writes("POST")[0]["body"]["addOptions"] == {"searchForMovie": False}
    assert radarr.fake.commands == []


async def test_a_new_series_monitors_only_the_requested_seasons(
    client, make_user, admin, jobs, sonarr, tmdb
):
    tmdb.add_show(DARK_TMDB, "Dark", "2017-12-01", tvdb_id=DARK_TVDB)
    await add_downloader(
        client, admin, "sonarr", sonarr.url, series_type="standard", season_folder=False
    )
    _, alice = await make_user()
    request = await ask(client, alice, media_type="tv", external_id=str(DARK_TMDB), seasons=[1, 2])
    assert request["tvdb_id"] == DARK_TVDB
    await approve(client, admin, request["id"])
    await jobs.run()

    lookup, post = sonarr.fake.calls
    assert lookup["params"] == {"term": f"tvdb:{DARK_TVDB}"}
    body = post["body"]
    assert {s["seasonNumber"]: s["monitored"] for s in body["seasons"]} == {
        0: False,
        1: True,
        2: True,
        3: False,
    }
    assert body["tvdbId"] == DARK_TVDB
    assert (body["seriesType"], body["seasonFolder"], body["monitored"]) == (
        "standard",
        False,
        True,
    )
    assert (body["qualityProfileId"], body["rootFolderPath"]) == (4, "/tv")
    assert body["addOptions"] == {"searchForMissingEpisodes": True}
    assert (await read(client, alice, request["id"]))["status"] == "processing"


async def test_a_series_sonarr_has_gets_the_requested_seasons_monitored_and_searched(
    client, make_user, admin, jobs, sonarr, tmdb
):
    tmdb.add_show(DARK_TMDB, "Dark", "2017-12-01", tvdb_id=DARK_TVDB)
    await add_downloader(client, admin, "sonarr", sonarr.url)
    existing = sonarr.fake.have(DARK_TVDB, monitored_seasons=(1,))
    _, alice = await make_user()
    request = await ask(client, alice, media_type="tv", external_id=str(DARK_TMDB), seasons=[3])
    await approve(client, admin, request["id"])
    await jobs.run()

    [put] = sonarr.fake.writes("PUT")
    assert put["path"] == f"/series/{existing['id']}"
    monitored = {s["seasonNumber"]: s["monitored"] for s in put["body"]["seasons"]}
    assert monitored == {0: False, 1: True, 2: False, 3: True}  # season 1 stays monitored
    assert sonarr.fake.commands == [
        {"name": "SeasonSearch", "seriesId": existing["id"], "seasonNumber": 3}
    ]
    assert len(sonarr.fake.series) == 1


async def test_a_whole_series_request_without_tvdb_id_is_found_by_tmdb_id(
    client, make_user, admin, jobs, sonarr
):
    await add_downloader(client, admin, "sonarr", sonarr.url)
    _, alice = await make_user()
    # No metadata provider: the request has no TVDB id; Sonarr 4 looks TMDB ids up too.
    request = await ask(client, alice, media_type="tv", external_id=str(DARK_TMDB), title="Dark")
    assert request["tvdb_id"] is None
    await approve(client, admin, request["id"])
    await jobs.run()

    assert sonarr.fake.calls[0]["params"] == {"term": f"tmdb:{DARK_TMDB}"}
    body = sonarr.fake.writes("POST")[0]["body"]
    assert body["tvdbId"] == DARK_TVDB
    # The whole series: every season but the specials.
    assert [s["seasonNumber"] for s in body["seasons"] if s["monitored"]] == [1, 2, 3]


async def test_a_series_no_downloader_can_identify_fails_with_a_clear_reason(
    client, make_user, admin, jobs, sonarr
):
    await add_downloader(client, admin, "sonarr", sonarr.url)
    _, alice = await make_user()
    request = await ask(client, alice, media_type="tv", external_id="123456", title="Unknown")
    await approve(client, admin, request["id"])
    await jobs.run()
    seen = await read(client, admin, request["id"])
    assert (seen["status"], seen["status_reason"]) == ("approved", "handoff_no_tvdb_id")
    assert "TVDB" in seen["status_reason_text"]
    assert sonarr.fake.writes() == []


async def test_an_album_is_added_to_lidarr_with_its_artist(client, make_user, admin, jobs, lidarr):
    await add_downloader(client, admin, "lidarr", lidarr.url)
    _, alice = await make_user()
    request = await ask(
        client, alice, media_type="music", external_id=OK_COMPUTER_RG, title="OK Computer"
    )
    await approve(client, admin, request["id"])
    await jobs.run()

    assert lidarr.fake.calls[0]["path"] == "/album/lookup"
    assert lidarr.fake.calls[0]["params"] == {"term": f"lidarr:{OK_COMPUTER_RG}"}
    body = lidarr.fake.writes("POST")[0]["body"]
    assert body["foreignAlbumId"] == OK_COMPUTER_RG
    assert body["monitored"] is True
    assert body["addOptions"] == {"searchForNewAlbum": True}
    artist = body["artist"]
    assert artist["foreignArtistId"] == RADIOHEAD
    assert (artist["qualityProfileId"], artist["metadataProfileId"]) == (4, 1)
    assert (artist["rootFolderPath"], artist["monitored"]) == ("/music", True)
    [album] = lidarr.fake.albums.values()
    [added_artist] = lidarr.fake.artists.values()
    assert album["artistId"] == added_artist["id"]
    assert (await read(client, admin, request["id"]))["downloader"]["item_id"] == album["id"]


async def test_an_album_lidarr_has_unmonitored_is_monitored_and_searched(
    client, make_user, admin, jobs, lidarr
):
    await add_downloader(client, admin, "lidarr", lidarr.url)
    existing = lidarr.fake.have_album(OK_COMPUTER_RG, monitored=False)
    _, alice = await make_user()
    request = await ask(
        client, alice, media_type="music", external_id=OK_COMPUTER_RG, title="OK Computer"
    )
    await approve(client, admin, request["id"])
    await jobs.run()
    assert [c["path"] for c in lidarr.fake.writes("PUT")] == ["/album/monitor"]
    assert lidarr.fake.albums[existing["id"]]["monitored"] is True
    assert lidarr.fake.commands == [{"name": "AlbumSearch", "albumIds": [existing["id"]]}]


async def test_an_artist_request_adds_the_artist(client, make_user, admin, jobs, lidarr):
    await add_downloader(client, admin, "lidarr", lidarr.url)
    _, alice = await make_user()
    request = await ask(
        client,
        alice,
        media_type="music",
        music_kind="artist",
        external_id=RADIOHEAD,
        title="Radiohead",
    )
    await approve(client, admin, request["id"])
    await jobs.run()
    assert lidarr.fake.calls[0]["path"] == "/artist/lookup"
    posted = lidarr.fake.writes("POST")[0]
    assert posted["path"] == "/artist"
    assert posted["body"]["foreignArtistId"] == RADIOHEAD
    assert posted["body"]["addOptions"] == {"monitor": "all", "searchForMissingAlbums": True}
    assert (await read(client, alice, request["id"]))["status"] == "processing"


async def test_the_default_downloader_of_the_kind_gets_it(client, make_user, admin, jobs, radarr):
    await add_downloader(client, admin, "radarr", "http://127.0.0.1:9", name="Old Radarr")
    await add_downloader(client, admin, "radarr", radarr.url, name="Radarr 4K", is_default=True)
    _, alice = await make_user()
    request = await ask_movie(client, alice)
    await approve(client, admin, request["id"])
    await jobs.run()
    assert (await read(client, admin, request["id"]))["downloader"]["name"] == "Radarr 4K"


async def test_without_a_downloader_an_approved_request_just_stays_approved(
    client, make_user, admin, jobs
):
    _, alice = await make_user()
    request = await ask_movie(client, alice)
    await approve(client, admin, request["id"])
    await jobs.run()
    seen = await read(client, alice, request["id"])
    assert (seen["status"], seen["status_reason"]) == ("approved", None)
    assert (await handoff(request["id"])).status == "skipped"


async def test_denying_after_the_handoff_deletes_nothing_in_the_downloader(
    client, make_user, admin, jobs, radarr
):
    await add_downloader(client, admin, "radarr", radarr.url)
    _, alice = await make_user()
    request = await ask_movie(client, alice)
    await approve(client, admin, request["id"])
    await jobs.run()
    calls_before = len(radarr.fake.calls)

    denied = await client.post(f"/api/v1/admin/requests/{request['id']}/deny", headers=admin)
    assert denied.json()["status"] == "denied"
    await jobs.run()
    assert len(radarr.fake.calls) == calls_before
    assert len(radarr.fake.movies) == 1
    assert (await handoff(request["id"])).status == "closed"


async def test_a_me_too_with_more_seasons_tells_sonarr(
    client,
    make_user,
    admin,
    jobs,
    sonarr,
    tmdb,
):
    tmdb.add_show(DARK_TMDB, "Dark", "2017-12-01", tvdb_id=DARK_TVDB)
    await add_downloader(client, admin, "sonarr", sonarr.url)
    _, alice = await make_user()
    _, bruno = await make_user()
    request = await ask(client, alice, media_type="tv", external_id=str(DARK_TMDB), seasons=[1])
    await approve(client, admin, request["id"])
    await jobs.run()
    [series_id] = sonarr.fake.series

    joined = await client.post(
        "/api/v1/requests",
        json={"media_type": "tv", "external_id": str(DARK_TMDB), "seasons": [2]},
        headers=bruno,
    )
    assert joined.status_code == 200, joined.text
    await jobs.run()
    [put] = sonarr.fake.writes("PUT")
    assert {s["seasonNumber"]: s["monitored"] for s in put["body"]["seasons"]} == {
        0: False,
        1: True,
        2: True,
        3: False,
    }
    assert {
        "name": "SeasonSearch",
        "seriesId": series_id,
        "seasonNumber": 2,
    } in sonarr.fake.commands
    assert (await read(client, alice, request["id"]))["status"] == "processing"
