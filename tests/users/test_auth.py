from __future__ import annotations

import asyncio

from tests.helpers import TEST_PASSWORD


async def test_login_refresh_logout_cycle(client, make_user):
    user, _ = await make_user("alice")
    response = await client.post(
        "/api/v1/auth/login", json={"username": "ALICE", "password": TEST_PASSWORD}
    )
    assert response.status_code == 200, response.text
    tokens = response.json()
    assert tokens["user"]["username"] == "alice"
    assert tokens["expires_in"] == 3600
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert (await client.get("/api/v1/users/me", headers=headers)).json()["id"] == str(user.id)

    refreshed = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert refreshed.status_code == 200
    new_headers = {"Authorization": f"Bearer {refreshed.json()['access_token']}"}
    # Rotation: the old pair stops working, the refresh token works once.
    assert (await client.get("/api/v1/users/me", headers=headers)).status_code == 401
    again = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert again.status_code == 401
    assert again.json()["code"] == "auth.invalid_refresh_token"
    # Reusing a rotated refresh token ends the whole family, the pair issued from it too.
    assert (await client.get("/api/v1/users/me", headers=new_headers)).status_code == 401

    second = await client.post(
        "/api/v1/auth/login", json={"username": "alice", "password": TEST_PASSWORD}
    )
    second_headers = {"Authorization": f"Bearer {second.json()['access_token']}"}
    assert (await client.post("/api/v1/auth/logout", headers=second_headers)).status_code == 204
    after = await client.get("/api/v1/users/me", headers=second_headers)
    assert after.status_code == 401
    assert after.headers["content-type"] == "application/problem+json"
    assert after.json()["code"] == "auth.invalid_token"


async def test_failed_login_does_not_reveal_whether_user_exists(client, make_user):
    await make_user("bob")
    wrong_password = await client.post(
        "/api/v1/auth/login", json={"username": "bob", "password": "nope-nope"}
    )
    no_user = await client.post(
        "/api/v1/auth/login", json={"username": "nobody", "password": "nope-nope"}
    )
    assert wrong_password.status_code == no_user.status_code == 401
    assert wrong_password.json() == no_user.json()


async def test_login_rate_limited_per_username_with_retry_after(client, make_user):
    await make_user("carol")
    for _ in range(5):  # test settings: 5 attempts per window
        r = await client.post(
            "/api/v1/auth/login", json={"username": "carol", "password": "wrong-wrong"}
        )
        assert r.status_code == 401
    blocked = await client.post(
        "/api/v1/auth/login", json={"username": "carol", "password": TEST_PASSWORD}
    )
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) >= 1
    assert blocked.json()["code"] == "auth.too_many_attempts"


async def test_disabling_a_user_ends_their_sessions_at_once(client, make_user):
    _, admin = await make_user(is_admin=True)
    user, headers = await make_user()
    assert (await client.get("/api/v1/users/me", headers=headers)).status_code == 200
    r = await client.patch(
        f"/api/v1/admin/users/{user.id}", json={"is_active": False}, headers=admin
    )
    assert r.status_code == 200 and r.json()["is_active"] is False
    assert (await client.get("/api/v1/users/me", headers=headers)).status_code == 401


async def test_api_keys_shown_once_and_usable_and_private(client, make_user):
    _, alice = await make_user()
    _, bob = await make_user()
    created = await client.post("/api/v1/users/me/api-keys", json={"name": "script"}, headers=alice)
    assert created.status_code == 201
    key = created.json()["key"]
    assert key.startswith("rvk_")
    listed = (await client.get("/api/v1/users/me/api-keys", headers=alice)).json()
    assert [k["name"] for k in listed] == ["script"] and "key" not in listed[0]
    me = await client.get("/api/v1/users/me", headers={"X-API-Key": key})
    assert me.status_code == 200
    # Bob can neither see nor delete Alice's key.
    assert (await client.get("/api/v1/users/me/api-keys", headers=bob)).json() == []
    key_id = created.json()["id"]
    assert (
        await client.delete(f"/api/v1/users/me/api-keys/{key_id}", headers=bob)
    ).status_code == 404
    assert (
        await client.delete(f"/api/v1/users/me/api-keys/{key_id}", headers=alice)
    ).status_code == 204
    assert (await client.get("/api/v1/users/me", headers={"X-API-Key": key})).status_code == 401


