"""Input that used to answer 500 (hardening issue, "818 answers of 500 in 20 operations") now
gets a translated 4xx problem with a stable code, and the connection stays usable."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

BIG = "99999999999999999999"  # past bigint
NUL = "a\x00b"
ME = "/api/v1/users/me"

# (method, path, body, query) as the same user; the admin-only ones are marked.
CASES: list[tuple[str, str, str, dict[str, Any] | None, dict[str, str] | None, bool]] = [
    ("offset past bigint: history", "GET", f"{ME}/history", None, {"offset": BIG}, False),
    ("offset past bigint: movies", "GET", "/api/v1/library/movies", None, {"offset": BIG}, False),
    ("offset past bigint: inbox", "GET", f"{ME}/notifications", None, {"offset": BIG}, False),
    ("offset past bigint: grants", "GET", f"{ME}/grants", None, {"offset": BIG}, False),
    ("NUL in ?q=", "GET", "/api/v1/library/movies", None, {"q": NUL}, False),
    ("NUL in request search", "GET", "/api/v1/requests/search", None, {"q": NUL}, False),
    ("NUL in key name", "POST", f"{ME}/api-keys", {"name": NUL}, None, False),
    ("NUL in display name", "PATCH", ME, {"display_name": NUL}, None, False),
    (
        "NUL in channel name",
        "POST",
        f"{ME}/notification-channels",
        {"channel_type": "webhook", "name": NUL, "url": "https://example.org/hook"},
        None,
        False,
    ),
    ("NUL in push token", "POST", f"{ME}/push-token", {"token": "abcdefgh" + NUL}, None, False),
    (
        "NUL in playback client",
        "POST",
        "/api/v1/playback/events",
        {
            "media_type": "movie",
            "media_id": str(uuid.uuid4()),
            "event": "start",
            "position_ms": 0,
            "client": NUL,
        },
        None,
        False,
    ),
    (
        "year 1 in playback",
        "POST",
        "/api/v1/playback/events",
        {
            "media_type": "movie",
            "media_id": str(uuid.uuid4()),
            "event": "start",
            "position_ms": 0,
            "occurred_at": "0001-01-01T00:00:00+00:00",
        },
        None,
        False,
    ),
    (
        "9999-12-31 with a negative offset in playback",
        "POST",
        "/api/v1/playback/events",
        {
            "media_type": "movie",
            "media_id": str(uuid.uuid4()),
            "event": "start",
            "position_ms": 0,
            "occurred_at": "9999-12-31T23:00:00-05:00",
        },
        None,
        False,
    ),
    (
        "year 1 in an API key's expiry",
        "POST",
        f"{ME}/api-keys",
        {"name": "k", "expires_at": "0001-01-01T00:00:00Z"},
        None,
        False,
    ),
    (
        "year 1 in a report",
        "GET",
        "/api/v1/admin/analytics/reports",
        None,
        {"date": "0001-01-01"},
        True,
    ),
    (
        "year 9999 in a stats window",
        "GET",
        f"{ME}/stats/history",
        None,
        {"to": "9999-12-31"},
        False,
    ),
    (
        "NUL in a library name",
        "POST",
        "/api/v1/admin/libraries",
        {"name": NUL, "kind": "movies", "path": "/srv"},
        None,
        True,
    ),
    (
        "NUL in a login name",
        "POST",
        "/api/v1/auth/login",
        {"username": NUL, "password": "x"},
        None,
        False,
    ),
]


@pytest.mark.parametrize(
    ("method", "path", "body", "query", "admin"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
async def test_bad_input_is_a_translated_client_error(
    client, make_user, method, path, body, query, admin
):
    _, headers = await make_user(is_admin=admin)
    response = await client.request(
        method,
        path,
        json=body,
        params=query,
        headers={**headers, "Accept-Language": "de"},
    )
    assert response.status_code in (400, 422), response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] != "internal"
    assert response.headers["content-language"] == "de"
    # The same connection answers the next request normally.
    assert (await client.get(ME, headers=headers)).status_code == 200


async def test_request_settings_past_integer_are_refused(client, make_user):
    user, _ = await make_user()
    _, admin = await make_user(is_admin=True)
    response = await client.put(
        f"/api/v1/admin/users/{user.id}/request-settings",
        json={"quota_movie": 2**31},
        headers=admin,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "quota_movie"]


async def test_a_nul_in_a_string_says_which_field(client, make_user):
    _, headers = await make_user()
    response = await client.patch(
        ME, json={"display_name": NUL}, headers={**headers, "Accept-Language": "en"}
    )
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["loc"] == ["body", "display_name"]
    assert error["msg"] == "Contains characters that are not allowed."


async def test_dates_out_of_range_name_the_range(client, make_user):
    _, headers = await make_user()
    response = await client.post(
        f"{ME}/api-keys",
        json={"name": "k", "expires_at": "0001-01-01T00:00:00Z"},
        headers={**headers, "Accept-Language": "en"},
    )
    assert response.status_code == 422
    assert (
        response.json()["errors"][0]["msg"] == "Must be a date between 1900-01-01 and 2999-12-31."
    )
