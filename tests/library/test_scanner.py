"""Scans of generated folder trees with tiny real media: movies, TV, music; rename, delete,
reappear, change, unchanged rescans, images, events, progress and failure."""

from __future__ import annotations

import os
import shutil
import uuid
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from revenge.core.db import session_scope
from revenge.library import scanner
from revenge.library.jobs import scan_library
from revenge.library.models import LibraryScan, MediaImage
from revenge.library.service import create_scan
from tests.library.conftest import create_and_scan

MB = {
    "artist": "10adbe5e-a2c0-4bf3-8249-2b4cbf6e6ca8",
    "release": "5dd5d3cc-3a1a-4fa1-8a63-3b1c9a2fc6a0",
    "group": "c7c8d6d4-4a04-3f35-9d44-0f4d5d6fd5b2",
    "angel": "2c6e0b56-2fd6-4b3a-9d8f-6f7c8f0e5a11",
    "teardrop": "f1b2c3d4-1111-4222-8333-944455556666",
}


async def items(client, headers, kind, **params):
    response = await client.get(f"/api/v1/library/{kind}", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def by(rows, key):
    return {row[key]: row for row in rows}


async def pending_events(jobs, name):
    return [job["args"] for job in await jobs.pending(f"tests.library.{name}")]


def movie_tree(tree):
    t = tree("movies")
    t.add("Inception (2010) [tmdbid-27205]/Inception (2010).mkv", t.media.mkv)
    t.add("Inception (2010) [tmdbid-27205]/poster.jpg", t.media.jpg)
    t.add("Inception (2010) [tmdbid-27205]/fanart.jpg", t.media.jpg)
    t.add("The Matrix (1999) {imdb-tt0133093}/The Matrix (1999).mp4", t.media.mp4)
    t.add("Heat (1995)/Heat (1995).mkv", t.media.mkv)
    t.add("Heat (1995)/extras/Heat - Making of.mkv", t.media.mp4)
    t.add("Heat (1995)/Heat (1995)-trailer.mkv", t.media.mp4)
    t.add("Alien.1979.1080p.BluRay.x264.mkv", t.media.mp4)
    t.add("Alien.1979.1080p.BluRay.x264-poster.jpg", t.media.jpg)
    t.touch("notes.txt", b"not media")
    return t


async def test_movie_scan_reads_names_ids_durations_and_images(client, jobs, admin, tree):
    t = movie_tree(tree)
    library_id, scan = await create_and_scan(
        client, jobs, admin, name="Movies", kind="movies", path=str(t.root)
    )
    assert scan["status"] == "done", scan
    assert (scan["files_total"], scan["files_done"], scan["items_added"]) == (4, 4, 4)
    assert scan["started_at"] and scan["finished_at"] and scan["error"] is None

    movies = by(await items(client, admin, "movies"), "title")
    assert set(movies) == {"Inception", "The Matrix", "Heat", "Alien"}  # extras, trailer skipped
    inception, matrix = movies["Inception"], movies["The Matrix"]
    assert (inception["year"], inception["tmdb_id"]) == (2010, 27205)
    assert (matrix["year"], matrix["imdb_id"]) == (1999, "tt0133093")
    assert movies["Alien"]["year"] == 1979
    assert abs(inception["duration_ms"] - 2000) < 150
    assert abs(matrix["duration_ms"] - 1000) < 150
    file = inception["file"]
    assert file["container"] == "mkv" and file["mime_type"] == "video/x-matroska"
    assert (file["width"], file["height"]) == (64, 48)
    assert (file["video_codec"], file["audio_codec"]) == ("mpeg4", "aac")
    assert file["bitrate"] > 0
    assert file["path"].endswith("Inception (2010).mkv")  # admins see paths
    assert {(i["kind"], i["width"], i["height"]) for i in inception["images"]} == {
        ("poster", 30, 40),
        ("backdrop", 30, 40),
    }
    assert [i["kind"] for i in movies["Alien"]["images"]] == ["poster"]
    assert movies["Heat"]["images"] == []

    added = await pending_events(jobs, "item_added")
    assert sorted((e["media_type"], e["media_id"]) for e in added) == sorted(
        ("movie", m["id"]) for m in movies.values()
    )
    assert {e["library_id"] for e in added} == {library_id}


async def test_rescan_rename_delete_reappear_change_and_add(
    client, jobs, admin, tree, tmp_path, monkeypatch
):
    t = movie_tree(tree)
    library_id, _ = await create_and_scan(
        client, jobs, admin, name="Movies", kind="movies", path=str(t.root)
    )
    before = by(await items(client, admin, "movies"), "title")
    await jobs.run()  # the item_added events of the first scan

    probes: list[str] = []
    real_probe = scanner.probe_file

    async def counting_probe(path, ffprobe="ffprobe"):
        probes.append(path.name)
        return await real_probe(path, ffprobe)

    monkeypatch.setattr(scanner, "probe_file", counting_probe)

    # Unchanged: nothing probed, nothing updated, no events.
    _, scan = await create_and_scan(client, jobs, admin, library_id=library_id)
    assert (scan["files_total"], scan["files_done"]) == (4, 4)
    assert (scan["items_added"], scan["items_updated"], scan["items_missing"]) == (0, 0, 0)
    assert probes == []
    assert await jobs.pending() == []

    # Rename the Matrix folder (new id tag) and delete Inception's file (kept aside).
    os.rename(
        t.root / "The Matrix (1999) {imdb-tt0133093}", t.root / "The Matrix (1999) [tmdbid-603]"
    )
    aside = tmp_path / "aside.mkv"
    shutil.move(t.root / "Inception (2010) [tmdbid-27205]/Inception (2010).mkv", aside)
    _, scan = await create_and_scan(client, jobs, admin, library_id=library_id)
    assert (scan["items_added"], scan["items_updated"], scan["items_missing"]) == (0, 1, 1)
    assert probes == []  # a move is recognised by size + mtime, not by probing again

    now = by(await items(client, admin, "movies"), "title")
    assert "Inception" not in now  # missing items are hidden by default
    matrix = now["The Matrix"]
    assert matrix["id"] == before["The Matrix"]["id"]
    assert matrix["file"]["id"] == before["The Matrix"]["file"]["id"]
    assert "[tmdbid-603]" in matrix["file"]["path"] and matrix["tmdb_id"] == 603
    missing = by(await items(client, admin, "movies", include_missing="true"), "title")
    assert missing["Inception"]["missing_at"] is not None
    assert missing["Inception"]["file"]["missing_at"] is not None
    assert await pending_events(jobs, "item_removed") == [
        {"media_type": "movie", "media_id": before["Inception"]["id"], "library_id": library_id}
    ]
    assert await pending_events(jobs, "item_added") == []
    await jobs.run()

    # The file comes back: same item, no longer missing, no new item and no event.
    shutil.move(aside, t.root / "Inception (2010) [tmdbid-27205]/Inception (2010).mkv")
    _, scan = await create_and_scan(client, jobs, admin, library_id=library_id)
    assert (scan["items_added"], scan["items_updated"], scan["items_missing"]) == (0, 1, 0)
    back = by(await items(client, admin, "movies"), "title")["Inception"]
    assert back["id"] == before["Inception"]["id"] and back["missing_at"] is None
    assert await jobs.pending() == []

    # Replaced content (other size): probed again, duration follows the new file.
    heat = t.root / "Heat (1995)/Heat (1995).mkv"
    shutil.copyfile(t.media.mp4, heat)
    # A new movie: probed, added, announced.
    t.add("Up (2009) {tmdb-14160}/Up.mkv", t.media.mkv)
    _, scan = await create_and_scan(client, jobs, admin, library_id=library_id)
    assert (scan["files_total"], scan["items_added"], scan["items_updated"]) == (5, 1, 1)
    assert sorted(probes) == ["Heat (1995).mkv", "Up.mkv"]
    after = by(await items(client, admin, "movies"), "title")
    assert after["Heat"]["id"] == before["Heat"]["id"]
    assert abs(after["Heat"]["duration_ms"] - 1000) < 150
    assert (after["Up"]["year"], after["Up"]["tmdb_id"]) == (2009, 14160)
    assert await pending_events(jobs, "item_added") == [
        {"media_type": "movie", "media_id": after["Up"]["id"], "library_id": library_id}
    ]


async def test_tv_scan_builds_series_seasons_episodes(client, jobs, admin, tree):
    t = tree("tv")
    dark = "Dark (2017) [tvdbid-334824]"
    t.add(f"{dark}/Season 01/Dark - S01E01 - Secrets.mkv", t.media.mkv)
    t.add(f"{dark}/Season 01/Dark - S01E02 - Lies.mp4", t.media.mp4)
    t.add(f"{dark}/Season 01/Dark - S01E01 - Secrets-thumb.jpg", t.media.jpg)
    t.add(f"{dark}/Season 02/Dark - S02E01 - Beginnings and Endings.mkv", t.media.mkv)
    t.add(f"{dark}/Specials/Dark - S00E01 - Making of.mp4", t.media.mp4)
    t.add(f"{dark}/poster.jpg", t.media.jpg)
    t.add(f"{dark}/season02-poster.jpg", t.media.jpg)
    t.add("Other Show {tvdb-12345}/Other.Show.S03E07.The.Title.720p.HDTV.x264.mkv", t.media.mp4)
    t.add("Other Show {tvdb-12345}/Not an episode.mkv", t.media.mp4)
    library_id, scan = await create_and_scan(
        client, jobs, admin, name="TV", kind="tv", path=str(t.root)
    )
    assert (scan["status"], scan["files_total"], scan["items_added"]) == ("done", 5, 5)

    series = by(await items(client, admin, "series"), "title")
    assert set(series) == {"Dark", "Other Show"}
    assert (series["Dark"]["year"], series["Dark"]["tvdb_id"]) == (2017, 334824)
    assert series["Dark"]["episode_count"] == 4
    assert [i["kind"] for i in series["Dark"]["images"]] == ["poster"]
    detail = (
        await client.get(f"/api/v1/library/series/{series['Dark']['id']}", headers=admin)
    ).json()
    assert [(s["season_number"], s["episode_count"]) for s in detail["seasons"]] == [
        (0, 1),
        (1, 2),
        (2, 1),
    ]

    episodes = await items(client, admin, "episodes", parent_id=series["Dark"]["id"])
    assert [(e["season_number"], e["episode_number"], e["title"]) for e in episodes] == [
        (0, 1, "Making of"),
        (1, 1, "Secrets"),
        (1, 2, "Lies"),
        (2, 1, "Beginnings and Endings"),
    ]
    assert [i["kind"] for i in episodes[1]["images"]] == ["thumb"]
    assert abs(episodes[1]["duration_ms"] - 2000) < 150
    other = await items(client, admin, "episodes", parent_id=series["Other Show"]["id"])
    assert [(e["season_number"], e["episode_number"], e["title"]) for e in other] == [
        (3, 7, "The Title")
    ]

    async with session_scope() as s:
        season_posters = (
            await s.execute(select(MediaImage.kind).where(MediaImage.media_type == "season"))
        ).scalars()
        assert list(season_posters) == ["poster"]

    added = await pending_events(jobs, "item_added")
    assert sorted(e["media_type"] for e in added) == ["episode"] * 5 + ["series"] * 2
    await jobs.run()

    # The only episode of a show goes: the episode and the show are missing.
    os.remove(t.root / "Other Show {tvdb-12345}/Other.Show.S03E07.The.Title.720p.HDTV.x264.mkv")
    _, scan = await create_and_scan(client, jobs, admin, library_id=library_id)
    assert scan["items_missing"] == 1
    assert set(by(await items(client, admin, "series"), "title")) == {"Dark"}
    removed = await pending_events(jobs, "item_removed")
    assert removed == [
        {"media_type": "episode", "media_id": other[0]["id"], "library_id": library_id}
    ]


async def test_music_scan_tags_win_over_names(client, jobs, admin, tree):
    t = tree("music")
    mezzanine = "Massive Attack/Mezzanine (1998)"
    t.add(
        f"{mezzanine}/01 - Angel.flac",
        t.media.flac,
        title="Angel",
        artist="Massive Attack",
        albumartist="Massive Attack",
        album="Mezzanine",
        date="1998-04-20",
        tracknumber="1/11",
        discnumber="1/1",
        genre="Trip Hop",
        musicbrainz_artistid=MB["artist"],
        musicbrainz_albumartistid=MB["artist"],
        musicbrainz_albumid=MB["release"],
        musicbrainz_releasegroupid=MB["group"],
        musicbrainz_trackid=MB["angel"],
    )
    t.add(
        f"{mezzanine}/03 - Teardrop.mp3",
        t.media.mp3,
        title="Teardrop",
        artist="Massive Attack",
        album="Mezzanine",
        tracknumber="3",
        musicbrainz_artistid=MB["artist"],
        musicbrainz_albumid=MB["release"],
        musicbrainz_trackid=MB["teardrop"],
    )
    t.add(f"{mezzanine}/cover.jpg", t.media.jpg)
    t.add("Massive Attack/folder.jpg", t.media.jpg)
    t.add("Portishead/Dummy (1994)/CD1/02 - Sour Times.flac", t.media.flac)
    t.add(
        "Wrong Folder/Wrong Album/99 - Wrong.flac",
        t.media.flac,
        title="Jóga",
        artist="Björk",
        album="Homogenic",
        tracknumber="2",
        date="1997",
    )
    library_id, scan = await create_and_scan(
        client, jobs, admin, name="Music", kind="music", path=str(t.root)
    )
    assert (scan["status"], scan["files_total"], scan["items_added"]) == ("done", 4, 4)

    artists = by(await items(client, admin, "artists"), "name")
    assert set(artists) == {"Massive Attack", "Portishead", "Björk"}
    assert artists["Massive Attack"]["musicbrainz_artist_id"] == MB["artist"]
    assert [i["kind"] for i in artists["Massive Attack"]["images"]] == ["poster"]

    albums = by(await items(client, admin, "albums"), "title")
    assert set(albums) == {"Mezzanine", "Dummy", "Homogenic"}
    mezz = albums["Mezzanine"]
    assert (mezz["year"], mezz["genres"], mezz["track_count"]) == (1998, ["Trip Hop"], 2)
    assert mezz["musicbrainz_release_id"] == MB["release"]
    assert mezz["musicbrainz_release_group_id"] == MB["group"]
    assert [i["kind"] for i in mezz["images"]] == ["cover"]
    assert (albums["Dummy"]["year"], albums["Dummy"]["artist_name"]) == (1994, "Portishead")
    assert (albums["Homogenic"]["year"], albums["Homogenic"]["artist_name"]) == (1997, "Björk")

    tracks = by(await items(client, admin, "tracks"), "title")
    assert set(tracks) == {"Angel", "Teardrop", "Sour Times", "Jóga"}
    angel = tracks["Angel"]
    assert (angel["track_number"], angel["disc_number"]) == (1, 1)
    assert angel["musicbrainz_recording_id"] == MB["angel"]
    assert abs(angel["duration_ms"] - 2000) < 150 and angel["file"]["container"] == "flac"
    assert tracks["Teardrop"]["track_number"] == 3
    assert abs(tracks["Teardrop"]["duration_ms"] - 1000) < 150
    assert tracks["Teardrop"]["album_id"] == mezz["id"]
    sour = tracks["Sour Times"]
    assert (sour["track_number"], sour["disc_number"], sour["artist_name"]) == (2, 1, "Portishead")
    assert tracks["Jóga"]["track_number"] == 2

    added = await pending_events(jobs, "item_added")
    assert sorted(e["media_type"] for e in added) == ["album"] * 3 + ["track"] * 4
    assert {e["library_id"] for e in added} == {library_id}


async def test_progress_is_committed_per_chunk(db, admin, tree, monkeypatch, client):
    t = tree("chunks")
    for n in range(5):
        t.add(f"Film {n} (200{n})/Film {n} (200{n}).mp4", t.media.mp4)
    created = await client.post(
        "/api/v1/admin/libraries",
        json={"name": "Chunks", "kind": "movies", "path": str(t.root)},
        headers=admin,
    )
    monkeypatch.setattr(scanner, "CHUNK_SIZE", 2)
    async with session_scope() as s:
        scan, _ = await create_scan(s, uuid.UUID(created.json()["id"]))
    seen: list[tuple[str, int, int]] = []

    async def watch(_progress):
        # What a polling UI reads: the committed scan row.
        async with session_scope() as s:
            row = await s.get(LibraryScan, scan.id, populate_existing=True)
            seen.append((row.status, row.files_done, row.items_added))

    await scanner.run_scan(scan.id, on_progress=watch)
    assert seen == [
        ("running", 0, 0),
        ("running", 2, 2),
        ("running", 4, 4),
        ("running", 5, 5),
        ("done", 5, 5),
    ]


async def test_scan_of_vanished_folder_fails_without_marking_items_missing(
    client, jobs, admin, tree
):
    t = movie_tree(tree)
    library_id, _ = await create_and_scan(
        client, jobs, admin, name="Movies", kind="movies", path=str(t.root)
    )
    await jobs.run()
    hidden = t.root.with_name(t.root.name + "-unmounted")
    os.rename(t.root, hidden)
    started = await client.post(f"/api/v1/admin/libraries/{library_id}/scan", headers=admin)
    await jobs.run("library.scan", raise_errors=False)
    scan = (
        await client.get(f"/api/v1/admin/libraries/scans/{started.json()['id']}", headers=admin)
    ).json()
    assert scan["status"] == "failed"
    assert "folder not found" in scan["error"]
    assert len(await items(client, admin, "movies")) == 4
    assert await pending_events(jobs, "item_removed") == []


async def test_second_scan_request_joins_the_waiting_one(client, jobs, admin, tree):
    t = tree("empty")
    created = await client.post(
        "/api/v1/admin/libraries",
        json={"name": "Empty", "kind": "music", "path": str(t.root)},
        headers=admin,
    )
    library_id = created.json()["id"]
    first = await client.post(f"/api/v1/admin/libraries/{library_id}/scan", headers=admin)
    second = await client.post(f"/api/v1/admin/libraries/{library_id}/scan", headers=admin)
    assert first.json()["id"] == second.json()["id"]
    assert len(await jobs.pending("library.scan")) == 1
    await jobs.run("library.scan")
    done = (
        await client.get(f"/api/v1/admin/libraries/scans/{first.json()['id']}", headers=admin)
    ).json()
    assert (done["status"], done["files_total"]) == ("done", 0)
    third = await client.post(f"/api/v1/admin/libraries/{library_id}/scan", headers=admin)
    assert third.json()["id"] != first.json()["id"]


async def test_scan_waits_while_another_scan_of_the_library_runs(client, jobs, admin, tree):
    t = tree("busy")
    t.add("Up (2009)/Up.mp4", t.media.mp4)
    created = await client.post(
        "/api/v1/admin/libraries",
        json={"name": "Busy", "kind": "movies", "path": str(t.root)},
        headers=admin,
    )
    library_id = uuid.UUID(created.json()["id"])
    async with session_scope() as s:
        running = LibraryScan(library_id=library_id, status="running")
        s.add(running)
    queued = await client.post(f"/api/v1/admin/libraries/{library_id}/scan", headers=admin)
    assert queued.json()["id"] != str(running.id)
    with pytest.raises(scanner.ScanBusy):
        await jobs.run("library.scan")
    waiting = await client.get(
        f"/api/v1/admin/libraries/scans/{queued.json()['id']}", headers=admin
    )
    assert (waiting.json()["status"], waiting.json()["error"]) == ("queued", None)
    assert (
        scan_library.retry_strategy.get_retry_decision(
            exception=scanner.ScanBusy("x", "busy"), job=SimpleNamespace(attempts=0)
        )
        is not None
    )
    assert (
        scan_library.retry_strategy.get_retry_decision(
            exception=scanner.ScanError("x", "other"), job=SimpleNamespace(attempts=0)
        )
        is None
    )

    # The other scan ends: the retried job runs the waiting scan.
    async with session_scope() as s:
        (await s.get(LibraryScan, running.id)).status = "done"
    await scan_library.func(queued.json()["id"], str(library_id))
    done = await client.get(f"/api/v1/admin/libraries/scans/{queued.json()['id']}", headers=admin)
    assert (done.json()["status"], done.json()["items_added"]) == ("done", 1)
    # Running the same job again (e.g. the CLI already ran the scan) changes nothing.
    await scan_library.func(queued.json()["id"], str(library_id))
    again = await client.get(f"/api/v1/admin/libraries/scans/{queued.json()['id']}", headers=admin)
    assert again.json() == done.json()


async def test_movies_in_a_grouping_folder_are_named_by_their_files(client, jobs, admin, tree):
    t = tree("grouped")
    t.add("Action/Ronin.mp4", t.media.mp4)
    t.add("Action/Heat.1995.720p.mp4", t.media.mp4)
    t.add("Solo/solo.mp4", t.media.mp4)  # a folder of its own names its movie
    await create_and_scan(client, jobs, admin, name="Grouped", kind="movies", path=str(t.root))
    movies = await items(client, admin, "movies")
    assert [(m["title"], m["year"]) for m in movies] == [
        ("Heat", 1995),
        ("Ronin", None),
        ("Solo", None),
    ]
