"""The owner's side: create, list and revoke links; admin policy."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text

from revenge.core.security import token_digest
from revenge.share_links.models import MediaGrant


async def test_link_is_shown_once_and_only_its_hash_is_stored(
    client, make_user, media, share, session
):
    movie, _ = await media.movie()
    _, headers = await make_user()
    created = await share(headers, "movie", movie.id, max_views=3, description="for mum")
    token = created["token"]
    assert len(token) >= 43  # 256 bits, URL-safe base64
    assert created["url"] == f"http://testserver/share/{token}"
    assert created["title"] == "Heat"
    assert created["state"] == "active" and created["views_left"] == 3

    row = (
        await session.execute(select(MediaGrant).where(MediaGrant.id == uuid.UUID(created["id"])))
    ).scalar_one()
    assert row.token_hash == token_digest(token)
    # Nothing a database reader can see contains the link.
    dump = (
        await session.execute(text("SELECT row_to_json(g)::text FROM shared.media_grants g"))
    ).scalar_one()
    assert token not in dump

    listed = (await client.get("/api/v1/users/me/grants", headers=headers)).json()
    assert listed["total"] == 1
    item = listed["items"][0]
    assert item["id"] == created["id"] and item["description"] == "for mum"
    assert "token" not in item and "url" not in item


async def test_another_user_cannot_list_or_revoke_my_links(client, make_user, media, share):
    movie, _ = await media.movie()
    _, mine = await make_user()
    _, theirs = await make_user()
    created = await share(mine, "movie", movie.id)

    assert (await client.get("/api/v1/users/me/grants", headers=theirs)).json()["total"] == 0
    refused = await client.delete(f"/api/v1/users/me/grants/{created['id']}", headers=theirs)
    assert refused.status_code == 404
    assert refused.json()["code"] == "share_link.grant_not_found"
    # The link still works.
    assert (await client.get(f"/api/v1/share/{created['token']}")).status_code == 200
    assert (await client.get("/api/v1/users/me/grants")).status_code == 401


async def test_revoking_stops_the_link_and_shows_in_the_list(client, make_user, media, share):
    movie, _ = await media.movie()
    _, headers = await make_user()
    created = await share(headers, "movie", movie.id)
    assert (
        await client.delete(f"/api/v1/users/me/grants/{created['id']}", headers=headers)
    ).status_code == 204
    # Revoking twice is harmless.
    assert (
        await client.delete(f"/api/v1/users/me/grants/{created['id']}", headers=headers)
    ).status_code == 204
    gone = await client.get(f"/api/v1/share/{created['token']}", headers={"Accept-Language": "fr"})
    assert gone.status_code == 410
    assert gone.json()["code"] == "share_link.revoked"
    assert gone.json()["title"] == "Lien révoqué"
    listed = (await client.get("/api/v1/users/me/grants", headers=headers)).json()["items"][0]
    assert listed["state"] == "revoked" and listed["revoked_at"] is not None


async def test_sharing_an_unknown_item_is_404(client, make_user):
    _, headers = await make_user()
    response = await client.post(
        "/api/v1/users/me/grants",
        json={"media_type": "album", "media_id": str(uuid.uuid4())},
        headers=headers,
    )
    assert response.status_code == 404
    assert response.json()["code"] == "share_link.item_not_found"
    season = await client.post(
        "/api/v1/users/me/grants",
        json={"media_type": "season", "media_id": str(uuid.uuid4())},
        headers=headers,
    )
    assert season.status_code == 422


async def test_admin_can_forbid_users_to_share(
    client, make_user, media, test_settings, monkeypatch
):
    monkeypatch.setattr(test_settings.share, "users_may_share", False)
    movie, _ = await media.movie()
    _, user = await make_user()
    _, admin = await make_user(is_admin=True)
    body = {"media_type": "movie", "media_id": str(movie.id)}
    refused = await client.post(
        "/api/v1/users/me/grants", json=body, headers={**user, "Accept-Language": "de"}
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "share_link.sharing_disabled"
    assert refused.json()["title"] == "Teilen ist deaktiviert"
    assert (
        await client.post("/api/v1/users/me/grants", json=body, headers=admin)
    ).status_code == 201


async def test_expiry_policy(client, make_user, media, test_settings, monkeypatch):
    monkeypatch.setattr(test_settings.share, "max_expiry_days", 7)
    movie, _ = await media.movie()
    _, headers = await make_user()
    now = datetime.now(UTC)
    url = "/api/v1/users/me/grants"
    base = {"media_type": "movie", "media_id": str(movie.id)}

    too_long = await client.post(
        url, json={**base, "expires_at": (now + timedelta(days=30)).isoformat()}, headers=headers
    )
    assert too_long.status_code == 422
    assert too_long.json()["code"] == "share_link.expiry_too_long"
    assert too_long.json()["detail"] == "Share links may last at most 7 days."

    past = await client.post(
        url, json={**base, "expires_at": (now - timedelta(hours=1)).isoformat()}, headers=headers
    )
    assert past.json()["code"] == "share_link.expiry_in_past"

    defaulted = (await client.post(url, json=base, headers=headers)).json()
    expires = datetime.fromisoformat(defaulted["expires_at"])
    assert timedelta(days=6, hours=23) < expires - now <= timedelta(days=7, minutes=1)


async def test_admin_can_require_passwords(client, make_user, media, test_settings, monkeypatch):
    monkeypatch.setattr(test_settings.share, "password_required", True)
    movie, _ = await media.movie()
    _, headers = await make_user()
    base = {"media_type": "movie", "media_id": str(movie.id)}
    refused = await client.post("/api/v1/users/me/grants", json=base, headers=headers)
    assert refused.status_code == 422
    assert refused.json()["code"] == "share_link.password_required_by_policy"
    ok = await client.post(
        "/api/v1/users/me/grants", json={**base, "password": "s3cret!"}, headers=headers
    )
    assert ok.status_code == 201 and ok.json()["requires_password"] is True


async def test_links_are_listed_with_the_libraries_one_title_format(
    client, make_user, media, share
):
    """The owner's list names items as everywhere else: "Show S01E02 – Title",
    "Artist – Title", "Artist – Album"."""
    album, tracks = await media.album("Mezzanine", tracks=1)
    _, episodes = await media.series("Dark", episodes=1)
    _, headers = await make_user()
    created = [
        await share(headers, "episode", episodes[0].id),
        await share(headers, "track", tracks[0].id),
        await share(headers, "album", album.id),
    ]
    assert [c["title"] for c in created] == [
        "Dark S01E01 – Episode 1",
        "Massive Attack – Track 1",
        "Massive Attack – Mezzanine",
    ]
    listed = (await client.get("/api/v1/users/me/grants", headers=headers)).json()
    assert sorted(i["title"] for i in listed["items"]) == sorted(c["title"] for c in created)
