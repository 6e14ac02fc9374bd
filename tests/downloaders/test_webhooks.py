"""Radarr/Sonarr/Lidarr webhooks: Test answers OK, imports/renames/deletes become targeted
scans of what they name (through the downloader's path map), and an import makes the request
available and tells the requester, with nobody pressing "scan"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from revenge.core.db import session_scope
from revenge.downloaders.webhooks import rewrite
from revenge.library.models import LibraryScan
from tests.downloaders.conftest import HEAT_TMDB, add_downloader
from tests.downloaders.helpers import approve, ask_movie, handoff, notifications_of, read
from tests.library.conftest import media, tree  # noqa: F401  (real media files, library trees)

HEAT_FOLDER = "Heat (1995) {tmdb-949}"


async def library(client, admin, kind: str, root: Path) -> str:
    created = await client.post(
        "/api/v1/admin/libraries",
        json={"name": f"{kind}-{root.name}", "kind": kind, "path": str(root)},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    return created.json()["id"]


async def queued_targets() -> list[str | None]:
    async with session_scope() as s:
        rows = await s.execute(
            select(LibraryScan.target_path)
            .where(LibraryScan.status == "queued")
            .order_by(LibraryScan.created_at)
        )
        return list(rows.scalars())


def hook(created: dict[str, Any]) -> str:
    return created["webhook_url"].removeprefix("http://testserver")


def radarr_download(folder: str, file: str) -> dict[str, Any]:
    """Radarr's "On Import" webhook (WebhookImportPayload), trimmed to what matters."""
    return {
        "eventType": "Download",
        "instanceName": "Radarr",
        "applicationUrl": "",
        "movie": {
            "id": 1,
            "title": "Heat",
            "year": 1995,
            "folderPath": folder,
            "tmdbId": HEAT_TMDB,
            "imdbId": "tt0113277",
            "tags": [],
        },
        "movieFile": {
            "id": 7,
            "relativePath": file.rsplit("/", 1)[1],
            "path": file,
            "quality": "Bluray-1080p",
            "size": 2_000_000,
        },
        "isUpgrade": False,
        "downloadClient": "qBittorrent",
        "downloadId": "ABCDEF",
    }


async def test_an_import_makes_the_request_available_and_tells_the_requester(
    client,
    make_user,
    admin,
    jobs,
    radarr,
    tree,  # noqa: F811
):
    movies = tree("movies")
    await library(client, admin, "movies", movies.root)
    created = await add_downloader(
        client,
        admin,
        "radarr",
        radarr.url,
        path_map=[{"from": "/data/movies", "to": str(movies.root)}],
    )
    alice_user, alice = await make_user()
    request = await ask_movie(client, alice)
    await approve(client, admin, request["id"])
    await jobs.run()
    assert (await read(client, alice, request["id"]))["status"] == "processing"

    # Radarr imports the download into its folder, then calls the webhook.
    movies.add(f"{HEAT_FOLDER}/Heat (1995).mkv", movies.media.mkv)
    answer = await client.post(
        hook(created),
        json=radarr_download(
            f"/data/movies/{HEAT_FOLDER}", f"/data/movies/{HEAT_FOLDER}/Heat (1995).mkv"
        ),
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"event": "Download", "action": "scan", "scans": 1}
    assert await queued_targets() == [str(movies.root / HEAT_FOLDER)]

    await jobs.run()  # the targeted scan → library.item_added → the request's check
    seen = await read(client, alice, request["id"])
    assert seen["status"] == "available"
    assert seen["library_item"]["media_type"] == "movie"
    [told] = await notifications_of(alice_user.id, "request_available")
    assert "Heat" in told.title
    assert (await handoff(request["id"])).status == "closed"  # no longer followed
    downloader = (
        await client.get(f"/api/v1/admin/downloaders/{created['id']}", headers=admin)
    ).json()
    assert downloader["last_webhook_event"] == "Download"


async def test_the_test_event_is_answered_ok_and_unknown_events_are_ignored(client, admin):
    created = await add_downloader(client, admin, "radarr", "http://nas:7878")
    test = await client.post(hook(created), json={"eventType": "Test", "movie": {"id": 1}})
    assert test.json() == {"event": "Test", "action": "test", "scans": 0}
    grab = await client.post(hook(created), json={"eventType": "Grab", "movie": {"id": 1}})
    assert grab.json() == {"event": "Grab", "action": "ignore", "scans": 0}
    health = await client.post(hook(created), json={"eventType": "HealthRestored"})
    assert (health.status_code, health.json()["action"]) == (200, "ignore")
    assert await queued_targets() == []


