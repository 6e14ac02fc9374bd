"""The activity page's items carry signed artwork URLs (an <img> loads them without the
admin's token), alongside the token-only ``image_url``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from revenge.core import artwork_urls
from revenge.core.db import session_scope
from revenge.library.models import MediaImage
from tests.factories import make_movie

ACTIVITY = "/api/v1/admin/activity"


async def _start(client, headers, movie) -> None:
    response = await client.post(
        "/api/v1/playback/events",
        json={
            "media_type": "movie",
            "media_id": str(movie.id),
            "event": "start",
            "position_ms": 0,
            "occurred_at": (datetime.now(UTC) - timedelta(seconds=5)).isoformat(),
        },
        headers=headers,
    )
    assert response.status_code == 200, response.text


async def test_activity_items_carry_signed_artwork(client, make_user, tmp_path, test_settings):
    _, admin = await make_user(is_admin=True)
    _, anna = await make_user()
    _, bert = await make_user()
    poster = tmp_path / "poster.jpg"
    poster.write_bytes(b"\xff\xd8\xff\xe0 poster")
    heat = await make_movie("Heat")
    ronin = await make_movie("Ronin")
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
    await _start(client, anna, heat)
    await _start(client, bert, ronin)

    items = {
        entry["item"]["title"]: entry["item"]
        for entry in (await client.get(ACTIVITY, headers=admin)).json()["items"]
    }
    assert items["Heat"]["artwork"] == (
        artwork_urls.urls_for(test_settings.secret, "movie", heat.id).model_dump()
    )
    assert items["Ronin"]["artwork"] is None
