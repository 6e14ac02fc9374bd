"""Asking, "me too", withdrawing, seeing; admins approving and denying (no metadata provider)."""

from __future__ import annotations

from sqlalchemy import func, select

from revenge.content_requests.models import ContentRequest, ContentRequestInterest
from tests.content_requests.helpers import ask
from tests.factories import make_movie

HEAT = {"media_type": "movie", "external_id": "949", "title": "Heat", "year": 1995}


async def count_requests(session) -> int:
    return (await session.execute(select(func.count()).select_from(ContentRequest))).scalar_one()


async def test_without_provider_the_clients_description_is_taken(client, make_user):
    user, headers = await make_user()
    response = await ask(client, headers, **HEAT, overview="A heist.", poster_path="/heat.jpg")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "pending"
    assert (body["title"], body["year"], body["overview"], body["poster_path"]) == (
        "Heat",
        1995,
        "A heist.",
        "/heat.jpg",
    )
    assert body["user_id"] == str(user.id)
    assert body["external_source"] == "tmdb"
    assert body["interested_count"] == 0
    mine = (await client.get("/api/v1/requests", headers=headers)).json()
    assert [item["id"] for item in mine["items"]] == [body["id"]]


async def test_without_provider_a_title_is_required(client, make_user, session):
    _, headers = await make_user(locale="de")
    response = await ask(client, headers, media_type="movie", external_id="949")
    assert response.status_code == 422
    assert response.json()["code"] == "content_request.title_required"
    assert response.json()["title"] == "Titel erforderlich"
    assert await count_requests(session) == 0


async def test_malformed_ids_and_seasons_outside_tv_are_refused(client, make_user):
    _, headers = await make_user()
    bad_movie = await ask(client, headers, media_type="movie", external_id="tt0113277", title="x")
    assert bad_movie.json()["code"] == "content_request.invalid_external_id"
    bad_mbid = await ask(client, headers, media_type="music", external_id="not-an-mbid", title="x")
    assert bad_mbid.json()["code"] == "content_request.invalid_external_id"
    seasons = await ask(client, headers, **HEAT, seasons=[1])
    assert (seasons.status_code, seasons.json()["code"]) == (
        422,
        "content_request.seasons_only_for_tv",
    )


async def test_something_in_the_library_cannot_be_requested(client, make_user, session):
    await make_movie("Heat", tmdb_id=949)
    _, headers = await make_user(locale="fr")
    response = await ask(client, headers, **HEAT)
    assert response.status_code == 409
    problem = response.json()
    assert problem["code"] == "content_request.in_library"
    assert problem["title"] == "Déjà dans la bibliothèque"
    assert "Heat" in problem["detail"]
    assert await count_requests(session) == 0


async def test_a_missing_copy_in_the_library_does_not_block_a_request(client, make_user):
    from revenge.core.clock import utcnow

    await make_movie("Heat", tmdb_id=949, missing_at=utcnow())
    _, headers = await make_user()
    assert (await ask(client, headers, **HEAT)).status_code == 201


