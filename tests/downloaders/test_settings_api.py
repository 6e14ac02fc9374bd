"""Downloader settings through the admin API: the key is sealed and never shown, one default
per kind, fields checked per kind."""

from __future__ import annotations

from sqlalchemy import select

from revenge.core import crypto
from revenge.core.config import Settings
from revenge.downloaders.models import Downloader
from tests.downloaders.conftest import add_downloader
from tests.fakes.servarr import API_KEY

BASE = "/api/v1/admin/downloaders"


async def test_create_read_update_delete_never_shows_the_key(
    client, admin, session, test_settings: Settings
):
    created = await add_downloader(
        client,
        admin,
        "radarr",
        "http://radarr.lan:7878/radarr/",
        minimum_availability="inCinemas",
        path_map=[{"from": "/data/movies", "to": "/srv/movies"}],
    )
    assert created["api_key_set"] is True
    assert API_KEY not in str(created)
    assert created["base_url"] == "http://radarr.lan:7878/radarr"
    assert created["is_default"] is True  # the first Radarr
    assert created["path_map"] == [{"from": "/data/movies", "to": "/srv/movies"}]
    token_url = created["webhook_url"]
    assert token_url.startswith(f"http://testserver/api/v1/ingest/downloader/{created['id']}/")

    row = (await session.execute(select(Downloader))).scalar_one()
    assert row.api_key != API_KEY
    assert (
        crypto.decrypt(test_settings.secret, row.api_key, purpose="downloader-api-key") == API_KEY
    )
    assert token_url.rsplit("/", 1)[1] not in row.webhook_token_hash

    listed = (await client.get(BASE, headers=admin)).json()
    assert listed["total"] == 1
    assert "webhook_url" not in listed["items"][0]
    assert API_KEY not in str(listed)

    changed = await client.patch(
        f"{BASE}/{created['id']}",
        json={"api_key": "fedcba9876543210", "root_folder": None, "tags": [], "name": "Radarr 4K"},
        headers=admin,
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["name"], body["root_folder"], body["tags"]) == ("Radarr 4K", None, [])
    assert body["minimum_availability"] == "inCinemas"
    await session.refresh(row)
    assert crypto.decrypt(test_settings.secret, row.api_key, purpose="downloader-api-key") == (
        "fedcba9876543210"
    )

    assert (await client.delete(f"{BASE}/{created['id']}", headers=admin)).status_code == 204
    gone = await client.get(f"{BASE}/{created['id']}", headers=admin)
    assert (gone.status_code, gone.json()["code"]) == (404, "downloaders.not_found")


async def test_one_default_per_kind(client, admin):
    first = await add_downloader(client, admin, "radarr", "http://a:7878")
    sonarr = await add_downloader(client, admin, "sonarr", "http://b:8989")
    second = await add_downloader(client, admin, "radarr", "http://c:7878", name="Radarr 4K")
    assert (first["is_default"], sonarr["is_default"], second["is_default"]) == (True, True, False)

    promoted = await client.patch(
        f"{BASE}/{second['id']}", json={"is_default": True}, headers=admin
    )
    assert promoted.json()["is_default"] is True
    defaults = {
        d["name"]: d["is_default"] for d in (await client.get(BASE, headers=admin)).json()["items"]
    }
    assert defaults == {"My Radarr": False, "Radarr 4K": True, "My Sonarr": True}

    third = await add_downloader(
        client, admin, "radarr", "http://d:7878", name="Radarr kids", is_default=True
    )
    defaults = {
        d["name"]: d["is_default"] for d in (await client.get(BASE, headers=admin)).json()["items"]
    }
    assert third["is_default"] is True
    assert defaults == {
        "My Radarr": False,
        "Radarr 4K": False,
        "Radarr kids": True,
        "My Sonarr": True,
    }


async def test_fields_are_checked(client, admin, make_user):
    bad_url = await client.post(
        BASE,
        json={"kind": "radarr", "name": "x", "base_url": "ftp://nas/radarr", "api_key": "k"},
        headers=admin,
    )
    assert bad_url.status_code == 422
    assert bad_url.json()["errors"][0]["loc"][-1] == "base_url"

    wrong_kind = await client.post(
        BASE,
        json={
            "kind": "radarr",
            "name": "x",
            "base_url": "http://nas:7878",
            "api_key": "k",
            "series_type": "anime",
        },
        headers={**admin, "Accept-Language": "de"},
    )
    assert wrong_kind.status_code == 422
    problem = wrong_kind.json()
    assert problem["code"] == "downloaders.field_not_for_kind"
    assert "Radarr" in problem["detail"]

    await add_downloader(client, admin, "radarr", "http://nas:7878", name="Movies")
    taken = await client.post(
        BASE,
        json={"kind": "sonarr", "name": "movies", "base_url": "http://nas:8989", "api_key": "k"},
        headers=admin,
    )
    assert (taken.status_code, taken.json()["code"]) == (409, "downloaders.name_taken")

    _, user = await make_user()
    assert (await client.get(BASE, headers=user)).status_code == 403


async def test_renewing_the_webhook_url_retires_the_old_one(client, admin):
    created = await add_downloader(client, admin, "radarr", "http://nas:7878")
    old = created["webhook_url"].removeprefix("http://testserver")
    assert (await client.post(old, json={"eventType": "Test"})).status_code == 200
    renewed = await client.post(f"{BASE}/{created['id']}/webhook", headers=admin)
    new = renewed.json()["webhook_url"].removeprefix("http://testserver")
    assert (await client.post(old, json={"eventType": "Test"})).status_code == 401
    assert (await client.post(new, json={"eventType": "Test"})).status_code == 200
