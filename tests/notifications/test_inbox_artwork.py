"""A notice about a library item carries its artwork as signed URLs, which an <img> can load
without the bearer token the thumbnail route needs."""

from __future__ import annotations

from revenge.core import artwork_urls
from revenge.core.db import session_scope
from revenge.library.models import MediaImage
from tests.factories import make_movie
from tests.notifications.conftest import send_notification

INBOX = "/api/v1/users/me/notifications"


async def test_a_notice_about_an_item_with_a_poster_carries_signed_artwork(
    client, make_user, tmp_path, test_settings
):
    user, headers = await make_user(locale="en")
    poster = tmp_path / "poster.jpg"
    poster.write_bytes(b"\xff\xd8\xff\xe0 poster")
    heat = await make_movie("Heat")
    bare = await make_movie("Ronin")
    async with session_scope() as s:
        s.add(
            MediaImage(
                media_type="movie",
                media_id=heat.id,
                kind="poster",
                path=str(poster),
                size_bytes=poster.stat().st_size,
                mtime=1.0,
            )
        )
    for movie in (heat, bare):
        await send_notification(
            user.id,
            "system",
            {"subject": movie.title, "body": "x", "media_type": "movie", "media_id": str(movie.id)},
        )
    await send_notification(user.id, "system", {"subject": "No item", "body": "x"})

    items = {
        n["data"]["subject"]: n for n in (await client.get(INBOX, headers=headers)).json()["items"]
    }
    assert items["Heat"]["artwork"] == (
        artwork_urls.urls_for(test_settings.secret, "movie", heat.id).model_dump()
    )
    # The signed URL needs no login (the route itself is the library's).
    sig = items["Heat"]["artwork"]["thumb"].split("sig=")[1]
    assert artwork_urls.is_valid(test_settings.secret, "movie", heat.id, 160, sig)
    assert items["Ronin"]["artwork"] is None and items["Ronin"]["thumbnail"] is None
    assert items["No item"]["artwork"] is None
