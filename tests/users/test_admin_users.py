"""Admin user management beyond create/list: edit, reset a password (shown once, to be changed
at the next sign-in), promote and demote, deactivate and delete, never oneself and never the
last admin."""

from __future__ import annotations

import asyncio

from tests.helpers import TEST_PASSWORD


async def _login(client, username: str, password: str):
    return await client.post(
        "/api/v1/auth/login", json={"username": username, "password": password}
    )


async def test_an_admin_edits_a_users_details(client, make_user):
    _, admin = await make_user(is_admin=True)
    user, _ = await make_user("gina")
    changed = await client.patch(
        f"/api/v1/admin/users/{user.id}",
        json={"display_name": "Gina G.", "email": "gina@example.org", "locale": "de"},
        headers=admin,
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["display_name"], body["email"], body["locale"]) == (
        "Gina G.",
        "gina@example.org",
        "de",
    )
    # Clearing is allowed (null), an unknown language is not.
    cleared = await client.patch(
        f"/api/v1/admin/users/{user.id}", json={"display_name": None, "locale": None}, headers=admin
    )
    assert cleared.json()["display_name"] is None and cleared.json()["locale"] is None
    bad = await client.patch(f"/api/v1/admin/users/{user.id}", json={"locale": "xx"}, headers=admin)
    assert bad.status_code == 422


async def test_a_reset_password_works_once_shown_and_must_be_changed(client, make_user):
    _, admin = await make_user(is_admin=True)
    user, user_headers = await make_user("hank")
    reset = await client.post(f"/api/v1/admin/users/{user.id}/reset-password", headers=admin)
    assert reset.status_code == 200, reset.text
    password = reset.json()["password"]
    assert len(password) >= 16
    # The user's logins ended; the old password no longer works, the new one does.
    assert (await client.get("/api/v1/users/me", headers=user_headers)).status_code == 401
    assert (await _login(client, "hank", TEST_PASSWORD)).status_code == 401
    login = await _login(client, "hank", password)
    assert login.status_code == 200
    assert login.json()["user"]["must_change_password"] is True
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    me = await client.get("/api/v1/users/me", headers=headers)
    assert me.json()["must_change_password"] is True

    # Choosing their own password clears the flag.
    changed = await client.patch(
        "/api/v1/users/me",
        json={"current_password": password, "new_password": "my-own-password"},
        headers=headers,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["must_change_password"] is False
    assert (await client.get("/api/v1/users/me", headers=headers)).json()[
        "must_change_password"
    ] is False
    # Another profile change does not set it again.
    other = await client.patch("/api/v1/users/me", json={"display_name": "H"}, headers=headers)
    assert other.json()["must_change_password"] is False


async def test_each_reset_gives_a_new_password(client, make_user):
    _, admin = await make_user(is_admin=True)
    user, _ = await make_user()
    first = await client.post(f"/api/v1/admin/users/{user.id}/reset-password", headers=admin)
    second = await client.post(f"/api/v1/admin/users/{user.id}/reset-password", headers=admin)
    assert first.json()["password"] != second.json()["password"]
    assert (await _login(client, user.username, first.json()["password"])).status_code == 401
    assert (await _login(client, user.username, second.json()["password"])).status_code == 200


async def test_reset_password_is_for_admins_and_not_for_oneself(client, make_user):
    admin_user, admin = await make_user(is_admin=True)
    _user, user_headers = await make_user()
    refused = await client.post(
        f"/api/v1/admin/users/{admin_user.id}/reset-password", headers=user_headers
    )
    assert refused.status_code == 403
    own = await client.post(f"/api/v1/admin/users/{admin_user.id}/reset-password", headers=admin)
    assert own.status_code == 409 and own.json()["code"] == "users.cannot_reset_self"
    # The admin is still signed in: nothing was reset.
    assert (await client.get("/api/v1/users/me", headers=admin)).status_code == 200
    missing = await client.post(
        "/api/v1/admin/users/00000000-0000-0000-0000-000000000000/reset-password", headers=admin
    )
    assert missing.status_code == 404 and missing.json()["code"] == "users.not_found"
    assert (await client.get("/api/v1/users/me", headers=user_headers)).status_code == 200


async def test_promote_demote_and_the_self_and_last_admin_rules(client, make_user):
    first_user, first = await make_user(is_admin=True)
    user, _ = await make_user("ida")
    promoted = await client.patch(
        f"/api/v1/admin/users/{user.id}", json={"is_admin": True}, headers=first
    )
    assert promoted.json()["is_admin"] is True
    # Two admins now, yet an admin still cannot demote or disable themselves.
    for change in ({"is_admin": False}, {"is_active": False}):
        own = await client.patch(f"/api/v1/admin/users/{first_user.id}", json=change, headers=first)
        assert own.status_code == 409, change
        assert own.json()["code"] == "users.cannot_change_self"
    own_delete = await client.delete(f"/api/v1/admin/users/{first_user.id}", headers=first)
    assert own_delete.json()["code"] == "users.cannot_delete_self"
    # Another admin may demote them.
    demoted = await client.patch(
        f"/api/v1/admin/users/{user.id}", json={"is_admin": False}, headers=first
    )
    assert demoted.status_code == 200 and demoted.json()["is_admin"] is False


async def test_deactivate_then_delete_a_user(client, make_user):
    _, admin = await make_user(is_admin=True)
    user, user_headers = await make_user("jack")
    off = await client.patch(
        f"/api/v1/admin/users/{user.id}", json={"is_active": False}, headers=admin
    )
    assert off.json()["is_active"] is False
    assert (await client.get("/api/v1/users/me", headers=user_headers)).status_code == 401
    assert (await _login(client, "jack", TEST_PASSWORD)).status_code == 401
    assert (await client.delete(f"/api/v1/admin/users/{user.id}", headers=admin)).status_code == 204
    listing = (await client.get("/api/v1/admin/users?limit=200", headers=admin)).json()
    assert "jack" not in [u["username"] for u in listing["items"]]


async def test_two_admins_demoting_each_other_at_once_leave_one_admin(committed_client, make_user):
    kate, kate_headers = await make_user("kate", is_admin=True)
    lou, lou_headers = await make_user("lou", is_admin=True)
    results = await asyncio.gather(
        committed_client.patch(
            f"/api/v1/admin/users/{lou.id}", json={"is_admin": False}, headers=kate_headers
        ),
        committed_client.patch(
            f"/api/v1/admin/users/{kate.id}", json={"is_admin": False}, headers=lou_headers
        ),
    )
    statuses = sorted(r.status_code for r in results)
    # The second sees only one admin left (or that the caller is no longer one).
    assert statuses[0] == 200 and statuses[1] in (403, 409), [r.text for r in results]
    me_kate = await committed_client.get("/api/v1/users/me", headers=kate_headers)
    me_lou = await committed_client.get("/api/v1/users/me", headers=lou_headers)
    assert [me_kate.json()["is_admin"], me_lou.json()["is_admin"]].count(True) == 1
