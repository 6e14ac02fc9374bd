"""The built web UI is served at ``/``: client-side routes get index.html, unknown API paths
stay JSON problems, and nothing outside the build directory can be read."""

from __future__ import annotations

from typing import Any

import httpx2 as httpx
import pytest

from revenge import main


@pytest.fixture
async def spa_client(tmp_path, monkeypatch, test_settings, db) -> Any:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><div id=app></div>")
    (dist / "assets" / "index-abc.js").write_text("console.log(1)")
    (dist / "favicon.svg").write_text("<svg/>")
    (dist / "sw.js").write_text("self.addEventListener('push', () => {})")
    (tmp_path / "secret.txt").write_text("not for you")
    monkeypatch.setattr(main, "WEB_DIST", dist)
    app = main.create_app(test_settings, manage_database=False, run_workers=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


async def test_client_side_routes_get_the_app_page_uncached(spa_client):
    for path in ("/", "/history", "/admin/users", "/s/sometoken"):
        response = await spa_client.get(path)
        assert response.status_code == 200, path
        assert "<div id=app>" in response.text
        assert response.headers["cache-control"] == "no-cache"


async def test_built_files_are_served(spa_client):
    assert (await spa_client.get("/assets/index-abc.js")).text == "console.log(1)"
    assert (await spa_client.get("/favicon.svg")).text == "<svg/>"


async def test_the_service_worker_is_served_at_the_root_as_javascript(spa_client):
    # At /sw.js its scope is the whole app; browsers refuse a worker without a JS MIME type.
    response = await spa_client.get("/sw.js")
    assert response.status_code == 200
    assert response.text.startswith("self.addEventListener")
    assert response.headers["content-type"].split(";")[0] in (
        "text/javascript",
        "application/javascript",
    )


async def test_unknown_api_path_is_a_translated_problem_not_the_app(spa_client):
    response = await spa_client.get("/api/v1/no-such-thing", headers={"Accept-Language": "de"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "resource.not_found"
    assert response.headers["content-language"] == "de"


async def test_paths_outside_the_build_are_not_served(spa_client):
    response = await spa_client.get("/..%2Fsecret.txt")
    assert "not for you" not in response.text
