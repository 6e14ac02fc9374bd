"""Targeted scans: one folder or file of a library scanned with the full scan's rules (new items,
renames, moves in, missing items, events), nothing outside it touched; requests coalesced."""

from __future__ import annotations

import os
import shutil
import uuid

from sqlalchemy import select

from revenge.core.db import session_scope
from revenge.library import scanner, service
from revenge.library.models import LibraryScan, MediaImage
from tests.library.conftest import create_and_scan
from tests.library.test_scanner import by, items, movie_tree, pending_events

INCEPTION = "Inception (2010) [tmdbid-27205]"
MATRIX = "The Matrix (1999) {imdb-tt0133093}"
DARK = "Dark (2017) [tvdbid-334824]"


async def targeted(*paths) -> list[LibraryScan]:
    async with session_scope() as session:
        return await service.request_targeted_scan(session, [str(p) for p in paths])


async def scan_row(scan_id) -> LibraryScan:
    async with session_scope() as session:
        return await service.get_scan(session, scan_id)


async def last_scan_at(client, admin, library_id):
    listed = (await client.get("/api/v1/admin/libraries", headers=admin)).json()["items"]
    [library] = [lib for lib in listed if lib["id"] == library_id]
    assert library["last_scan_at"] is not None
    return library["last_scan_at"]


async def scanned_movies(client, jobs, admin, tree):
    t = movie_tree(tree)
    library_id, _ = await create_and_scan(
        client, jobs, admin, name="Movies", kind="movies", path=str(t.root)
    )
    await jobs.run()  # the first scan's item_added events
    return t, library_id, by(await items(client, admin, "movies"), "title")


async def test_a_new_movie_folder_adds_that_movie_and_nothing_else(client, jobs, admin, tree):
    t, library_id, before = await scanned_movies(client, jobs, admin, tree)
    full_scan_at = await last_scan_at(client, admin, library_id)
    up = t.add("Up (2009) {tmdb-14160}/Up.mkv", t.media.mkv).parent
    t.add("Jaws (1975)/Jaws.mkv", t.media.mp4)  # arrived too, but not named
    os.remove(t.root / "Heat (1995)/Heat (1995).mkv")  # a sibling's file gone: not looked at

    [scan] = await targeted(up)
    assert (scan.status, scan.target_path, str(scan.library_id)) == ("queued", str(up), library_id)
    assert await jobs.run("library.scan") == ["library.scan"]

    done = await scan_row(scan.id)
    assert done.status == "done" and done.error is None
    assert (done.files_total, done.files_done, done.items_added) == (1, 1, 1)
    assert (done.items_updated, done.items_missing) == (0, 0)
    movies = by(await items(client, admin, "movies"), "title")
    assert set(movies) == set(before) | {"Up"}  # Jaws not seen, Heat not missing
    assert (movies["Up"]["year"], movies["Up"]["tmdb_id"]) == (2009, 14160)
    assert abs(movies["Up"]["duration_ms"] - 2000) < 150
    assert movies["Heat"]["missing_at"] is None
    assert await pending_events(jobs, "item_added") == [
        {"media_type": "movie", "media_id": movies["Up"]["id"], "library_id": library_id}
    ]
    assert await pending_events(jobs, "item_removed") == []
    # The library's "last scan" is its last full scan; a targeted one does not move it.
    assert await last_scan_at(client, admin, library_id) == full_scan_at

    # The full scan later sees the rest.
    _, full = await create_and_scan(client, jobs, admin, library_id=library_id)
    assert (full["items_added"], full["items_missing"]) == (1, 1)


async def test_a_deleted_folder_marks_its_items_and_images_missing(client, jobs, admin, tree):
    t, library_id, before = await scanned_movies(client, jobs, admin, tree)
    shutil.rmtree(t.root / INCEPTION)
    os.remove(t.root / "Heat (1995)/Heat (1995).mkv")  # elsewhere: left alone

    [scan] = await targeted(t.root / INCEPTION)
    await jobs.run("library.scan")

    done = await scan_row(scan.id)
    assert (done.status, done.files_total, done.items_missing) == ("done", 0, 1)
    now = by(await items(client, admin, "movies"), "title")
    assert set(now) == {"The Matrix", "Heat", "Alien"}
    assert await pending_events(jobs, "item_removed") == [
        {"media_type": "movie", "media_id": before["Inception"]["id"], "library_id": library_id}
    ]
    assert await pending_events(jobs, "item_added") == []
    async with session_scope() as s:
        images = (
            await s.execute(
                select(MediaImage.path, MediaImage.missing_at).order_by(MediaImage.path)
            )
        ).all()
    gone = {os.path.basename(path) for path, missing in images if missing is not None}
    kept = {os.path.basename(path) for path, missing in images if missing is None}
    assert gone == {"poster.jpg", "fanart.jpg"}  # Inception's
    assert kept == {"Alien.1979.1080p.BluRay.x264-poster.jpg"}