async def test_update_me_and_password_change_needs_old_password(client, make_user):
    _, headers = await make_user("dave")
    r = await client.patch(
        "/api/v1/users/me",
        json={"display_name": "Dave", "locale": "fr", "timezone": "Europe/Paris"},
        headers=headers,
    )
    assert r.status_code == 200
    assert (r.json()["display_name"], r.json()["locale"], r.json()["timezone"]) == (
        "Dave",
        "fr",
        "Europe/Paris",
    )
    wrong = await client.patch(
        "/api/v1/users/me",
        json={"current_password": "bad-password", "new_password": "new-password-1"},
        headers=headers,
    )
    assert wrong.status_code == 403
    assert wrong.json()["code"] == "auth.wrong_current_password"
    assert wrong.json()["title"] == "Mot de passe incorrect"  # the user's own language now
    ok = await client.patch(
        "/api/v1/users/me",
        json={"current_password": TEST_PASSWORD, "new_password": "new-password-1"},
        headers=headers,
    )
    assert ok.status_code == 200
    login = await client.post(
        "/api/v1/auth/login", json={"username": "dave", "password": "new-password-1"}
    )
    assert login.status_code == 200


async def test_invalid_timezone_and_locale_are_422(client, make_user):
    _, headers = await make_user()
    r = await client.patch("/api/v1/users/me", json={"timezone": "Mars/Olympus"}, headers=headers)
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["body", "timezone"]


async def test_admin_routes_refuse_users_and_anonymous(client, make_user):
    _, user = await make_user()
    for method, path in [
        ("GET", "/api/v1/admin/users"),
        ("POST", "/api/v1/admin/users"),
        ("GET", "/api/v1/admin/jobs"),
    ]:
        anonymous = await client.request(method, path, json={})
        assert anonymous.status_code == 401, path
        forbidden = await client.request(method, path, json={}, headers=user)
        assert forbidden.status_code == 403, path
        assert forbidden.json()["code"] == "auth.admin_required"


async def test_admin_user_management(client, make_user):
    admin_user, admin = await make_user(is_admin=True)
    created = await client.post(
        "/api/v1/admin/users",
        json={"username": "erin", "password": "long-password", "email": "erin@example.com"},
        headers=admin,
    )
    assert created.status_code == 201
    duplicate = await client.post(
        "/api/v1/admin/users", json={"username": "ERIN", "password": "long-password"}, headers=admin
    )
    assert duplicate.status_code == 409
    assert "ERIN" in duplicate.json()["detail"]
    listing = (await client.get("/api/v1/admin/users?limit=100", headers=admin)).json()
    assert "erin" in [u["username"] for u in listing["items"]]
    # The last admin can neither be demoted nor delete themselves.
    demote = await client.patch(
        f"/api/v1/admin/users/{admin_user.id}", json={"is_admin": False}, headers=admin
    )
    assert demote.status_code == 409 and demote.json()["code"] == "users.last_admin"
    assert (
        await client.delete(f"/api/v1/admin/users/{admin_user.id}", headers=admin)
    ).status_code == 409
    erin_id = created.json()["id"]
    assert (await client.delete(f"/api/v1/admin/users/{erin_id}", headers=admin)).status_code == 204
    assert (await client.delete(f"/api/v1/admin/users/{erin_id}", headers=admin)).status_code == 404


async def test_concurrent_creates_of_the_same_username_give_one_user(committed_client, make_user):
    _, admin = await make_user(is_admin=True)
    body = {"username": "frank", "password": "long-password"}
    results = await asyncio.gather(
        *[committed_client.post("/api/v1/admin/users", json=body, headers=admin) for _ in range(5)]
    )
    assert sorted(r.status_code for r in results) == [201, 409, 409, 409, 409]
