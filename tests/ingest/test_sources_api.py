"""Admins manage sources: the secret webhook URL is shown once and stored only as a hash, a
path map must be absolute paths, a token can be replaced; nobody else may touch any of it."""

from __future__ import annotations

import hashlib
import uuid

import pytest
from sqlalchemy import select

from revenge.core.clock import utcnow
from revenge.ingest.models import IngestSource
from tests.fakes.media_servers import FakeItem, FakeUser, jellyfin_playback, post_webhook
from tests.ingest.conftest import API, add_source

SOURCES = f"{API}/admin/sources"


async def test_a_new_source_shows_its_webhook_url_once(client, admin, session, test_settings):
    created = await add_source(
        client, admin, "plex", "Plex downstairs", path_map=[{"from": "/data", "to": "/srv/media"}]
    )
    token = created["token"]
    assert created["webhook_url"] == (
        f"{test_settings.public_url}/api/v1/ingest/{created['id']}/{token}"
    )
    assert len(token) >= 40
    assert (created["kind"], created["name"]) == ("plex", "Plex downstairs")
    assert created["path_map"] == [{"from": "/data", "to": "/srv/media"}]
    assert (created["received"], created["last_received_at"], created["last_error"]) == (
        0,
        None,
        None,
    )
    row = await session.scalar(
        select(IngestSource).where(IngestSource.id == uuid.UUID(created["id"]))
    )
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()

    listed = (await client.get(SOURCES, headers=admin)).json()
    one = (await client.get(f"{SOURCES}/{created['id']}", headers=admin)).json()
    for shown in (listed[0], one):
        assert token not in str(shown)
        assert "token" not in shown and "webhook_url" not in shown
        assert shown["path_map"] == [{"from": "/data", "to": "/srv/media"}]


async def test_rename_change_the_map_and_rotate_the_token(client, admin):
    source = await add_source(client, admin, "jellyfin")
    request = jellyfin_playback(
        "PlaybackStart", FakeUser("x"), FakeItem("movie", "Heat"), at=utcnow()
    )
    renamed = await client.patch(
        f"{SOURCES}/{source['id']}",
        json={"name": "Jellyfin (NAS)", "path_map": [{"from": "D:\\Media", "to": "/srv/media"}]},
        headers=admin,
    )
    assert renamed.status_code == 200, renamed.text
    assert (renamed.json()["name"], renamed.json()["token"]) == ("Jellyfin (NAS)", None)
    assert renamed.json()["path_map"] == [{"from": "D:\\Media", "to": "/srv/media"}]
    assert (await post_webhook(client, source["webhook_url"], request)).status_code == 202

    rotated = await client.patch(
        f"{SOURCES}/{source['id']}", json={"rotate_token": True}, headers=admin
    )
    assert rotated.status_code == 200, rotated.text
    fresh = rotated.json()
    assert fresh["token"] and fresh["token"] != source["token"]
    assert fresh["webhook_url"].endswith(f"/{source['id']}/{fresh['token']}")
    assert fresh["name"] == "Jellyfin (NAS)"
    assert (await post_webhook(client, source["webhook_url"], request)).status_code == 401
    assert (await post_webhook(client, fresh["webhook_url"], request)).status_code == 202


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "kodi", "name": "Kodi"},
        {"kind": "plex", "name": ""},
        {"kind": "plex", "name": "x" * 101},
        {"kind": "plex", "name": "Plex\u0000"},
        {"kind": "plex", "name": "Plex", "path_map": [{"from": "media", "to": "/srv"}]},
        {"kind": "plex", "name": "Plex", "path_map": [{"from": "/media", "to": "srv"}]},
        {"kind": "plex", "name": "Plex", "path_map": [{"from": "/media"}]},
        {"kind": "plex", "name": "Plex", "path_map": [{"from": "/" + "m" * 2000, "to": "/srv"}]},
        {
            "kind": "plex",
            "name": "Plex",
            "path_map": [{"from": f"/m{i}", "to": "/srv"} for i in range(21)],
        },
    ],
)
async def test_what_a_source_may_be_is_bounded(client, admin, body):
    answer = await client.post(SOURCES, json=body, headers=admin)
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "request.validation_failed"


async def test_a_relative_path_is_refused_with_a_reason(client, admin):
    answer = await client.post(
        SOURCES,
        json={"kind": "emby", "name": "Emby", "path_map": [{"from": "media/movies", "to": "/srv"}]},
        headers=admin,
    )
    [error] = answer.json()["errors"]
    assert error["loc"][-1] == "from"
    assert error["type"] == "absolute_path"