async def test_duplicate_request_adds_the_caller_as_interested(client, make_user, session):
    _, alice = await make_user()
    bob_user, bob = await make_user()
    first = await ask(client, alice, **HEAT)
    again = await ask(client, bob, **{**HEAT, "title": "Heat (1995)"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["title"] == "Heat"  # the first description stays
    assert again.json()["me_too"] is True
    assert again.json()["interested_count"] == 1
    # Asking a third time (or the requester asking again) changes nothing.
    assert (await ask(client, bob, **HEAT)).status_code == 200
    assert (await ask(client, alice, **HEAT)).status_code == 200
    assert await count_requests(session) == 1
    interests = (await session.execute(select(ContentRequestInterest.user_id))).scalars().all()
    assert interests == [bob_user.id]
    bobs = (await client.get("/api/v1/requests", headers=bob)).json()
    assert bobs["total"] == 1 and bobs["items"][0]["me_too"] is True


async def test_a_denied_request_can_be_asked_for_again(client, make_user, session):
    _, alice = await make_user()
    _, admin = await make_user(is_admin=True)
    first = (await ask(client, alice, **HEAT)).json()
    await client.post(f"/api/v1/admin/requests/{first['id']}/deny", headers=admin)
    second = await ask(client, alice, **HEAT)
    assert second.status_code == 201
    assert second.json()["id"] != first["id"]
    assert await count_requests(session) == 2


async def test_other_users_cannot_see_or_delete_a_request(client, make_user, session):
    _, alice = await make_user()
    _, mallory = await make_user()
    request_id = (await ask(client, alice, **HEAT)).json()["id"]
    seen = await client.get(f"/api/v1/requests/{request_id}", headers=mallory)
    assert (seen.status_code, seen.json()["code"]) == (404, "content_request.not_found")
    deleted = await client.delete(f"/api/v1/requests/{request_id}", headers=mallory)
    assert deleted.status_code == 404
    assert (await client.get("/api/v1/requests", headers=mallory)).json()["total"] == 0
    assert await count_requests(session) == 1
    assert (await client.get(f"/api/v1/requests/{request_id}", headers=alice)).status_code == 200


async def test_interested_users_and_admins_can_see_a_request(client, make_user):
    _, alice = await make_user()
    _, bob = await make_user()
    _, admin = await make_user(is_admin=True)
    request_id = (await ask(client, alice, **HEAT)).json()["id"]
    await ask(client, bob, **HEAT)
    for headers in (bob, admin):
        response = await client.get(f"/api/v1/requests/{request_id}", headers=headers)
        assert response.status_code == 200
        assert response.json()["interested_count"] == 1


async def test_owner_deletes_only_a_pending_request(client, make_user, session):
    _, alice = await make_user()
    _, admin = await make_user(is_admin=True)
    pending = (await ask(client, alice, **HEAT)).json()["id"]
    other = (
        await ask(client, alice, media_type="movie", external_id="603", title="The Matrix")
    ).json()["id"]
    assert (await client.delete(f"/api/v1/requests/{pending}", headers=alice)).status_code == 204
    assert (await client.get(f"/api/v1/requests/{pending}", headers=alice)).status_code == 404
    await client.post(f"/api/v1/admin/requests/{other}/approve", headers=admin)
    refused = await client.delete(f"/api/v1/requests/{other}", headers=alice)
    assert (refused.status_code, refused.json()["code"]) == (409, "content_request.not_pending")
    assert "already approved" in refused.json()["detail"]
    assert await count_requests(session) == 1


async def test_withdrawing_hands_the_request_to_the_next_interested_user(client, make_user):
    _, alice = await make_user()
    bob_user, bob = await make_user()
    request_id = (await ask(client, alice, **HEAT)).json()["id"]
    await ask(client, bob, **HEAT)
    assert (await client.delete(f"/api/v1/requests/{request_id}", headers=alice)).status_code == 204
    body = (await client.get(f"/api/v1/requests/{request_id}", headers=bob)).json()
    assert body["user_id"] == str(bob_user.id)
    assert (body["me_too"], body["interested_count"]) == (False, 0)
    assert (await client.get(f"/api/v1/requests/{request_id}", headers=alice)).status_code == 404


async def test_an_interested_user_can_withdraw_their_me_too(client, make_user):
    _, alice = await make_user()
    _, bob = await make_user()
    request_id = (await ask(client, alice, **HEAT)).json()["id"]
    await ask(client, bob, **HEAT)
    assert (await client.delete(f"/api/v1/requests/{request_id}", headers=bob)).status_code == 204
    body = (await client.get(f"/api/v1/requests/{request_id}", headers=alice)).json()
    assert body["interested_count"] == 0
    assert (await client.get(f"/api/v1/requests/{request_id}", headers=bob)).status_code == 404


async def test_approve_and_deny_refuse_non_admins(client, make_user, session):
    _, alice = await make_user(locale="es")
    request_id = (await ask(client, alice, **HEAT)).json()["id"]
    for action in ("approve", "deny"):
        response = await client.post(f"/api/v1/admin/requests/{request_id}/{action}", headers=alice)
        assert response.status_code == 403
        assert response.json()["code"] == "auth.admin_required"
    assert (await client.get("/api/v1/admin/requests", headers=alice)).status_code == 403
    body = (await client.get(f"/api/v1/requests/{request_id}", headers=alice)).json()
    assert body["status"] == "pending"


async def test_deny_with_a_note(client, make_user):
    _, alice = await make_user()
    admin_user, admin = await make_user(is_admin=True)
    request_id = (await ask(client, alice, **HEAT)).json()["id"]
    denied = await client.post(
        f"/api/v1/admin/requests/{request_id}/deny",
        json={"admin_note": "Not available in our region."},
        headers=admin,
    )
    assert denied.status_code == 200, denied.text
    body = (await client.get(f"/api/v1/requests/{request_id}", headers=alice)).json()
    assert body["status"] == "denied"
    assert body["admin_note"] == "Not available in our region."
    assert body["processed_by"] == str(admin_user.id)
    assert body["processed_at"] is not None
    again = await client.post(f"/api/v1/admin/requests/{request_id}/approve", headers=admin)
    assert (again.status_code, again.json()["code"]) == (409, "content_request.not_pending")


async def test_admin_list_filters_by_status_type_and_user(client, make_user):
    alice_user, alice = await make_user()
    _, bob = await make_user()
    _, admin = await make_user(is_admin=True)
    heat = (await ask(client, alice, **HEAT)).json()["id"]
    await ask(client, alice, media_type="tv", external_id="70523", title="Dark")
    await ask(client, bob, media_type="movie", external_id="603", title="The Matrix")
    await client.post(f"/api/v1/admin/requests/{heat}/approve", headers=admin)

    async def titles(**params) -> list[str]:
        response = await client.get("/api/v1/admin/requests", params=params, headers=admin)
        assert response.status_code == 200
        return sorted(item["title"] for item in response.json()["items"])

    assert await titles() == ["Dark", "Heat", "The Matrix"]
    assert await titles(status="pending") == ["Dark", "The Matrix"]
    assert await titles(media_type="movie") == ["Heat", "The Matrix"]
    assert await titles(user_id=str(alice_user.id)) == ["Dark", "Heat"]
    assert await titles(user_id=str(alice_user.id), status="approved") == ["Heat"]
    page = (await client.get("/api/v1/admin/requests?limit=2", headers=admin)).json()
    assert (page["total"], len(page["items"])) == (3, 2)
    mine = (await client.get("/api/v1/requests?status=approved", headers=alice)).json()
    assert [item["title"] for item in mine["items"]] == ["Heat"]


async def test_tv_me_too_widens_the_seasons(client, make_user):
    _, alice = await make_user()
    _, bob = await make_user()
    _, carol = await make_user()
    dark = {"media_type": "tv", "external_id": "70523", "title": "Dark"}
    first = (await ask(client, alice, **dark, seasons=[1])).json()
    assert first["seasons"] == [1]
    assert (await ask(client, bob, **dark, seasons=[3, 2])).json()["seasons"] == [1, 2, 3]
    assert (await ask(client, carol, **dark)).json()["seasons"] is None  # the whole series
