"""Admins are told of a new pending request, in their language, through their preferences;
the admin-only types are not offered to users."""

from __future__ import annotations

from tests.downloaders.helpers import ask_movie, notifications_of


async def test_a_new_pending_request_tells_every_admin_in_their_language(client, make_user):
    english, _ = await make_user(is_admin=True, locale="en")
    german, _ = await make_user(is_admin=True, locale="de")
    other, _ = await make_user()
    alice_user, alice = await make_user(username="alice")
    request = await ask_movie(client, alice)
    assert request["status"] == "pending"

    [en] = await notifications_of(english.id, "request_pending")
    assert (en.title, en.message) == (
        "New request: Heat",
        "alice requested Heat. It waits for your review.",
    )
    assert en.data["request_id"] == request["id"]
    [de] = await notifications_of(german.id, "request_pending")
    assert de.title == "Neue Anfrage: Heat"
    assert await notifications_of(other.id, "request_pending") == []
    assert await notifications_of(alice_user.id, "request_pending") == []


async def test_an_auto_approved_request_tells_no_admin(client, make_user):
    english, _ = await make_user(is_admin=True, locale="en")
    _, other_admin = await make_user(is_admin=True)
    await ask_movie(client, other_admin)  # an admin's request is approved at once
    assert await notifications_of(english.id, "request_pending") == []


async def test_admins_can_switch_it_off_and_users_do_not_see_it(client, make_user):
    english, admin = await make_user(is_admin=True, locale="en")
    _, alice = await make_user()
    kinds = [
        p["notification_type"]
        for p in (
            await client.get("/api/v1/users/me/notification-preferences", headers=admin)
        ).json()
    ]
    assert {"request_pending", "request_handoff_failed"} <= set(kinds)
    user_kinds = [
        p["notification_type"]
        for p in (
            await client.get("/api/v1/users/me/notification-preferences", headers=alice)
        ).json()
    ]
    assert "request_pending" not in user_kinds

    off = await client.patch(
        "/api/v1/users/me/notification-preferences",
        json={
            "preferences": [
                {
                    "notification_type": "request_pending",
                    "in_app": False,
                    "email": False,
                    "webhook": False,
                }
            ]
        },
        headers=admin,
    )
    assert off.status_code == 200, off.text
    await ask_movie(client, alice)
    assert await notifications_of(english.id, "request_pending") == []