async def test_missing_sources_are_404(client, admin):
    missing = uuid.uuid4()
    for method, path, body in (
        ("GET", f"{SOURCES}/{missing}", None),
        ("PATCH", f"{SOURCES}/{missing}", {"name": "x"}),
        ("DELETE", f"{SOURCES}/{missing}", None),
        ("GET", f"{SOURCES}/{missing}/users", None),
        ("PUT", f"{SOURCES}/{missing}/users", []),
    ):
        answer = await client.request(method, path, json=body, headers=admin)
        assert (answer.status_code, answer.json()["code"]) == (404, "ingest.source_not_found")


async def test_linking_to_a_user_that_does_not_exist_is_404(client, jobs, admin):
    source = await add_source(client, admin, "jellyfin")
    stranger = FakeUser("stranger")
    await post_webhook(
        client,
        source["webhook_url"],
        jellyfin_playback("PlaybackStart", stranger, FakeItem("movie", "Heat"), at=utcnow()),
    )
    await jobs.run("ingest.drain")
    answer = await client.put(
        f"{SOURCES}/{source['id']}/users",
        json=[{"external_id": stranger.id, "user_id": str(uuid.uuid4())}],
        headers=admin,
    )
    assert (answer.status_code, answer.json()["code"]) == (404, "users.not_found")
    too_many = await client.put(
        f"{SOURCES}/{source['id']}/users",
        json=[{"external_id": str(i), "user_id": None} for i in range(501)],
        headers=admin,
    )
    assert too_many.status_code == 422


async def test_only_admins_manage_sources(client, admin, make_user):
    source = await add_source(client, admin, "jellyfin")
    _, someone = await make_user()
    base = f"{SOURCES}/{source['id']}"
    calls = [
        ("POST", SOURCES, {"kind": "plex", "name": "mine"}),
        ("GET", SOURCES, None),
        ("GET", f"{SOURCES}/unmatched", None),
        ("GET", base, None),
        ("PATCH", base, {"rotate_token": True}),
        ("DELETE", base, None),
        ("GET", f"{base}/users", None),
        ("PUT", f"{base}/users", []),
    ]
    for method, path, body in calls:
        anonymous = await client.request(method, path, json=body)
        assert anonymous.status_code == 401, (method, path)
        forbidden = await client.request(method, path, json=body, headers=someone)
        assert (forbidden.status_code, forbidden.json()["code"]) == (403, "auth.admin_required")
    assert (await client.get(base, headers=admin)).json()["name"] == "jellyfin at home"


async def test_unmatched_is_paged_and_names_listenbrainz_rows(client, jobs, admin, make_user):
    from revenge.core.db import session_scope
    from revenge.ingest.incoming import ExternalUserRef, IncomingEvent, IncomingKind
    from revenge.ingest.pending import PendingRow, keep_pending_many
    from revenge.library.item_hints import ItemHints
    from revenge.playback.service import PlayOrigin

    listener, _ = await make_user("listener")
    source = await add_source(client, admin, "jellyfin", "Jellyfin")
    for name in ("one", "two", "three"):
        await post_webhook(
            client,
            source["webhook_url"],
            jellyfin_playback(
                "PlaybackStart", FakeUser(name), FakeItem("movie", "Heat"), at=utcnow()
            ),
        )
    await jobs.run("ingest.drain")
    hints = ItemHints(media_type="track", artist="Björk", title="Jóga")
    event = IncomingEvent(
        kind=IncomingKind.played,
        occurred_at=utcnow(),
        position_ms=None,
        user=ExternalUserRef(external_id=str(listener.id), name="listener"),
        item=hints,
    )
    row = PendingRow(
        reason="item",
        hints=hints,
        event=event,
        origin=PlayOrigin(source="listenbrainz", origin_digest="ab" * 32),
        dedupe_key="cd" * 32,
        user_id=listener.id,
        duration_ms=305_000,
    )
    async with session_scope() as session:
        assert await keep_pending_many(session, [row, row]) == 1

    first = (await client.get(f"{SOURCES}/unmatched?limit=2", headers=admin)).json()
    second = (await client.get(f"{SOURCES}/unmatched?limit=2&offset=2", headers=admin)).json()
    assert (first["total"], first["limit"], first["offset"], len(first["items"])) == (4, 2, 0, 2)
    groups = first["items"] + second["items"]
    [listen] = [g for g in groups if g["source_id"] is None]
    assert (listen["source_name"], listen["source_kind"], listen["reason"]) == (
        "ListenBrainz",
        "listenbrainz",
        "item",
    )
    assert listen["description"] == "Björk – Jóga"
    users = sorted(g["description"].split(" [")[0] for g in groups if g["reason"] == "user")
    assert users == ["one", "three", "two"]
    assert {g["source_name"] for g in groups if g["reason"] == "user"} == {"Jellyfin"}
