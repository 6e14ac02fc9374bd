"""Artwork: signed URLs in the read models, the public route (signature, fallbacks, resizing,
disk cache, ETag/304) and the pictures it refuses. Real image files made with Pillow, a real
database, the HTTP API."""

from __future__ import annotations

import asyncio
import io
import os
import uuid
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from revenge.core import artwork_urls
from revenge.core.db import session_scope
from revenge.library import artwork, artwork_cache
from revenge.library.models import Album, Artist, MediaImage, Track
from tests.factories import make_episode, make_library, make_movie, make_track
from tests.library.conftest import create_and_scan

RED, GREEN, BLUE = (220, 20, 20), (20, 200, 20), (20, 20, 220)


def picture(path: Path, size: tuple[int, int], color: Any = RED, **save: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = save.pop("mode", "RGB")
    Image.new(mode, size, color).save(path, **save)
    return path


async def add_image(media_type: str, media_id: uuid.UUID, path: Path, kind: str = "poster") -> None:
    st = path.stat()
    async with session_scope() as s:
        s.add(
            MediaImage(
                media_type=media_type,
                media_id=media_id,
                kind=kind,
                path=str(path),
                size_bytes=st.st_size,
                mtime=st.st_mtime,
            )
        )


def signed(settings: Any, media_type: str, media_id: uuid.UUID, width: int) -> str:
    return artwork_urls.artwork_url(settings.secret, media_type, media_id, width)


def decoded(response: Any) -> Image.Image:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/webp"
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "WEBP"
    return image


def center_color(image: Image.Image) -> tuple[int, ...]:
    return image.convert("RGB").getpixel((image.width // 2, image.height // 2))


def close_to(color: tuple[int, ...], expected: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= 24 for a, b in zip(color, expected, strict=True))


def problem_code(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return str(response.json()["code"])


async def test_read_models_carry_signed_urls_served_without_login(
    client, make_user, tmp_path, test_settings
):
    _, user = await make_user()
    movie = await make_movie("Heat")
    bare = await make_movie("No Poster")
    await add_image("movie", movie.id, picture(tmp_path / "heat/poster.jpg", (800, 1200)))

    item = (await client.get(f"/api/v1/library/movies/{movie.id}", headers=user)).json()
    art = item["artwork"]
    assert art == artwork_urls.urls_for(test_settings.secret, "movie", movie.id).model_dump()
    assert f"/{movie.id}/160?sig=" in art["thumb"] and f"/{movie.id}/640?sig=" in art["large"]
    listed = (await client.get("/api/v1/library/movies", headers=user)).json()["items"]
    by_id = {row["id"]: row for row in listed}
    assert by_id[str(movie.id)]["artwork"] == art
    assert by_id[str(bare.id)]["artwork"] is None
    assert (await client.get(f"/api/v1/library/movies/{bare.id}", headers=user)).json()[
        "artwork"
    ] is None

    # No Authorization header: the signature is the proof.
    for key, size in (("thumb", (160, 240)), ("poster", (320, 480)), ("large", (640, 960))):
        response = await client.get(art[key])
        assert decoded(response).size == size
        assert close_to(center_color(decoded(response)), RED)
        assert response.headers["cache-control"] == "public, max-age=604800"
        assert response.headers["etag"].startswith('"')
    small = await client.get(signed(test_settings, "movie", movie.id, 96))
    assert decoded(small).size == (96, 144)


async def test_small_pictures_are_never_enlarged(client, tmp_path, test_settings):
    movie = await make_movie()
    await add_image("movie", movie.id, picture(tmp_path / "small.png", (120, 90), format="PNG"))
    assert decoded(await client.get(signed(test_settings, "movie", movie.id, 640))).size == (
        120,
        90,
    )
    assert decoded(await client.get(signed(test_settings, "movie", movie.id, 96))).size == (96, 72)


async def test_exif_orientation_is_applied_before_resizing(client, tmp_path, test_settings):
    source = Image.new("RGB", (300, 150), BLUE)
    exif = Image.Exif()
    exif[0x0112] = 6  # stored landscape, shown rotated 90° clockwise: portrait
    path = tmp_path / "rotated.jpg"
    source.save(path, exif=exif)
    movie = await make_movie()
    await add_image("movie", movie.id, path)
    assert decoded(await client.get(signed(test_settings, "movie", movie.id, 96))).size == (
        96,
        192,
    )


async def test_transparency_is_kept_and_grey_becomes_rgb(client, tmp_path, test_settings):
    movie, other = await make_movie(), await make_movie("Other")
    clear = picture(tmp_path / "clear.png", (200, 200), (0, 0, 0, 0), mode="RGBA", format="PNG")
    grey = picture(tmp_path / "grey.png", (200, 100), 128, mode="L", format="PNG")
    await add_image("movie", movie.id, clear)
    await add_image("movie", other.id, grey)
    with_alpha = decoded(await client.get(signed(test_settings, "movie", movie.id, 160)))
    assert with_alpha.mode == "RGBA" and with_alpha.getpixel((80, 80))[3] == 0
    flat = decoded(await client.get(signed(test_settings, "movie", other.id, 160)))
    assert flat.mode == "RGB" and flat.size == (160, 80)


async def test_a_bad_signature_answers_like_missing_artwork(client, tmp_path, test_settings):
    movie = await make_movie()
    other = await make_movie("Other")
    await add_image("movie", movie.id, picture(tmp_path / "p.jpg", (400, 600)))
    good = signed(test_settings, "movie", movie.id, 320)
    assert (await client.get(good)).status_code == 200
    base, _, sig = good.partition("?sig=")
    flipped = sig[:-1] + ("0" if sig[-1] != "0" else "1")
    attempts = [
        base,  # no signature
        f"{base}?sig=",
        f"{base}?sig={flipped}",
        f"{base}?sig={sig.upper()}",
        good.replace("/320?", "/640?"),  # another width
        good.replace(str(movie.id), str(other.id)),  # another item
        good.replace("/movie/", "/series/"),  # another kind
        f"{base}?sig={artwork_urls.signature('another-secret', 'movie', movie.id, 320)}",
    ]
    for url in attempts:
        response = await client.get(url)
        assert problem_code(response, 404) == "library.no_artwork", url
        assert "etag" not in response.headers
    # Exactly what a correctly signed item without a picture gets.
    missing = await client.get(signed(test_settings, "movie", other.id, 320))
    assert problem_code(missing, 404) == "library.no_artwork"
    gone = await client.get(signed(test_settings, "movie", uuid.uuid4(), 320))
    assert problem_code(gone, 404) == "library.no_artwork"
    assert missing.json()["detail"] == (await client.get(base)).json()["detail"]


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("movie/{id}/123", 404),  # not one of the widths
        ("movie/{id}/0", 404),
        ("movie/{id}/-160", 404),
        ("movie/{id}/99999999999999999999999999999999", 404),
        ("movie/{id}/" + "9" * 5000, 422),  # past Python's int parsing limit
        ("movie/{id}/wide", 422),
        ("movie/{id}/160.5", 422),
        ("book/{id}/160", 422),
        ("movie/not-a-uuid/160", 422),
    ],
)
async def test_bad_width_kind_or_id_is_a_4xx_problem(client, tmp_path, test_settings, path, status):
    movie = await make_movie()
    await add_image("movie", movie.id, picture(tmp_path / "p.jpg", (400, 600)))
    sig = artwork_urls.signature(test_settings.secret, "movie", movie.id, 160)
    response = await client.get(f"/api/v1/artwork/{path.format(id=movie.id)}?sig={sig}")
    code = problem_code(response, status)
    assert code == ("library.no_artwork" if status == 404 else "request.validation_failed")


async def test_episode_borrows_season_then_series_poster(
    client, make_user, tmp_path, test_settings
):
    _, user = await make_user()
    episode = await make_episode("Dark")
    lonely = await make_episode("Lonely")

    async def episode_artwork() -> Any:
        response = await client.get(f"/api/v1/library/episodes/{episode.id}", headers=user)
        return response.json()["artwork"]

    async def served_color(media_type: str, media_id: uuid.UUID) -> tuple[int, ...]:
        return center_color(
            decoded(await client.get(signed(test_settings, media_type, media_id, 160)))
        )

    assert await episode_artwork() is None
    missing = await client.get(signed(test_settings, "episode", episode.id, 160))
    assert problem_code(missing, 404) == "library.no_artwork"

    await add_image("series", episode.series_id, picture(tmp_path / "dark/poster.jpg", (200, 300)))
    assert await episode_artwork() is not None
    assert close_to(await served_color("episode", episode.id), RED)
    assert close_to(await served_color("season", episode.season_id), RED)

    season_poster = picture(tmp_path / "dark/season01-poster.jpg", (200, 300), BLUE)
    await add_image("season", episode.season_id, season_poster)
    assert close_to(await served_color("episode", episode.id), BLUE)
    assert close_to(await served_color("season", episode.season_id), BLUE)
    assert close_to(await served_color("series", episode.series_id), RED)

    still = picture(tmp_path / "dark/Dark - S01E01-thumb.jpg", (400, 225), GREEN)
    await add_image("episode", episode.id, still, kind="thumb")
    assert close_to(await served_color("episode", episode.id), GREEN)
    # A backdrop is not a poster: it lends nothing.
    backdrop = picture(tmp_path / "lonely/fanart.jpg", (400, 225), GREEN)
    await add_image("series", lonely.series_id, backdrop, kind="backdrop")
    listed = (
        await client.get(
            "/api/v1/library/episodes", params={"parent_id": str(lonely.series_id)}, headers=user
        )
    ).json()["items"]
    assert [row["artwork"] for row in listed] == [None]


async def test_track_borrows_its_album_cover(client, make_user, tmp_path, test_settings):
    _, user = await make_user()
    track = await make_track()
    cover = picture(tmp_path / "mezzanine/cover.jpg", (500, 500), GREEN)
    await add_image("album", track.album_id, cover, kind="cover")
    read = (await client.get(f"/api/v1/library/tracks/{track.id}", headers=user)).json()
    assert read["artwork"] is not None
    album = (await client.get(f"/api/v1/library/albums/{track.album_id}", headers=user)).json()
    assert album["artwork"] is not None
    artist = (await client.get(f"/api/v1/library/artists/{track.artist_id}", headers=user)).json()
    assert artist["artwork"] is None  # an artist does not borrow its albums' covers
    served = decoded(await client.get(read["artwork"]["poster"]))
    assert served.size == (320, 320) and close_to(center_color(served), GREEN)


async def test_a_scanned_tree_gets_artwork(client, jobs, admin, tree, test_settings):
    t = tree("tv")
    t.add("Dark (2017)/Season 01/Dark - S01E01 - Secrets.mkv", t.media.mkv)
    t.add("Dark (2017)/poster.jpg", t.media.jpg)  # 30 x 40
    await create_and_scan(client, jobs, admin, name="TV", kind="tv", path=str(t.root))
    episodes = (await client.get("/api/v1/library/episodes", headers=admin)).json()["items"]
    assert len(episodes) == 1 and episodes[0]["artwork"] is not None
    served = decoded(await client.get(episodes[0]["artwork"]["thumb"]))
    assert served.size == (30, 40)  # smaller than the thumbnail: left as it is


async def test_second_request_is_served_from_the_disk_cache(
    client, tmp_path, test_settings, monkeypatch
):
    movie = await make_movie()
    path = picture(tmp_path / "cached.jpg", (900, 1350))
    await add_image("movie", movie.id, path)
    renders: list[Path] = []
    real_render = artwork_cache.render

    def counting_render(source: Path, width: int) -> bytes:
        renders.append(source)
        return real_render(source, width)

    monkeypatch.setattr(artwork_cache, "render", counting_render)
    url = signed(test_settings, "movie", movie.id, 320)
    first = await client.get(url)
    st = path.stat()
    source = artwork_cache.Source(str(path), st.st_size, st.st_mtime_ns)
    cached = artwork_cache.cache_file(artwork.cache_dir(), source, 320)
    assert cached.is_file() and cached.read_bytes() == first.content
    assert cached.is_relative_to(test_settings.data_dir / "cache" / "artwork")
    before = cached.stat()

    second = await client.get(url)
    assert second.content == first.content
    assert second.headers["etag"] == first.headers["etag"]
    assert renders == [path]  # rendered once
    after = cached.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)

    # Another width is another file; the first stays.
    await client.get(signed(test_settings, "movie", movie.id, 160))
    assert len(renders) == 2 and cached.stat().st_ino == before.st_ino


async def test_a_replaced_picture_gets_a_new_etag_and_file(client, tmp_path, test_settings):
    movie = await make_movie()
    path = picture(tmp_path / "p.jpg", (400, 600), RED)
    await add_image("movie", movie.id, path)
    url = signed(test_settings, "movie", movie.id, 160)
    first = await client.get(url)
    etag = first.headers["etag"]

    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        cached = await client.get(url, headers={"If-None-Match": header})
        assert cached.status_code == 304, header
        assert cached.content == b""
        assert cached.headers["etag"] == etag
        assert cached.headers["cache-control"] == "public, max-age=604800"
    assert (await client.get(url, headers={"If-None-Match": '"stale"'})).status_code == 200

    picture(path, (400, 600), BLUE)
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    changed = await client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert close_to(center_color(decoded(changed)), BLUE)


async def test_decompression_bombs_and_broken_files_are_refused(client, tmp_path, test_settings):
    # 8000 × 8000 = 64 MP in a few kilobytes: decoded as RGB it would take 192 MB.
    bomb = picture(tmp_path / "bomb.png", (8000, 8000), 1, mode="1", format="PNG")
    assert bomb.stat().st_size < 100_000
    not_a_picture = tmp_path / "notes.jpg"
    not_a_picture.write_bytes(b"these are not pixels")
    whole = picture(tmp_path / "whole.jpg", (600, 900), quality=95)
    truncated = tmp_path / "truncated.jpg"
    truncated.write_bytes(whole.read_bytes()[: whole.stat().st_size // 3])
    for path in (bomb, not_a_picture, truncated):
        movie = await make_movie(path.stem)
        await add_image("movie", movie.id, path)
        response = await client.get(signed(test_settings, "movie", movie.id, 160))
        assert problem_code(response, 422) == "library.artwork_unreadable", path.name
    # Just under the limit is fine.
    big = picture(tmp_path / "big.png", (7000, 7000), 1, mode="1", format="PNG")
    movie = await make_movie("Big")
    await add_image("movie", movie.id, big)
    assert decoded(await client.get(signed(test_settings, "movie", movie.id, 96))).size == (96, 96)


async def test_a_vanished_file_is_no_artwork(client, tmp_path, test_settings):
    movie = await make_movie()
    path = picture(tmp_path / "gone.jpg", (400, 600))
    await add_image("movie", movie.id, path)
    path.unlink()
    response = await client.get(signed(test_settings, "movie", movie.id, 160))
    assert problem_code(response, 404) == "library.no_artwork"


async def test_an_unwritable_cache_still_serves_the_picture(
    client, tmp_path, test_settings, monkeypatch
):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setattr(artwork, "cache_dir", lambda: blocker / "artwork")
    movie = await make_movie()
    await add_image("movie", movie.id, picture(tmp_path / "p.jpg", (400, 600)))
    response = await client.get(signed(test_settings, "movie", movie.id, 160))
    assert decoded(response).size == (160, 240)


async def test_translated_problem(client, test_settings):
    movie = await make_movie()
    response = await client.get(
        signed(test_settings, "movie", movie.id, 160), headers={"Accept-Language": "de"}
    )
    assert response.json()["title"] == "Kein Bild"


async def test_artwork_for_many_items_at_once(session, tmp_path, test_settings):
    from revenge.library import service

    episode = await make_episode()
    track = await make_track()
    plain = await make_movie()
    await add_image("series", episode.series_id, picture(tmp_path / "s.jpg", (200, 300)))
    found = await service.artwork_for(
        session,
        [
            ("episode", episode.id),
            ("season", episode.season_id),
            ("track", track.id),
            ("movie", plain.id),
            ("movie", uuid.uuid4()),
        ],
    )
    assert found[("episode", episode.id)] == artwork_urls.urls_for(
        test_settings.secret, "episode", episode.id
    )
    assert found[("season", episode.season_id)] is not None
    assert found[("track", track.id)] is None
    assert found[("movie", plain.id)] is None
    assert len(found) == 5


async def test_concurrent_requests_for_one_picture_share_one_file(
    committed_client, tmp_path, test_settings, monkeypatch
):
    library = await make_library("music")
    async with session_scope() as s:
        artist = Artist(library_id=library.id, name="Portishead")
        s.add(artist)
        await s.flush()
        album = Album(artist_id=artist.id, title="Dummy")
        s.add(album)
        await s.flush()
        tracks = [Track(album_id=album.id, artist_id=artist.id, title=f"T{i}") for i in range(6)]
        s.add_all(tracks)
    path = picture(tmp_path / "dummy/cover.jpg", (1200, 1200), GREEN)
    await add_image("album", album.id, path, kind="cover")
    renders = 0
    real_render = artwork_cache.render

    def counting_render(source: Path, width: int) -> bytes:
        nonlocal renders
        renders += 1
        return real_render(source, width)

    monkeypatch.setattr(artwork_cache, "render", counting_render)
    # Every track borrows the same cover: six requests, one source, one width.
    urls = [signed(test_settings, "track", t.id, 640) for t in tracks]
    responses = await asyncio.gather(*(committed_client.get(url) for url in urls))
    assert {decoded(r).size for r in responses} == {(640, 640)}
    bodies = {r.content for r in responses}
    assert len(bodies) == 1
    assert 1 <= renders <= artwork_cache.RENDER_SLOTS
    st = path.stat()
    cached = artwork_cache.cache_file(
        artwork.cache_dir(), artwork_cache.Source(str(path), st.st_size, st.st_mtime_ns), 640
    )
    assert cached.read_bytes() in bodies
    assert [p.name for p in cached.parent.iterdir() if p.name.startswith(".render-")] == []
