"""Requests by title and year (no provider id): with or without a metadata provider, "me too"
by the same title, seasons, and what admins can (and cannot) do with them."""

from __future__ import annotations

from sqlalchemy import func, select

from revenge.content_requests.models import ContentRequest
from tests.content_requests.helpers import ask


async def count_requests(session) -> int:
    return (await session.execute(select(func.count()).select_from(ContentRequest))).scalar_one()


def handoffs(pending: list[dict], request_id: str) -> list[dict]:
    """Jobs the downloaders feature got for this request (its content_requests.approved)."""
    return [job for job in pending if job["args"].get("request_id") == request_id]


async def test_a_title_and_year_make_a_request_without_any_provider(client, make_user):
    user, headers = await make_user()
    response = await ask(
        client, headers, media_type="movie", title="  Heat  ", year=1995, overview=" A heist. "
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["title"], body["year"], body["overview"]) == ("Heat", 1995, "A heist.")
    assert body["external_source"] == "manual"
    assert body["external_id"].startswith("manual:")
    assert body["status"] == "pending"
    # The requester sees why no downloader will be told about it.
    assert body["status_reason"] == "manual"
    assert "by hand" in body["status_reason_text"]
    assert body["requester"] == {"id": str(user.id), "name": user.username}
    assert body["poster_url"] is None


async def test_the_same_title_by_another_user_is_a_me_too_and_another_year_is_not(
    client, make_user, session
):
    _, alice = await make_user()
    _, bruno = await make_user()
    first = await ask(client, alice, media_type="movie", title="Léon: The Professional", year=1994)
    assert first.status_code == 201
    # Case, spacing and punctuation do not make it another film.
    again = await ask(client, bruno, media_type="movie", title="léon the  professional", year=1994)
    assert again.status_code == 200, again.text
    assert (again.json()["id"], again.json()["me_too"]) == (first.json()["id"], True)
    assert again.json()["interested_count"] == 1
    # The "me too" user does not learn who asked first.
    assert (again.json()["user_id"], again.json()["requester"]) == (None, None)
    other_year = await ask(client, bruno, media_type="movie", title="Léon", year=1990)
    assert other_year.status_code == 201
    # The same title as a series is another request.
    as_tv = await ask(client, bruno, media_type="tv", title="Léon: The Professional", year=1994)
    assert as_tv.status_code == 201
    assert await count_requests(session) == 3


async def test_a_title_is_needed_and_checked(client, make_user, session):
    _, headers = await make_user(locale="de")
    missing = await ask(client, headers, media_type="movie", year=1995)
    assert (missing.status_code, missing.json()["code"]) == (422, "content_request.title_required")
    assert missing.json()["title"] == "Titel erforderlich"
    blank = await ask(client, headers, media_type="movie", title=" \t ", year=1995)
    assert (blank.status_code, blank.json()["code"]) == (422, "content_request.title_required")
    too_long = await ask(client, headers, media_type="movie", title="x" * 501)
    assert too_long.status_code == 422
    bad_year = await ask(client, headers, media_type="movie", title="Heat", year=12)
    assert bad_year.status_code == 422
    empty_id = await ask(client, headers, media_type="movie", external_id="", title="Heat")
    assert empty_id.status_code == 422
    assert await count_requests(session) == 0


async def test_seasons_of_a_series_by_title_widen_with_each_me_too(client, make_user):
    _, alice = await make_user()
    _, bruno = await make_user()
    first = await ask(
        client, alice, media_type="tv", title="Severance", year=2022, seasons=[2, 1, 2]
    )
    assert first.status_code == 201
    assert first.json()["seasons"] == [1, 2]
    wider = await ask(client, bruno, media_type="tv", title="Severance", year=2022, seasons=[3])
    assert wider.json()["seasons"] == [1, 2, 3]
    negative = await ask(client, bruno, media_type="tv", title="Dark", seasons=[-1])
    assert negative.json()["code"] == "content_request.invalid_season"
    music = await ask(client, bruno, media_type="music", title="Mezzanine", seasons=[1])
    assert music.json()["code"] == "content_request.seasons_only_for_tv"


async def test_with_tmdb_set_up_a_title_still_works_and_asks_tmdb_nothing(client, make_user, tmdb):
    _, headers = await make_user()
    response = await ask(client, headers, media_type="movie", title="Obscure Short", year=1961)
    assert response.status_code == 201, response.text
    assert response.json()["external_source"] == "manual"
    assert tmdb.calls == []


async def test_quota_counts_requests_by_title(client, make_user, test_settings, monkeypatch):
    monkeypatch.setattr(test_settings.requests, "quota_movie", 1)
    _, headers = await make_user()
    assert (await ask(client, headers, media_type="movie", title="One")).status_code == 201
    second = await ask(client, headers, media_type="movie", title="Two")
    assert (second.status_code, second.json()["code"]) == (429, "content_request.quota_exceeded")


async def test_an_approved_request_by_title_goes_to_no_downloader(client, make_user, jobs):
    _, user = await make_user()
    _, admin = await make_user(is_admin=True)
    request_id = (await ask(client, user, media_type="movie", title="Heat", year=1995)).json()["id"]
    approved = await client.post(f"/api/v1/admin/requests/{request_id}/approve", headers=admin)
    assert approved.status_code == 200, approved.text
    assert (approved.json()["status"], approved.json()["status_reason"]) == ("approved", "manual")
    assert handoffs(await jobs.pending(), request_id) == []
    again = await client.post(f"/api/v1/admin/requests/{request_id}/send", headers=admin)
    assert (again.status_code, again.json()["code"]) == (409, "content_request.manual_not_sendable")
    # An admin's own request by title is approved at once, and not sent either.
    own = (await ask(client, admin, media_type="music", title="Mezzanine", year=1998)).json()
    assert (own["status"], own["external_source"]) == ("approved", "manual")
    assert handoffs(await jobs.pending(), own["id"]) == []


async def test_a_request_with_an_id_is_still_sent_to_the_downloaders(client, make_user, jobs):
    """The counterpart of the test above: the check for hand-off jobs can see them."""
    _, admin = await make_user(is_admin=True)
    own = await ask(client, admin, media_type="movie", external_id="949", title="Heat")
    assert own.json()["status"] == "approved"
    assert len(handoffs(await jobs.pending(), own.json()["id"])) == 1
