"""Library admin routes (validation, roles) and the read API (search, paging, 404, paths)."""

from __future__ import annotations

import uuid

import pytest

from revenge.core.db import session_scope
from revenge.library.models import MediaFile, MediaImage, Movie
from tests.factories import make_episode, make_library, make_movie, make_track


async def post_library(client, headers, **body):
    body = {"name": f"lib-{uuid.uuid4().hex[:6]}", "kind": "movies", **body}
    return await client.post("/api/v1/admin/libraries", json=body, headers=headers)


async def test_create_and_list_libraries(client, admin, tmp_path):
    created = await post_library(client, admin, name="Films", path=str(tmp_path / "."))
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["name"], body["kind"], body["path"]) == ("Films", "movies", str(tmp_path))
    assert body["last_scan_at"] is None
    listed = (await client.get("/api/v1/admin/libraries", headers=admin)).json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == body["id"]


@pytest.mark.parametrize(
    ("make_path", "status", "code"),
    [
        (lambda tmp: "relative/movies", 422, "library.path_not_absolute"),
        (lambda tmp: str(tmp / "nope"), 422, "library.path_not_found"),
        (lambda tmp: str(tmp / "file.txt"), 422, "library.path_not_directory"),
    ],
)
async def test_library_path_must_be_an_existing_folder(
    client, admin, tmp_path, make_path, status, code
):
    (tmp_path / "file.txt").write_text("x")
    response = await post_library(client, admin, path=make_path(tmp_path))
    assert response.status_code == status
    problem = response.json()
    assert problem["code"] == code
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_path_problems_are_translated(client, admin, tmp_path):
    missing = str(tmp_path / "nope")
    response = await post_library(client, {**admin, "Accept-Language": "de"}, path=missing)
    assert response.status_code == 422
    problem = response.json()
    assert problem["title"] == "Ordner nicht gefunden"
    assert problem["detail"] == f"Der Ordner {missing} existiert auf dem Server nicht."
    fr = await post_library(client, {**admin, "Accept-Language": "fr"}, path=missing)
    assert fr.json()["title"] == "Dossier introuvable"


async def test_library_conflicts(client, admin, tmp_path):
    (tmp_path / "music" / "inner").mkdir(parents=True)
    first = await post_library(
        client, admin, name="Music", kind="music", path=str(tmp_path / "music")
    )
    assert first.status_code == 201
    same_path = await post_library(client, admin, path=str(tmp_path / "music"))
    assert (same_path.status_code, same_path.json()["code"]) == (409, "library.path_taken")
    nested = await post_library(client, admin, path=str(tmp_path / "music" / "inner"))
    assert (nested.status_code, nested.json()["code"]) == (409, "library.path_overlaps")
    assert nested.json()["params"]["other"] == str(tmp_path / "music")
    parent = await post_library(client, admin, path=str(tmp_path))
    assert parent.json()["code"] == "library.path_overlaps"
    sibling = tmp_path.parent / f"other-{uuid.uuid4().hex[:6]}"
    sibling.mkdir()
    same_name = await post_library(client, admin, name="music", path=str(sibling))
    assert (same_name.status_code, same_name.json()["code"]) == (409, "library.name_taken")
    bad_kind = await post_library(client, admin, kind="books", path=str(tmp_path))
    assert (bad_kind.status_code, bad_kind.json()["code"]) == (422, "request.validation_failed")


async def test_admin_routes_refuse_users_and_anonymous(client, make_user, tmp_path):
    _, user = await make_user()
    library = await make_library("movies")
    routes = [
        ("POST", "/api/v1/admin/libraries", {"name": "x", "kind": "tv", "path": str(tmp_path)}),
        ("GET", "/api/v1/admin/libraries", None),
        ("POST", f"/api/v1/admin/libraries/{library.id}/scan", None),
        ("GET", f"/api/v1/admin/libraries/scans/{uuid.uuid4()}", None),
    ]
    for method, url, body in routes:
        as_user = await client.request(method, url, json=body, headers=user)
        assert (as_user.status_code, as_user.json()["code"]) == (403, "auth.admin_required"), url
        anonymous = await client.request(method, url, json=body)
        assert anonymous.status_code == 401, url
    assert (await client.get("/api/v1/library/movies")).status_code == 401


async def test_unknown_library_and_scan_are_404(client, admin):
    scan = await client.post(f"/api/v1/admin/libraries/{uuid.uuid4()}/scan", headers=admin)
    assert (scan.status_code, scan.json()["code"]) == (404, "library.not_found")
    status = await client.get(f"/api/v1/admin/libraries/scans/{uuid.uuid4()}", headers=admin)
    assert (status.status_code, status.json()["code"]) == (404, "library.scan_not_found")


