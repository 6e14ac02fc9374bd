"""The queue poll: each processing request shows its download's progress, size left,
estimated completion and state, on the user's requests page and the admin list."""

from __future__ import annotations

from revenge.downloaders.jobs import poll_download_queues
from tests.downloaders.conftest import DARK_TMDB, DARK_TVDB, OK_COMPUTER_RG, add_downloader
from tests.downloaders.helpers import approve, ask, ask_movie, read

GB = 1024**3


async def poll(jobs) -> int:
    changed = await poll_download_queues(0)
    await jobs.run()
    return changed


async def test_a_movie_download_shows_its_progress(client, make_user, admin, jobs, radarr):
    await add_downloader(client, admin, "radarr", radarr.url)
    _, alice = await make_user()
    request = await ask_movie(client, alice)
    await approve(client, admin, request["id"])
    await jobs.run()
    [movie_id] = radarr.fake.movies
    assert (await read(client, alice, request["id"]))["download"] is None  # not looked yet

    record = radarr.fake.add_queue(
        movieId=movie_id,
        title="Heat.1995.1080p",
        size=8 * GB,
        sizeleft=2 * GB,
        timeleft="00:10:00",
        estimatedCompletionTime="2030-01-01T12:10:00Z",
    )
    radarr.fake.add_queue(movieId=movie_id + 100, size=GB, sizeleft=GB)  # someone else's
    assert await poll(jobs) == 1
    queue_call = radarr.fake.calls[-1]
    assert queue_call["path"] == "/queue"
    assert queue_call["params"]["page"] == "1"

    download = (await read(client, alice, request["id"]))["download"]
    assert download["status"] == "downloading"
    assert download["progress"] == 0.75
    assert (download["size_bytes"], download["size_left_bytes"]) == (8 * GB, 2 * GB)
    assert download["estimated_completion_at"].startswith("2030-01-01T12:10:00")
    mine = (await client.get("/api/v1/requests", headers=alice)).json()["items"][0]
    assert mine["download"]["progress"] == 0.75
    listed = await client.get("/api/v1/admin/requests?status=processing", headers=admin)
    assert listed.json()["items"][0]["download"]["progress"] == 0.75

    # Nothing changed: no report, no job.
    assert await poll(jobs) == 0

    record.update(sizeleft=0, status="completed", trackedDownloadState="importPending")
    assert await poll(jobs) == 1
    download = (await read(client, alice, request["id"]))["download"]
    assert (download["status"], download["progress"]) == ("importing", 1.0)

    radarr.fake.queue.clear()  # imported: out of the queue
    assert await poll(jobs) == 1
    assert (await read(client, alice, request["id"]))["download"]["status"] is None


async def test_a_series_counts_the_requested_seasons_downloads(
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
    request = await ask(client, alice, media_type="tv", external_id=str(DARK_TMDB), seasons=[2])
    await approve(client, admin, request["id"])
    await jobs.run()
    [series_id] = sonarr.fake.series
    sonarr.fake.add_queue(
        seriesId=series_id,
        seasonNumber=2,
        episodeId=1,
        size=100,
        sizeleft=100,
        status="queued",
        trackedDownloadState="downloading",
    )
    sonarr.fake.add_queue(seriesId=series_id, seasonNumber=2, episodeId=2, size=300, sizeleft=100)
    sonarr.fake.add_queue(seriesId=series_id, seasonNumber=1, episodeId=3, size=900, sizeleft=0)
    await poll(jobs)
    download = (await read(client, alice, request["id"]))["download"]
    # Season 1 is not part of this request; of season 2, 200 of 400 bytes are done.
    assert (download["size_bytes"], download["size_left_bytes"]) == (400, 200)
    assert download["progress"] == 0.5
    assert download["status"] == "queued"  # the least advanced of its downloads


async def test_a_warning_and_a_long_queue_across_pages(client, make_user, admin, jobs, lidarr):
    await add_downloader(client, admin, "lidarr", lidarr.url)
    _, alice = await make_user()
    request = await ask(
        client, alice, media_type="music", external_id=OK_COMPUTER_RG, title="OK Computer"
    )
    await approve(client, admin, request["id"])
    await jobs.run()
    [album_id] = lidarr.fake.albums
    for n in range(150):  # two pages of 100
        lidarr.fake.add_queue(albumId=10_000 + n, artistId=1, size=10, sizeleft=5)
    lidarr.fake.add_queue(
        albumId=album_id,
        size=1000,
        sizeleft=0,
        status="completed",
        trackedDownloadStatus="warning",
        trackedDownloadState="importBlocked",
    )
    await poll(jobs)
    pages = [c["params"]["page"] for c in lidarr.fake.calls if c["path"] == "/queue"]
    assert pages == ["1", "2"]
    download = (await read(client, alice, request["id"]))["download"]
    assert (download["status"], download["progress"]) == ("warning", 1.0)


async def test_a_queue_that_cannot_be_read_is_noted_on_the_downloader(
    client, make_user, admin, jobs, radarr
):
    created = await add_downloader(client, admin, "radarr", radarr.url)
    _, alice = await make_user()
    request = await ask_movie(client, alice)
    await approve(client, admin, request["id"])
    await jobs.run()
    radarr.fake.fail_next(500)
    assert await poll(jobs) == 0
    downloader = (
        await client.get(f"/api/v1/admin/downloaders/{created['id']}", headers=admin)
    ).json()
    assert downloader["last_error"] == "Radarr answered HTTP 500"
    assert (await read(client, alice, request["id"]))["status"] == "processing"


async def test_an_admin_can_check_the_queue_now(client, make_user, admin, jobs, radarr):
    created = await add_downloader(client, admin, "radarr", radarr.url)
    _, alice = await make_user()
    request = await ask_movie(client, alice)
    await approve(client, admin, request["id"])
    await jobs.run()
    [movie_id] = radarr.fake.movies
    radarr.fake.add_queue(movieId=movie_id, size=400, sizeleft=300)
    checked = await client.post(
        f"/api/v1/admin/downloaders/{created['id']}/queue-check", headers=admin
    )
    assert checked.status_code == 200, checked.text
    assert (checked.json()["downloads"], checked.json()["changed"]) == (1, 1)
    await jobs.run()
    assert (await read(client, alice, request["id"]))["download"]["progress"] == 0.25
