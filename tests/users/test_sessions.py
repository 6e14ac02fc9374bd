"""Sessions end when they should: refresh-token reuse ends the whole family (OAuth 2.0 Security
BCP), a password change or an admin reset ends the user's logins, API keys stay."""

from __future__ import annotations

from typing import Any

from tests.helpers import TEST_PASSWORD

NEW_PASSWORD = "a brand new password"


async def _login(client: Any, username: str, password: str = TEST_PASSWORD) -> dict[str, str]:
    response = await client.post(
        "/api/v1/auth/login", json={"username": username, "password": password}
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


async def _refresh(client: Any, refresh_token: str) -> Any:
    return await client.post("/api/v1/auth/refresh", json={"refresh_token": refresh_token})


def _bearer(tokens: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def _me_status(client: Any, headers: dict[str, str]) -> int:
    return int((await client.get("/api/v1/users/me", headers=headers)).status_code)


async def _api_key(client: Any, headers: dict[str, str]) -> dict[str, str]:
    created = await client.post("/api/v1/users/me/api-keys", json={"name": "cron"}, headers=headers)
    assert created.status_code == 201, created.text
    return {"X-API-Key": created.json()["key"]}


async def test_reusing_a_rotated_refresh_token_ends_its_whole_family(client, make_user):
    user, fixture_session = await make_user()
    first = await _login(client, user.username)
    other_device = await _login(client, user.username)  # another login: another family

    second = await _refresh(client, first["refresh_token"])
    assert second.status_code == 200, second.text
    second_tokens = second.json()
    third = await _refresh(client, second_tokens["refresh_token"])
    assert third.status_code == 200, third.text
    newest = third.json()
    assert await _me_status(client, _bearer(newest)) == 200

    # The first refresh token, already rotated, shows up again: someone else may hold it.
    replayed = await _refresh(client, first["refresh_token"])
    assert replayed.status_code == 401
    assert replayed.headers["content-type"] == "application/problem+json"
    assert replayed.json()["code"] == "auth.invalid_refresh_token"

    # Every token of that family is dead, two rotations later included.
    assert await _me_status(client, _bearer(newest)) == 401
    assert (await _refresh(client, newest["refresh_token"])).status_code == 401
    assert await _me_status(client, _bearer(second_tokens)) == 401
    assert (await _refresh(client, second_tokens["refresh_token"])).status_code == 401

    # Other logins of the same user are not touched.
    assert await _me_status(client, _bearer(other_device)) == 200
    assert await _me_status(client, fixture_session) == 200
    rotated = await _refresh(client, other_device["refresh_token"])
    assert rotated.status_code == 200, rotated.text
    assert await _me_status(client, _bearer(rotated.json())) == 200


async def test_a_refresh_token_replayed_after_logout_is_refused(client, make_user):
    user, _ = await make_user()
    tokens = await _login(client, user.username)
    assert (await client.post("/api/v1/auth/logout", headers=_bearer(tokens))).status_code == 204
    again = await _refresh(client, tokens["refresh_token"])
    assert again.status_code == 401
    assert again.json()["code"] == "auth.invalid_refresh_token"


async def test_password_change_ends_other_sessions_and_this_refresh_but_keeps_api_keys(
    client, make_user
):
    user, fixture_session = await make_user()
    current = await _login(client, user.username)
    other = await _login(client, user.username)
    api_key = await _api_key(client, _bearer(current))

    changed = await client.patch(
        "/api/v1/users/me",
        json={"current_password": TEST_PASSWORD, "new_password": NEW_PASSWORD},
        headers=_bearer(current),
    )
    assert changed.status_code == 200, changed.text

    # No refresh token issued before the change outlives it, this session's included.
    current_refresh = await _refresh(client, current["refresh_token"])
    assert current_refresh.status_code == 401
    assert current_refresh.json()["code"] == "auth.invalid_refresh_token"
    # The caller is not thrown out mid-request: this access token lives out its hour.
    assert await _me_status(client, _bearer(current)) == 200
    # Every other login ends at once.
    assert await _me_status(client, _bearer(other)) == 401
    assert (await _refresh(client, other["refresh_token"])).status_code == 401
    assert await _me_status(client, fixture_session) == 401
    # API keys are for scripts and stay.
    assert await _me_status(client, api_key) == 200

    old = await client.post(
        "/api/v1/auth/login", json={"username": user.username, "password": TEST_PASSWORD}
    )
    assert old.status_code == 401
    fresh = await _login(client, user.username, NEW_PASSWORD)
    assert await _me_status(client, _bearer(fresh)) == 200


async def test_admin_password_reset_ends_every_session_of_that_user_but_keeps_api_keys(
    client, make_user
):
    _, admin = await make_user(is_admin=True)
    user, fixture_session = await make_user()
    _, bystander = await make_user()
    first = await _login(client, user.username)
    second = await _login(client, user.username)
    api_key = await _api_key(client, _bearer(first))

    reset = await client.patch(
        f"/api/v1/admin/users/{user.id}", json={"password": NEW_PASSWORD}, headers=admin
    )
    assert reset.status_code == 200, reset.text

    for tokens in (first, second):
        assert await _me_status(client, _bearer(tokens)) == 401
        refused = await _refresh(client, tokens["refresh_token"])
        assert refused.status_code == 401
        assert refused.json()["code"] == "auth.invalid_refresh_token"
    assert await _me_status(client, fixture_session) == 401
    assert await _me_status(client, api_key) == 200
    # Nobody else is logged out: the admin doing it, another user.
    assert await _me_status(client, admin) == 200
    assert await _me_status(client, bystander) == 200
    fresh = await _login(client, user.username, NEW_PASSWORD)
    assert await _me_status(client, _bearer(fresh)) == 200
