"""What the public page tells about the sharer and the item, and what the owner's list tells
about each link: when it was last opened, when a dead link ended, its artwork."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import text

from revenge.core import artwork_urls


def _at(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


async def _listed(client, headers, grant_id: str) -> dict:
    items = (await client.get("/api/v1/users/me/grants", headers=headers)).json()["items"]
    return next(item for item in items if item["id"] == grant_id)


async def test_page_names_the_sharer_by_display_name_only(client, make_user, media, share):
    movie, _ = await media.movie()
    _, named_headers = await make_user("anna_login")
    changed = await client.patch(
        "/api/v1/users/me", json={"display_name": "Anna Berg"}, headers=named_headers
    )
    assert changed.status_code == 200, changed.text
    locked = await share(named_headers, "movie", movie.id, password="secret-1")
    page = (await client.get(f"/api/v1/share/{locked['token']}")).json()
    # Before the password, the visitor learns who to ask for it, and nothing of the item.
    assert page["unlocked"] is False and page["shared_by"] == "Anna Berg"
    assert page["item"] is None

    _, plain_headers = await make_user("bert_login")
    open_link = await share(plain_headers, "movie", movie.id)
    response = await client.get(f"/api/v1/share/{open_link['token']}")
    assert response.json()["shared_by"] is None
    # Without a display name the page says "someone": the login name stays private.
    assert "bert_login" not in response.text


async def test_page_carries_a_movies_overview(client, make_user, media, share, session):
    movie, _ = await media.movie("Heat")
    await session.execute(
        text("UPDATE movies SET overview = 'A thief and a detective.' WHERE id = :id"),
        {"id": movie.id},
    )
    _, headers = await make_user()
    token = (await share(headers, "movie", movie.id))["token"]
    item = (await client.get(f"/api/v1/share/{token}")).json()["item"]
    assert item["overview"] == "A thief and a detective."
    assert item["year"] == 1995


async def test_last_opened_comes_from_successful_openings_only(client, make_user, media, share):
    movie, _ = await media.movie()
    _, headers = await make_user()
    created = await share(headers, "movie", movie.id, password="right-pass")
    assert created["last_opened_at"] is None
    assert (await _listed(client, headers, created["id"]))["last_opened_at"] is None

    wrong = await client.post(
        f"/api/v1/share/{created['token']}/unlock", json={"password": "wrong-pass"}
    )
    assert wrong.status_code == 403
    # A refused attempt is in the log but is no opening.
    assert (await _listed(client, headers, created["id"]))["last_opened_at"] is None

    right = await client.post(
        f"/api/v1/share/{created['token']}/unlock", json={"password": "right-pass"}
    )
    assert right.status_code == 200
    listed = await _listed(client, headers, created["id"])
    opened = _at(listed["last_opened_at"])
    assert opened is not None and opened >= _at(listed["created_at"])


async def test_last_opened_is_the_latest_opening_of_each_link(
    client, make_user, media, share, session
):
    movie, _ = await media.movie()
    _, headers = await make_user()
    first = await share(headers, "movie", movie.id)
    second = await share(headers, "movie", movie.id)
    for grant, minutes in ((first, [30, 5]), (second, [90])):
        for ago in minutes:
            await session.execute(
                text(
                    "INSERT INTO shared.media_grant_access_log (id, grant_id, at, ip_hash, outcome)"
                    " VALUES (:id, :grant, now() - make_interval(mins => :ago), 'x', 'opened')"
                ),
                {"id": uuid.uuid4(), "grant": grant["id"], "ago": ago},
            )
    # A later refusal does not move it.
    await session.execute(
        text(
            "INSERT INTO shared.media_grant_access_log (id, grant_id, at, ip_hash, outcome)"
            " VALUES (:id, :grant, now(), 'x', 'expired')"
        ),
        {"id": uuid.uuid4(), "grant": first["id"]},
    )
    a = _at((await _listed(client, headers, first["id"]))["last_opened_at"])
    b = _at((await _listed(client, headers, second["id"]))["last_opened_at"])
    assert a is not None and b is not None
    assert timedelta(minutes=84) < a - b < timedelta(minutes=86)


async def test_dead_links_say_when_they_ended(client, make_user, media, share, session):
    movie, _ = await media.movie()
    _, headers = await make_user()

    active = await share(headers, "movie", movie.id)
    assert active["state"] == "active" and active["ended_at"] is None

    # Revoked long before its expiry: ended when revoked, whatever the expiry says.
    revoked = await share(headers, "movie", movie.id)
    assert (
        await client.delete(f"/api/v1/users/me/grants/{revoked['id']}", headers=headers)
    ).status_code == 204
    row = await _listed(client, headers, revoked["id"])
    assert row["state"] == "revoked"
    assert _at(row["expires_at"]) > _at(row["revoked_at"])  # the expiry still lies ahead
    assert row["ended_at"] == row["revoked_at"]

    # Expired, and revoked afterwards: it ended when it expired.
    expired = await share(headers, "movie", movie.id)
    await session.execute(
        text(
            "UPDATE shared.media_grants SET expires_at = now() - interval '2 days',"
            " revoked_at = now() - interval '1 day' WHERE id = :id"
        ),
        {"id": expired["id"]},
    )
    row = await _listed(client, headers, expired["id"])
    assert row["state"] == "revoked"
    assert row["ended_at"] == row["expires_at"]

    # Used up: it ended with the view that used it.
    used = await share(headers, "movie", movie.id, max_views=1)
    assert (await client.get(f"/api/v1/share/{used['token']}")).status_code == 200
    row = await _listed(client, headers, used["id"])
    assert row["state"] == "used_up" and row["views_left"] == 0
    assert row["ended_at"] is not None and row["ended_at"] == row["last_viewed_at"]
    assert _at(row["expires_at"]) > _at(row["ended_at"])


async def test_list_and_create_carry_signed_artwork(client, make_user, media, share, test_settings):
    with_poster, _ = await media.movie("Heat")
    await media.image("movie", with_poster.id, "poster")
    without, _ = await media.movie("Ronin")
    album, tracks = await media.album("Mezzanine", tracks=1)
    await media.image("album", album.id, "cover")
    _, headers = await make_user()

    created = await share(headers, "movie", with_poster.id)
    expected = artwork_urls.urls_for(test_settings.secret, "movie", with_poster.id).model_dump()
    assert created["artwork"] == expected
    bare = await share(headers, "movie", without.id)
    assert bare["artwork"] is None
    # A track borrows its album's cover; the URL names the track (the route finds the cover).
    track = await share(headers, "track", tracks[0].id)
    assert track["artwork"] == (
        artwork_urls.urls_for(test_settings.secret, "track", tracks[0].id).model_dump()
    )

    listed = {
        item["id"]: item
        for item in (await client.get("/api/v1/users/me/grants", headers=headers)).json()["items"]
    }
    assert listed[created["id"]]["artwork"] == expected
    assert listed[bare["id"]]["artwork"] is None
    thumb = listed[track["id"]]["artwork"]["thumb"]
    sig = thumb.split("sig=")[1]
    assert artwork_urls.is_valid(
        test_settings.secret, "track", tracks[0].id, artwork_urls.THUMBNAIL, sig
    )