async def test_renames_inside_and_moves_into_the_folder_keep_the_items(
    client, jobs, admin, tree, monkeypatch
):
    t, library_id, before = await scanned_movies(client, jobs, admin, tree)
    probes: list[str] = []
    real_probe = scanner.probe_file

    async def counting_probe(path, ffprobe="ffprobe"):
        probes.append(path.name)
        return await real_probe(path, ffprobe)

    monkeypatch.setattr(scanner, "probe_file", counting_probe)

    # Renamed inside the folder scanned.
    os.rename(t.root / MATRIX / "The Matrix (1999).mp4", t.root / MATRIX / "matrix.mp4")
    [scan] = await targeted(t.root / MATRIX)
    await jobs.run("library.scan")
    done = await scan_row(scan.id)
    assert (done.items_added, done.items_updated, done.items_missing) == (0, 1, 0)

    # Moved in from another folder of the library (only the new folder is named).
    moved = t.root / "Heat (1995) [tmdbid-949]"
    moved.mkdir()
    shutil.move(t.root / "Heat (1995)/Heat (1995).mkv", moved / "Heat (1995).mkv")
    [scan] = await targeted(moved)
    await jobs.run("library.scan")
    done = await scan_row(scan.id)
    assert (done.items_added, done.items_updated, done.items_missing) == (0, 1, 0)
    assert probes == []  # recognised by size + mtime, as a full scan does

    now = by(await items(client, admin, "movies"), "title")
    assert now["The Matrix"]["id"] == before["The Matrix"]["id"]
    assert now["The Matrix"]["file"]["path"].endswith("matrix.mp4")
    assert now["Heat"]["id"] == before["Heat"]["id"]
    assert now["Heat"]["file"]["id"] == before["Heat"]["file"]["id"]
    assert now["Heat"]["tmdb_id"] == 949 and now["Heat"]["file"]["path"].startswith(str(moved))
    assert await pending_events(jobs, "item_added") == []

    # The old folder's own scan finds nothing missing: the file lives on at its new path.
    [scan] = await targeted(t.root / "Heat (1995)")
    await jobs.run("library.scan")
    assert (await scan_row(scan.id)).items_missing == 0
    assert await pending_events(jobs, "item_removed") == []
    _, full = await create_and_scan(client, jobs, admin, library_id=library_id)
    assert (full["items_added"], full["items_updated"], full["items_missing"]) == (0, 0, 0)


async def test_a_copy_elsewhere_is_a_new_item_not_a_move(client, jobs, admin, tree):
    t, _, before = await scanned_movies(client, jobs, admin, tree)
    copy = t.root / "Heat Again (1995)"
    copy.mkdir()
    shutil.copy2(t.root / "Heat (1995)/Heat (1995).mkv", copy / "Heat (1995).mkv")
    [scan] = await targeted(copy)
    await jobs.run("library.scan")
    assert (await scan_row(scan.id)).items_added == 1
    heats = [m for m in await items(client, admin, "movies") if m["title"].startswith("Heat")]
    assert len(heats) == 2 and before["Heat"]["id"] in {m["id"] for m in heats}


async def test_one_file_in_a_grouping_folder_is_named_by_its_file(client, jobs, admin, tree):
    t = tree("grouped")
    t.add("Action/Ronin.mp4", t.media.mp4)
    t.add("Action/Taken.2008.mp4", t.media.mp4)
    library_id, _ = await create_and_scan(
        client, jobs, admin, name="Grouped", kind="movies", path=str(t.root)
    )
    heat = t.add("Action/Heat.1995.720p.mp4", t.media.mp4)
    [scan] = await targeted(heat)
    assert scan.target_path == str(heat)
    await jobs.run("library.scan")
    assert (await scan_row(scan.id)).items_added == 1
    movies = await items(client, admin, "movies")
    # The folder is not the movie's: its other files make it a grouping folder.
    assert [(m["title"], m["year"]) for m in movies] == [
        ("Heat", 1995),
        ("Ronin", None),
        ("Taken", 2008),
    ]

    # The file deleted: a scan of the (now missing) file path marks just that item missing.
    os.remove(heat)
    [scan] = await targeted(heat)
    await jobs.run("library.scan")
    assert (await scan_row(scan.id)).items_missing == 1
    assert [m["title"] for m in await items(client, admin, "movies")] == ["Ronin", "Taken"]
    assert [e["library_id"] for e in await pending_events(jobs, "item_removed")] == [library_id]