async def test_a_wrong_token_or_downloader_gets_401_without_a_hint(client, admin):
    created = await add_downloader(client, admin, "radarr", "http://nas:7878")
    url = hook(created)
    wrong_token = await client.post(url[:-3] + "xyz", json={"eventType": "Test"})
    other_id = url.replace(created["id"], "00000000-0000-4000-8000-000000000000")
    wrong_id = await client.post(other_id, json={"eventType": "Test"})
    assert wrong_token.status_code == wrong_id.status_code == 401
    assert wrong_token.json()["detail"] == wrong_id.json()["detail"]
    assert wrong_token.json()["code"] == "downloaders.webhook_unauthorized"
    not_json = await client.post(url, content=b"<xml/>")
    assert (not_json.status_code, not_json.json()["code"]) == (400, "downloaders.webhook_not_json")


async def test_sonarr_episode_imports_scan_their_season_folder(client, admin, tree):  # noqa: F811
    shows = tree("tv")
    await library(client, admin, "tv", shows.root)
    created = await add_downloader(
        client,
        admin,
        "sonarr",
        "http://nas:8989",
        path_map=[{"from": "/tv", "to": str(shows.root)}],
    )
    season = "/tv/Dark (2017)/Season 01"
    answer = await client.post(
        hook(created),
        json={
            "eventType": "Download",
            "series": {"id": 3, "title": "Dark", "path": "/tv/Dark (2017)", "tvdbId": 334824},
            "episodes": [{"id": 1, "episodeNumber": 1, "seasonNumber": 1}],
            "episodeFiles": [
                {
                    "id": 1,
                    "relativePath": "Season 01/Dark S01E01.mkv",
                    "path": f"{season}/Dark S01E01.mkv",
                },
                {
                    "id": 2,
                    "relativePath": "Season 01/Dark S01E02.mkv",
                    "path": f"{season}/Dark S01E02.mkv",
                },
            ],
        },
    )
    assert answer.json()["scans"] == 1
    assert await queued_targets() == [str(shows.root / "Dark (2017)" / "Season 01")]


async def test_deletes_scan_the_named_path_so_missing_items_are_noticed(client, admin, tree):  # noqa: F811
    music = tree("music")
    await library(client, admin, "music", music.root)
    lidarr = await add_downloader(
        client,
        admin,
        "lidarr",
        "http://nas:8686",
        path_map=[{"from": "/music", "to": str(music.root)}],
    )
    deleted = await client.post(
        hook(lidarr),
        json={
            "eventType": "AlbumDelete",
            "artist": {"id": 1, "name": "Radiohead", "path": "/music/Radiohead"},
            "album": {"id": 2, "title": "OK Computer"},
            "deletedFiles": True,
        },
    )
    assert deleted.json() == {"event": "AlbumDelete", "action": "scan", "scans": 1}
    assert await queued_targets() == [str(music.root / "Radiohead")]


async def test_paths_outside_every_library_queue_nothing(client, admin):
    created = await add_downloader(client, admin, "radarr", "http://nas:7878")
    answer = await client.post(
        hook(created), json=radarr_download("/nowhere/Heat (1995)", "/nowhere/Heat (1995)/h.mkv")
    )
    assert answer.json() == {"event": "Download", "action": "scan", "scans": 0}


def test_the_path_map_rewrites_the_longest_matching_folder_prefix():
    path_map = [
        {"from": "/data", "to": "/srv/data"},
        {"from": "/data/movies", "to": "/mnt/films"},
        {"from": "D:\\Media", "to": "/srv/media"},
    ]
    assert rewrite("/data/movies/Heat (1995)", path_map) == "/mnt/films/Heat (1995)"
    assert rewrite("/data/movies2/Heat", path_map) == "/srv/data/movies2/Heat"
    assert rewrite("/data/movies", path_map) == "/mnt/films"
    assert rewrite("/elsewhere/x", path_map) == "/elsewhere/x"
    assert rewrite("d:\\media\\Films\\Heat.mkv", path_map) == "/srv/media/Films/Heat.mkv"
    assert rewrite("/anything", [{"from": "/", "to": "/host"}]) == "/host/anything"
