""" "Me too" users see the request, its status and how many want it, never who asked or who
decided: other users' ids are shown only to the requester and to admins."""

from __future__ import annotations

from tests.content_requests.helpers import ask

HEAT = {"media_type": "movie", "external_id": "949", "title": "Heat", "year": 1995}
DARK = {"media_type": "tv", "external_id": "70523", "title": "Dark", "seasons": [1]}


async def _every_view(client, headers, request_id):
    """Every content-request response a non-admin can get for this request."""
    views = [
        await client.get(f"/api/v1/requests/{request_id}", headers=headers),
        await client.get("/api/v1/requests", headers=headers),
        await client.get("/api/v1/requests?status=pending", headers=headers),
        await client.get("/api/v1/requests?status=approved", headers=headers),
    ]
    for view in views:
        assert view.status_code == 200, view.text
    return views


async def test_me_too_user_never_sees_the_requesters_id(client, make_user):
    alice_user, alice = await make_user()
    bob_user, bob = await make_user()
    created = await ask(client, alice, **HEAT)
    assert created.status_code == 201
    request_id = created.json()["id"]

    joined = await ask(client, bob, **HEAT)  # deduplicated into Alice's request
    assert joined.status_code == 200
    body = joined.json()
    assert body["id"] == request_id
    assert (body["me_too"], body["interested_count"]) == (True, 1)
    assert body["user_id"] is None and body["processed_by"] is None
    assert str(alice_user.id) not in joined.text

    again = await ask(client, bob, **HEAT)  # saying "me too" twice
    assert str(alice_user.id) not in again.text
    for view in await _every_view(client, bob, request_id):
        assert str(alice_user.id) not in view.text
    listed = (await client.get("/api/v1/requests", headers=bob)).json()["items"]
    assert [(i["id"], i["user_id"], i["me_too"]) for i in listed] == [(request_id, None, True)]

    # The requester still sees their own id, but not the "me too" user's.
    mine = (await client.get(f"/api/v1/requests/{request_id}", headers=alice)).json()
    assert (mine["user_id"], mine["me_too"], mine["interested_count"]) == (
        str(alice_user.id),
        False,
        1,
    )
    for view in await _every_view(client, alice, request_id):
        assert str(bob_user.id) not in view.text


async def test_admins_see_who_asked(client, make_user):
    alice_user, alice = await make_user()
    _, bob = await make_user()
    _, admin = await make_user(is_admin=True)
    request_id = (await ask(client, alice, **HEAT)).json()["id"]
    await ask(client, bob, **HEAT)
    one = (await client.get(f"/api/v1/requests/{request_id}", headers=admin)).json()
    assert one["user_id"] == str(alice_user.id)
    listed = (await client.get("/api/v1/admin/requests", headers=admin)).json()["items"]
    assert [i["user_id"] for i in listed if i["id"] == request_id] == [str(alice_user.id)]


async def test_who_decided_is_hidden_from_me_too_users(client, make_user):
    """An admin's approval names the admin; an auto-approved request names its requester."""
    alice_user, alice = await make_user()
    _, bob = await make_user()
    admin_user, admin = await make_user(is_admin=True)

    heat = (await ask(client, alice, **HEAT)).json()["id"]
    await ask(client, bob, **HEAT)
    approved = await client.post(f"/api/v1/admin/requests/{heat}/approve", headers=admin)
    assert approved.json()["processed_by"] == str(admin_user.id)  # the admin's own answer
    seen = await client.get(f"/api/v1/requests/{heat}", headers=bob)
    assert seen.json()["status"] == "approved" and seen.json()["processed_by"] is None
    assert str(admin_user.id) not in seen.text and str(alice_user.id) not in seen.text

    # Alice may skip the queue: her request is processed by herself.
    settings = await client.put(
        f"/api/v1/admin/users/{alice_user.id}/request-settings",
        headers=admin,
        json={"auto_approve": True},
    )
    assert settings.status_code == 200, settings.text
    dark = await ask(client, alice, **DARK)
    assert dark.json()["status"] == "approved"
    assert dark.json()["processed_by"] == str(alice_user.id)
    joined = await ask(client, bob, **{**DARK, "seasons": [2]})
    assert joined.status_code == 200 and joined.json()["me_too"] is True
    assert str(alice_user.id) not in joined.text
    for view in await _every_view(client, bob, dark.json()["id"]):
        assert str(alice_user.id) not in view.text


async def test_the_user_who_takes_a_request_over_sees_it_as_theirs(client, make_user):
    alice_user, alice = await make_user()
    bob_user, bob = await make_user()
    _, carol = await make_user()
    request_id = (await ask(client, alice, **HEAT)).json()["id"]
    await ask(client, bob, **HEAT)
    await ask(client, carol, **HEAT)
    assert (await client.delete(f"/api/v1/requests/{request_id}", headers=alice)).status_code == 204
    bobs = (await client.get(f"/api/v1/requests/{request_id}", headers=bob)).json()
    assert (bobs["user_id"], bobs["me_too"]) == (str(bob_user.id), False)
    carols = await client.get(f"/api/v1/requests/{request_id}", headers=carol)
    assert carols.json()["user_id"] is None and carols.json()["me_too"] is True
    assert str(bob_user.id) not in carols.text and str(alice_user.id) not in carols.text
