"""Quotas per user and media type over a rolling window; overrides and auto-approve."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import update

from revenge.content_requests.models import ContentRequest
from revenge.core.config import Settings
from tests.content_requests.helpers import ask


@pytest.fixture
def two_movies_a_week(test_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(test_settings.requests, "quota_movie", 2)
    monkeypatch.setattr(test_settings.requests, "quota_days", 7)


def movie(n: int) -> dict:
    return {"media_type": "movie", "external_id": str(1000 + n), "title": f"Film {n}"}


async def test_quota_exceeded_says_when_it_frees_up(client, make_user, session, two_movies_a_week):
    _, headers = await make_user(locale="de")
    assert (await ask(client, headers, **movie(1))).status_code == 201
    assert (await ask(client, headers, **movie(2))).status_code == 201
    # The first request was made three days ago: it stops counting in four days.
    three_days_ago = datetime.now().astimezone() - timedelta(days=3)
    await session.execute(
        update(ContentRequest)
        .where(ContentRequest.external_id == "1001")
        .values(requested_at=three_days_ago)
    )
    refused = await ask(client, headers, **movie(3))
    assert refused.status_code == 429
    problem = refused.json()
    assert problem["code"] == "content_request.quota_exceeded"
    assert problem["title"] == "Anfragelimit erreicht"
    assert "2 Film-Anfragen alle 7 Tage" in problem["detail"]
    frees_up_at = datetime.fromisoformat(problem["frees_up_at"])
    assert abs((frees_up_at - (three_days_ago + timedelta(days=7))).total_seconds()) < 1
    retry_after = int(refused.headers["Retry-After"])
    assert 4 * 86400 - 60 < retry_after <= 4 * 86400 + 2
    # Other media types have their own quota; "me too" on an open request costs nothing.
    assert (
        await ask(client, headers, media_type="tv", external_id="1", title="X")
    ).status_code == 201
    _, other = await make_user()
    await ask(client, other, **movie(9))
    assert (await ask(client, headers, **movie(9))).status_code == 200
    usage = (await client.get("/api/v1/requests/quota", headers=headers)).json()
    movies = next(q for q in usage["quotas"] if q["media_type"] == "movie")
    assert (movies["limit"], movies["used"], movies["remaining"]) == (2, 2, 0)


async def test_requests_older_than_the_window_do_not_count(
    client, make_user, session, two_movies_a_week
):
    _, headers = await make_user()
    await ask(client, headers, **movie(1))
    await ask(client, headers, **movie(2))
    await session.execute(
        update(ContentRequest).values(requested_at=datetime.now().astimezone() - timedelta(days=8))
    )
    assert (await ask(client, headers, **movie(3))).status_code == 201


async def test_per_user_override_and_auto_approve(client, make_user, two_movies_a_week):
    user, headers = await make_user()
    _, admin = await make_user(is_admin=True)
    url = f"/api/v1/admin/users/{user.id}/request-settings"
    assert (await client.put(url, json={"quota_movie": 5}, headers=headers)).status_code == 403
    before = (await client.get(url, headers=admin)).json()
    assert (before["quota_movie"], before["effective_quota_movie"]) == (None, 2)
    saved = await client.put(url, json={"quota_movie": 3, "auto_approve": True}, headers=admin)
    assert saved.status_code == 200, saved.text
    assert (saved.json()["effective_quota_movie"], saved.json()["auto_approve"]) == (3, True)
    statuses = [(await ask(client, headers, **movie(n))).json().get("status") for n in (1, 2, 3)]
    assert statuses == ["approved", "approved", "approved"]
    assert (await ask(client, headers, **movie(4))).status_code == 429
    # 0 means no limit for this user.
    await client.put(url, json={"quota_movie": 0}, headers=admin)
    created = await ask(client, headers, **movie(4))
    assert (created.status_code, created.json()["status"]) == (201, "pending")
    missing = await client.get(
        "/api/v1/admin/users/00000000-0000-0000-0000-000000000000/request-settings",
        headers=admin,
    )
    assert (missing.status_code, missing.json()["code"]) == (404, "content_request.user_not_found")


async def test_admins_have_no_quota_and_are_auto_approved(client, make_user, two_movies_a_week):
    admin_user, admin = await make_user(is_admin=True)
    for n in range(4):
        response = await ask(client, admin, **movie(n))
        assert response.status_code == 201
        assert response.json()["status"] == "approved"
        assert response.json()["processed_by"] == str(admin_user.id)