async def test_search_and_paging(client, make_user):
    _, user = await make_user()
    for title in ["Heat", "The Heat", "Alien", "Aliens", "Heathers", "Up"]:
        await make_movie(title)
    found = (await client.get("/api/v1/library/movies?q=HEAT", headers=user)).json()
    assert [m["title"] for m in found["items"]] == ["Heat", "Heathers", "The Heat"]
    assert found["total"] == 3
    page = (await client.get("/api/v1/library/movies?limit=2&offset=2", headers=user)).json()
    assert (page["total"], page["limit"], page["offset"]) == (6, 2, 2)
    assert [m["title"] for m in page["items"]] == ["Heat", "Heathers"]
    literal = (await client.get("/api/v1/library/movies?q=%25", headers=user)).json()
    assert literal["total"] == 0  # "%" is searched for, not a wildcard
    too_big = await client.get("/api/v1/library/movies?limit=501", headers=user)
    assert too_big.status_code == 422


async def test_search_each_kind(client, make_user):
    _, user = await make_user()
    episode = await make_episode("Dark", 2, 3)
    await make_episode("Lost", 1, 1)
    track = await make_track("Teardrop", "Massive Attack")
    await make_track("Glory Box", "Portishead")

    async def titles(kind, key, **params):
        response = await client.get(f"/api/v1/library/{kind}", params=params, headers=user)
        assert response.status_code == 200, response.text
        return [row[key] for row in response.json()["items"]]

    assert await titles("series", "title", q="dar") == ["Dark"]
    assert await titles("episodes", "id", q="dark") == [str(episode.id)]
    assert await titles("episodes", "episode_number", parent_id=str(episode.series_id)) == [3]
    assert await titles("artists", "name", q="attack") == ["Massive Attack"]
    assert await titles("albums", "artist_name", q="portis") == ["Portishead"]
    assert await titles("tracks", "title", q="massive") == ["Teardrop"]  # by artist name
    assert await titles("tracks", "title", parent_id=str(track.album_id)) == ["Teardrop"]
    assert await titles("albums", "title", parent_id=str(track.artist_id)) == ["Mezzanine"]

    for kind, item_id in [
        ("episodes", episode.id),
        ("series", episode.series_id),
        ("tracks", track.id),
        ("albums", track.album_id),
        ("artists", track.artist_id),
    ]:
        detail = await client.get(f"/api/v1/library/{kind}/{item_id}", headers=user)
        assert detail.status_code == 200, (kind, detail.text)
        assert detail.json()["id"] == str(item_id)


@pytest.mark.parametrize("kind", ["movies", "series", "episodes", "artists", "albums", "tracks"])
async def test_unknown_item_is_a_translated_404(client, make_user, kind):
    _, user = await make_user(locale="es")
    response = await client.get(f"/api/v1/library/{kind}/{uuid.uuid4()}", headers=user)
    assert response.status_code == 404
    assert response.json()["code"] == "library.item_not_found"
    assert response.headers["content-language"] == "es"
    bad = await client.get(f"/api/v1/library/{kind}/not-a-uuid", headers=user)
    assert bad.status_code == 422


async def test_file_paths_only_for_admins(client, make_user, admin):
    _, user = await make_user()
    library = await make_library("movies")
    async with session_scope() as s:
        file = MediaFile(
            library_id=library.id,
            path=f"/srv/media/{uuid.uuid4().hex}/Heat (1995).mkv",
            size_bytes=1234,
            mtime=1.0,
            container="mkv",
            duration_ms=60_000,
        )
        s.add(file)
        await s.flush()
        movie = Movie(library_id=library.id, title="Heat", year=1995, file_id=file.id)
        s.add(movie)
        await s.flush()
        s.add(
            MediaImage(
                media_type="movie",
                media_id=movie.id,
                kind="poster",
                path=f"/srv/media/{uuid.uuid4().hex}/poster.jpg",
                size_bytes=10,
                mtime=1.0,
            )
        )
    as_user = (await client.get(f"/api/v1/library/movies/{movie.id}", headers=user)).json()
    assert as_user["file"]["container"] == "mkv" and as_user["file"]["path"] is None
    assert as_user["images"][0]["kind"] == "poster" and as_user["images"][0]["path"] is None
    listed = (await client.get("/api/v1/library/movies", headers=user)).json()["items"][0]
    assert listed["file"]["path"] is None and listed["images"][0]["path"] is None
    assert "/srv/media" not in str(listed)
    as_admin = (await client.get(f"/api/v1/library/movies/{movie.id}", headers=admin)).json()
    assert as_admin["file"]["path"] == file.path
    assert as_admin["images"][0]["path"].endswith("poster.jpg")
