"""The settings test calls the real API: the choices, or a clear translated problem."""

from __future__ import annotations

from tests.downloaders.conftest import add_downloader
from tests.fakes.servarr import API_KEY
from tests.helpers import free_port

BASE = "/api/v1/admin/downloaders"


async def test_saved_radarr_offers_its_profiles_root_folders_and_tags(client, admin, radarr):
    created = await add_downloader(client, admin, "radarr", radarr.url)
    answer = await client.post(f"{BASE}/{created['id']}/test", headers=admin)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["app_name"] == "Radarr"
    assert [p["name"] for p in body["quality_profiles"]] == ["Any", "HD-1080p"]
    assert body["root_folders"][0]["path"] == "/movies"
    assert body["tags"] == [{"id": 1, "name": "revenge"}]
    assert body["metadata_profiles"] == []
    called = [c["path"] for c in radarr.fake.calls]
    assert called == ["/system/status", "/qualityprofile", "/rootfolder", "/tag"]
    assert all(c["key_ok"] for c in radarr.fake.calls)


async def test_lidarr_also_offers_metadata_profiles(client, admin, lidarr):
    created = await add_downloader(client, admin, "lidarr", lidarr.url)
    body = (await client.post(f"{BASE}/{created['id']}/test", headers=admin)).json()
    assert [p["name"] for p in body["metadata_profiles"]] == ["Standard", "None"]
    assert lidarr.fake.calls[0]["path"] == "/system/status"
    assert lidarr.fake.calls[0]["params"] == {}


async def test_a_wrong_key_is_a_translated_problem(client, admin, radarr, make_user):
    created = await add_downloader(client, admin, "radarr", radarr.url, api_key="not-the-key")
    _, german_admin = await make_user(is_admin=True, locale="de")
    answer = await client.post(f"{BASE}/{created['id']}/test", headers=german_admin)
    assert answer.status_code == 422
    problem = answer.json()
    assert problem["code"] == "downloaders.unauthorized"
    assert problem["title"] == "Radarr lehnt den API-Schlüssel ab"
    assert radarr.fake.calls[0]["key_ok"] is False


async def test_an_unreachable_host_is_a_translated_problem(client, admin):
    created = await add_downloader(client, admin, "sonarr", f"http://127.0.0.1:{free_port()}")
    answer = await client.post(f"{BASE}/{created['id']}/test", headers=admin)
    assert answer.status_code == 502
    problem = answer.json()
    assert problem["code"] == "downloaders.unreachable"
    assert problem["title"] == "Sonarr is not reachable"
    assert "ConnectError" in problem["detail"]


async def test_unsaved_settings_and_the_stored_key(client, admin, radarr, sonarr):
    fresh = await client.post(
        f"{BASE}/test",
        json={"kind": "sonarr", "base_url": sonarr.url, "api_key": API_KEY},
        headers=admin,
    )
    assert fresh.status_code == 200
    assert fresh.json()["app_name"] == "Sonarr"

    saved = await add_downloader(client, admin, "radarr", "http://old-host:7878")
    moved = await client.post(
        f"{BASE}/test",
        json={"kind": "radarr", "base_url": radarr.url, "downloader_id": saved["id"]},
        headers=admin,
    )
    assert moved.status_code == 200, moved.text
    assert radarr.fake.calls[0]["key_ok"] is True

    keyless = await client.post(
        f"{BASE}/test", json={"kind": "radarr", "base_url": radarr.url}, headers=admin
    )
    assert (keyless.status_code, keyless.json()["code"]) == (422, "downloaders.field_required")


async def test_another_application_at_the_address_is_named(client, admin, sonarr):
    answer = await client.post(
        f"{BASE}/test",
        json={"kind": "radarr", "base_url": sonarr.url, "api_key": API_KEY},
        headers=admin,
    )
    # Sonarr has no /api/v3/movie, but its status answers first and says who it is.
    assert answer.status_code == 422
    assert answer.json()["code"] == "downloaders.wrong_kind"
    assert "Sonarr, not Radarr" in answer.json()["detail"]


async def test_a_downloader_that_errors_is_a_bad_gateway(client, admin, radarr):
    radarr.fake.fail_next(500)
    created = await add_downloader(client, admin, "radarr", radarr.url)
    answer = await client.post(f"{BASE}/{created['id']}/test", headers=admin)
    assert (answer.status_code, answer.json()["code"]) == (502, "downloaders.server_error")