async def test_a_season_folder_leaves_the_series_other_seasons_alone(client, jobs, admin, tree):
    t = tree("tv")
    t.add(f"{DARK}/Season 01/Dark - S01E01 - Secrets.mkv", t.media.mkv)
    t.add(f"{DARK}/Season 01/Dark - S01E02 - Lies.mp4", t.media.mp4)
    t.add(f"{DARK}/Season 02/Dark - S02E01 - Beginnings and Endings.mkv", t.media.mkv)
    library_id, _ = await create_and_scan(
        client, jobs, admin, name="TV", kind="tv", path=str(t.root)
    )
    await jobs.run()
    os.remove(t.root / f"{DARK}/Season 01/Dark - S01E02 - Lies.mp4")  # not in the scanned folder
    t.add(f"{DARK}/Season 02/Dark - S02E02 - Dark Matter.mp4", t.media.mp4)

    season2 = t.root / DARK / "Season 02"
    [scan] = await targeted(season2)
    await jobs.run("library.scan")
    done = await scan_row(scan.id)
    assert (done.files_total, done.items_added, done.items_missing) == (2, 1, 0)
    [dark] = await items(client, admin, "series")
    episodes = await items(client, admin, "episodes", parent_id=dark["id"])
    assert [(e["season_number"], e["episode_number"]) for e in episodes] == [
        (1, 1),
        (1, 2),  # gone from disk, but Season 01 was not scanned
        (2, 1),
        (2, 2),
    ]
    added = await pending_events(jobs, "item_added")
    assert [e["media_type"] for e in added] == ["episode"]  # the series is not new
    await jobs.run()

    # The whole season deleted: its episodes are missing, the series (season 1 left) is not.
    shutil.rmtree(season2)
    [scan] = await targeted(season2)
    await jobs.run("library.scan")
    assert (await scan_row(scan.id)).items_missing == 2
    [dark] = await items(client, admin, "series")
    assert dark["missing_at"] is None and dark["episode_count"] == 2
    removed = await pending_events(jobs, "item_removed")
    assert sorted(e["media_type"] for e in removed) == ["episode", "episode"]
    assert {e["library_id"] for e in removed} == {library_id}


async def test_requests_coalesce_while_the_scan_waits(client, jobs, admin, tree):
    t, library_id, _ = await scanned_movies(client, jobs, admin, tree)
    inception, matrix = t.root / INCEPTION, t.root / MATRIX
    first = await targeted(inception, inception, inception / "Inception (2010).mkv", matrix)
    assert [s.target_path for s in first] == [str(inception)] * 3 + [str(matrix)]
    assert first[0].id == first[1].id == first[2].id != first[3].id
    again = await targeted(str(inception) + "/")
    assert [s.id for s in again] == [first[0].id]
    # One job for the library: it runs every scan queued for it.
    assert len(await jobs.pending("library.scan")) == 1
    await jobs.run("library.scan")
    for scan in (first[0], first[3]):
        assert (await scan_row(scan.id)).status == "done"

    # A queued targeted scan of a folder inside a newly requested folder is widened to it.
    season = t.root / "Heat (1995)" / "extras"
    [narrow] = await targeted(season)
    [wide] = await targeted(t.root / "Heat (1995)")
    assert wide.id == narrow.id and wide.target_path == str(t.root / "Heat (1995)")

    # A full scan waiting covers every path of its library.
    async with session_scope() as s:
        full = await service.request_scan(s, uuid.UUID(library_id))
    [joined] = await targeted(matrix)
    assert joined.id == full.id and joined.target_path is None
    # The library's folder itself is the full scan.
    [root_scan] = await targeted(t.root)
    assert root_scan.id == full.id
    await jobs.run("library.scan")
    assert (await scan_row(full.id)).status == "done"
    assert (await scan_row(wide.id)).status == "done"


async def test_paths_outside_every_library_are_ignored(client, jobs, admin, tree, tmp_path):
    t, _, _ = await scanned_movies(client, jobs, admin, tree)
    beside = t.root.with_name(t.root.name + "-old")  # shares the prefix, not the folder
    beside.mkdir()
    scans = await targeted(
        beside,
        beside / "Film (2000)",
        tmp_path,
        "/",
        "relative/Up (2009)",
        "",
        "/nul\x00byte",
        t.root / MATRIX,
    )
    assert [s.target_path for s in scans] == [str(t.root / MATRIX)]
    async with session_scope() as s:
        targets = (
            await s.execute(select(LibraryScan.target_path).where(LibraryScan.status == "queued"))
        ).scalars()
        assert list(targets) == [str(t.root / MATRIX)]


async def test_a_targeted_scan_of_a_hidden_folder_finds_nothing(client, jobs, admin, tree):
    t, _, before = await scanned_movies(client, jobs, admin, tree)
    hidden = t.add(".partial/Up (2009)/Up.mkv", t.media.mkv).parent
    [scan] = await targeted(hidden)
    await jobs.run("library.scan")
    done = await scan_row(scan.id)
    assert (done.status, done.files_total, done.items_added) == ("done", 0, 0)
    assert set(by(await items(client, admin, "movies"), "title")) == set(before)


async def test_a_targeted_scan_of_an_unmounted_library_fails_and_marks_nothing(
    client, jobs, admin, tree
):
    t, _, before = await scanned_movies(client, jobs, admin, tree)
    [scan] = await targeted(t.root / INCEPTION)
    os.rename(t.root, t.root.with_name(t.root.name + "-unmounted"))
    await jobs.run("library.scan", raise_errors=False)
    failed = await scan_row(scan.id)
    assert failed.status == "failed" and "folder not found" in failed.error
    assert len(await items(client, admin, "movies")) == len(before)
    assert await pending_events(jobs, "item_removed") == []
