"""Duplicate groups on a generated library of a few hundred items, built by a library-wide
run, kept up to date incrementally, with a "keep best" suggestion."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import text

from revenge.core import events
from revenge.core.db import session_scope
from revenge.fingerprints import duplicates
from revenge.fingerprints.schemas import DuplicateKind
from tests.fingerprints import media
from tests.fingerprints.conftest import add_image, add_library, add_movie, add_track

BASE = "/api/v1/admin/fingerprint"


async def _all_groups(client, headers, kind: str, **params) -> list[dict]:
    response = await client.get(
        f"{BASE}/duplicates", params={"kind": kind, "limit": 100, **params}, headers=headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == len(body["items"])
    return body["items"]


def _members(group: dict) -> frozenset[str]:
    return frozenset(m["subject_id"] for m in group["members"])


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("video")
    return {
        "film_hq": media.video(root / "film.mp4", [500, 501, 502], "-c:v", "mpeg4", "-q:v", "2"),
        "film_lq": media.video(
            root / "film-small.mkv",
            [500, 501, 502],
            "-c:v",
            "libx264",
            "-crf",
            "35",
            size="240x180",
        ),
        "other": media.video(root / "other.mp4", [600, 601, 602], "-c:v", "mpeg4"),
    }


@pytest.mark.timeout(300)  # ~250 items; the machine is shared
async def test_library_run_finds_every_duplicate_group(
    client, admin_headers, audio, videos, tmp_path, jobs
):
    music = await add_library("music")
    flac = await add_track(
        music, audio["flac"], "Song", container="flac", audio_codec="flac", bitrate=900_000
    )
    mp3 = await add_track(
        music, audio["mp3"], "Song", container="mp3", audio_codec="mp3", bitrate=128_000
    )
    padded = await add_track(
        music, audio["silence"], "Song (padded)", container="wav", bitrate=352_000
    )
    other = await add_track(music, audio["other"], "Other", container="wav", bitrate=352_000)
    other_mp3 = await add_track(music, audio["other_mp3"], "Other", container="mp3", bitrate=96_000)
    for i in range(100):  # items without files are not fingerprinted and do not count
        await add_track(music, None, f"Missing {i}")

    films = await add_library("movies")
    film_hq = await add_movie(
        films, videos["film_hq"], "Film", width=320, height=240, bitrate=800_000
    )
    film_lq = await add_movie(
        films, videos["film_lq"], "Film", width=240, height=180, bitrate=50_000
    )
    await add_movie(films, videos["other"], "Other film", width=320, height=240)

    # 140 images: 30 pictures with one or two near-duplicates, 70 unrelated.
    expected_images: list[frozenset[str]] = []
    best_image: dict[frozenset[str], str] = {}
    for seed in range(30):
        base = media.picture(seed)
        original = tmp_path / f"img{seed}.png"
        base.save(original)
        group = [await add_image(original)]
        smaller = tmp_path / f"img{seed}-small.jpg"
        smaller.write_bytes(media.jpeg_bytes(base.resize((128, 128)), quality=40))
        group.append(await add_image(smaller))
        if seed % 3 == 0:
            cropped = tmp_path / f"img{seed}-crop.jpg"
            media.crop(base).save(cropped, "JPEG", quality=80)
            group.append(await add_image(cropped))
        key = frozenset(str(row.id) for row in group)
        expected_images.append(key)
        best_image[key] = str(group[0].id)  # the full-size original
    for seed in range(1000, 1070):
        path = tmp_path / f"single{seed}.jpg"
        media.picture(seed).save(path, "JPEG", quality=70)
        await add_image(path)
    image_count = sum(len(g) for g in expected_images) + 70

    started = await client.post(f"{BASE}/generate", headers=admin_headers)
    assert started.status_code == 202
    run = started.json()
    assert run["status"] == "queued"
    assert run["total"] == image_count + 5 + 3
    # A second request while it runs returns the same run instead of starting another.
    again = await client.post(f"{BASE}/generate", headers=admin_headers)
    assert again.json()["id"] == run["id"]

    ran = await jobs.run(max_rounds=30)
    assert ran.count("fingerprints.run_library") >= run["total"] // 25

    progress = (await client.get(f"{BASE}/runs/{run['id']}", headers=admin_headers)).json()
    assert progress["status"] == "done"
    assert progress["progress"] == 1.0
    assert progress["done"] == run["total"]
    assert progress["failed"] == 0

    audio_groups = await _all_groups(client, admin_headers, "audio")
    assert {_members(g) for g in audio_groups} == {
        frozenset({str(flac.id), str(mp3.id), str(padded.id)}),
        frozenset({str(other.id), str(other_mp3.id)}),
    }
    song_group = next(g for g in audio_groups if str(flac.id) in _members(g))
    assert song_group["keep"]["subject_id"] == str(flac.id)  # lossless wins
    assert song_group["keep"]["lossless"] is True
    assert {m["format"] for m in song_group["members"]} == {"flac/flac", "mp3/mp3", "wav"}
    assert all(m["size_bytes"] > 0 for m in song_group["members"])
    assert all(0.8 <= link["score"] <= 1.0 for link in song_group["links"])

    video_groups = await _all_groups(client, admin_headers, "video")
    assert [_members(g) for g in video_groups] == [frozenset({str(film_hq.id), str(film_lq.id)})]
    assert video_groups[0]["keep"]["subject_id"] == str(film_hq.id)  # higher resolution

    image_groups = await _all_groups(client, admin_headers, "image")
    assert {_members(g) for g in image_groups} == set(expected_images)
    for group in image_groups:
        assert group["keep"]["subject_id"] == best_image[_members(group)]

    # A stricter threshold keeps only groups whose weakest link is that close.
    strict = await _all_groups(client, admin_headers, "image", min_score=0.99)
    assert strict and all(g["min_score"] >= 0.99 for g in strict)
    assert len(strict) < len(image_groups)

    # Paging over all kinds.
    page = await client.get(
        f"{BASE}/duplicates", params={"limit": 5, "offset": 5}, headers=admin_headers
    )
    assert page.json()["total"] == len(audio_groups) + len(video_groups) + len(image_groups)
    assert len(page.json()["items"]) == 5

    # A rerun skips every unchanged file.
    rerun = (await client.post(f"{BASE}/generate", headers=admin_headers)).json()
    await jobs.run(max_rounds=30)
    rerun = (await client.get(f"{BASE}/runs/{rerun['id']}", headers=admin_headers)).json()
    assert rerun["skipped"] == run["total"] and rerun["done"] == 0


async def test_new_item_is_fingerprinted_and_joins_its_group(client, admin_headers, audio, jobs):
    music = await add_library("music")
    flac = await add_track(music, audio["flac"], "Song")
    mp3 = await add_track(music, audio["mp3"], "Song")
    for track in (flac, mp3):
        await client.post(f"{BASE}/generate/track/{track.id}", headers=admin_headers)
    await jobs.run()
    (group,) = await _all_groups(client, admin_headers, "audio")
    assert group["member_count"] == 2

    ogg = await add_track(music, audio["ogg"], "Song (ogg)")
    async with session_scope() as s:
        await events.emit(
            s, events.LibraryItemAdded(media_type="track", media_id=ogg.id, library_id=music.id)
        )
    # Other features may subscribe to the event too; only ours are run here.
    assert await jobs.run("fingerprints.generate") == ["fingerprints.generate"]
    assert await jobs.run("fingerprints.detect_duplicates") == ["fingerprints.detect_duplicates"]
    (grown,) = await _all_groups(client, admin_headers, "audio")
    assert grown["id"] == group["id"]
    assert _members(grown) == {str(flac.id), str(mp3.id), str(ogg.id)}

    # Removed items leave their group; a group of one is no group.
    for track in (ogg, mp3):
        async with session_scope() as s:
            await events.emit(
                s,
                events.LibraryItemRemoved(
                    media_type="track", media_id=track.id, library_id=music.id
                ),
            )
        await jobs.run("fingerprints.forget_item")
        remaining = await _all_groups(client, admin_headers, "audio")
        if track is ogg:
            assert [_members(g) for g in remaining] == [{str(flac.id), str(mp3.id)}]
            assert len(remaining[0]["links"]) == 1
    assert remaining == []


async def test_a_bridging_match_merges_two_groups(session):
    def subject() -> tuple[tuple[str, uuid.UUID], tuple[str, uuid.UUID]]:
        image_id = uuid.uuid4()
        return ("image", image_id), ("album", uuid.uuid4())

    a, b, c, d = subject(), subject(), subject(), subject()
    first = await duplicates.link(session, DuplicateKind.image, a, b, 0.95, 3)
    second = await duplicates.link(session, DuplicateKind.image, c, d, 0.9, 6)
    assert first != second
    merged = await duplicates.link(session, DuplicateKind.image, b, c, 0.92, 5)
    groups, total = await duplicates.list_groups(
        session, DuplicateKind.image, None, 10, 0, secret="s"
    )
    assert total == 1
    assert groups[0].id == merged
    assert {m.subject_id for m in groups[0].members} == {a[0][1], b[0][1], c[0][1], d[0][1]}
    assert groups[0].min_score == 0.9
    assert len(groups[0].links) == 3


async def test_unknown_run_is_404(client, admin_headers):
    response = await client.get(f"{BASE}/runs/{uuid.uuid4()}", headers=admin_headers)
    assert response.status_code == 404
    assert response.json()["code"] == "fingerprint.run_not_found"


async def test_a_broken_run_is_resumed_from_its_cursor(client, admin_headers, audio, jobs):
    from revenge.fingerprints import jobs as fingerprint_jobs

    music = await add_library("music")
    tracks = [await add_track(music, audio[name]) for name in ("wav", "mp3", "other")]
    run = (await client.post(f"{BASE}/generate", headers=admin_headers)).json()
    # The worker died: the queued chunk job is gone, the run is still open.
    async with session_scope() as s:
        await s.execute(
            text("DELETE FROM procrastinate_jobs WHERE task_name = 'fingerprints.run_library'")
        )
    assert await jobs.pending("fingerprints.run_library") == []
    await fingerprint_jobs.resume_runs.func(timestamp=0)
    assert len(await jobs.pending("fingerprints.run_library")) == 1
    await jobs.run()
    done = (await client.get(f"{BASE}/runs/{run['id']}", headers=admin_headers)).json()
    assert done["status"] == "done" and done["done"] == len(tracks)


async def test_item_added_then_deleted_is_ignored(jobs):
    async with session_scope() as s:
        for media_type in ("track", "playlist"):
            await events.emit(
                s,
                events.LibraryItemAdded(
                    media_type=media_type, media_id=uuid.uuid4(), library_id=uuid.uuid4()
                ),
            )
    assert await jobs.run("fingerprints.generate") == ["fingerprints.generate"] * 2
    assert await jobs.pending("fingerprints.detect_duplicates") == []
