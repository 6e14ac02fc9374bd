"""What a request shows: the requester's name (to admins and the requester only), the TMDB
poster, the library item's artwork once available, and the notice's thumbnail."""

from __future__ import annotations

from sqlalchemy import select, update

from revenge.core import events
from revenge.core.db import session_scope
from revenge.notifications.models import Notification
from revenge.users.models import User
from tests.content_requests.helpers import ask, emit, with_poster
from tests.factories import make_movie

CHECK = "content_requests.check_availability"


async def test_admins_see_the_requesters_display_name_and_others_do_not(client, make_user, tmdb):
    tmdb.add_movie(949, "Heat", "1995-12-15")
    alice, alice_h = await make_user("alice")
    async with session_scope() as s:
        await s.execute(update(User).where(User.id == alice.id).values(display_name="Alice A."))
    _, bruno_h = await make_user("bruno")
    _, admin = await make_user(is_admin=True)
    request_id = (await ask(client, alice_h, media_type="movie", external_id="949")).json()["id"]
    await ask(client, bruno_h, media_type="movie", external_id="949")

    queue = (await client.get("/api/v1/admin/requests", headers=admin)).json()["items"]
    assert [(r["id"], r["requester"], r["interested_count"]) for r in queue] == [
        (request_id, {"id": str(alice.id), "name": "Alice A."}, 1)
    ]
    assert queue[0]["poster_url"] == "https://image.tmdb.org/t/p/w342/poster949.jpg"
    own = (await client.get(f"/api/v1/requests/{request_id}", headers=alice_h)).json()
    assert own["requester"]["name"] == "Alice A."
    theirs = (await client.get(f"/api/v1/requests/{request_id}", headers=bruno_h)).json()
    assert theirs["requester"] is None


async def test_a_posters_path_only_becomes_a_tmdb_url_when_it_is_a_plain_file_name(
    client, make_user
):
    _, headers = await make_user()
    cases = {
        "/abc_DEF-1.jpg": "https://image.tmdb.org/t/p/w342/abc_DEF-1.jpg",
        "https://tracker.example/p.jpg": None,
        "/../../x.jpg": None,
        "/a.jpg?x=1": None,
    }
    for n, (path, expected) in enumerate(cases.items(), start=1):
        body = (
            await ask(
                client, headers, media_type="movie", external_id=str(n), title="T", poster_path=path
            )
        ).json()
        assert body["poster_url"] == expected, path


async def test_an_available_request_shows_its_artwork_and_its_notice_a_thumbnail(
    client, make_user, jobs, session, tmdb
):
    tmdb.add_movie(949, "Heat", "1995-12-15")
    alice, alice_h = await make_user()
    _, admin = await make_user(is_admin=True)
    request_id = (await ask(client, alice_h, media_type="movie", external_id="949")).json()["id"]
    await client.post(f"/api/v1/admin/requests/{request_id}/approve", headers=admin)
    movie = await make_movie("Heat", tmdb_id=949)
    await with_poster("movie", movie.id)
    await emit(events.LibraryItemAdded, "movie", movie.id, movie.library_id)
    await jobs.run(CHECK)

    body = (await client.get(f"/api/v1/requests/{request_id}", headers=alice_h)).json()
    assert body["status"] == "available"
    assert body["artwork"]["poster"].startswith(f"/api/v1/artwork/movie/{movie.id}/320?sig=")

    notice = (
        await session.execute(
            select(Notification).where(
                Notification.user_id == alice.id, Notification.type == "request_available"
            )
        )
    ).scalar_one()
    assert (notice.data["media_type"], notice.data["media_id"]) == ("movie", str(movie.id))
    assert notice.data["request_media_type"] == "movie"
    listed = (await client.get("/api/v1/users/me/notifications", headers=alice_h)).json()
    available = next(n for n in listed["items"] if n["type"] == "request_available")
    assert available["thumbnail"] is not None
    assert available["title"] == "Now available: Heat"


async def test_a_notice_before_availability_names_no_library_item(client, make_user, session):
    alice, alice_h = await make_user()
    _, admin = await make_user(is_admin=True)
    request_id = (
        await ask(client, alice_h, media_type="tv", external_id="1", title="Dark")
    ).json()["id"]
    await client.post(f"/api/v1/admin/requests/{request_id}/approve", headers=admin)
    notice = (
        await session.execute(select(Notification).where(Notification.user_id == alice.id))
    ).scalar_one()
    assert notice.type == "request_approved"
    assert notice.data["media_type"] == "tv"
    assert "media_id" not in notice.data
