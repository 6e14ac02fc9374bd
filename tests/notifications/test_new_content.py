"""New content: what one scan adds is one notification per user, not one per item."""

from __future__ import annotations

from sqlalchemy import select

from revenge.core import events
from revenge.core.db import session_scope
from revenge.library.models import Episode, Season
from revenge.notifications.models import Notification
from tests.factories import make_episode, make_movie


async def _emit(media_type: str, media_id, library_id=None) -> None:
    async with session_scope() as s:
        await events.emit(
            s,
            events.LibraryItemAdded(
                media_type=media_type, media_id=media_id, library_id=library_id
            ),
        )


async def test_a_season_and_a_movie_are_one_notification_per_user(client, make_user, jobs, session):
    _alice, alice_headers = await make_user(locale="de")
    bob, bob_headers = await make_user()
    await client.patch(
        "/api/v1/users/me/notification-preferences",
        headers=bob_headers,
        json={
            "preferences": [{"notification_type": "new_content", "in_app": False, "webhook": False}]
        },
    )
    first = await make_episode("Dark", 1, 1)
    season_id = first.season_id
    episodes = [first]
    for number in range(2, 11):
        episode = Episode(
            series_id=first.series_id,
            season_id=season_id,
            season_number=1,
            episode_number=number,
            duration_ms=1000,
        )
        session.add(episode)
        episodes.append(episode)
    await session.flush()
    assert (await session.get(Season, season_id)) is not None
    movie = await make_movie("Heat")
    for episode in episodes:
        await _emit("episode", episode.id)
    await _emit("movie", movie.id)

    # Ten events, one flush job (the queueing lock coalesces them).
    assert len(await jobs.pending("notifications.new_content")) == 11
    await jobs.run("notifications.new_content")
    assert len(await jobs.pending("notifications.new_content_flush")) == 1
    await jobs.run("notifications.new_content_flush")

    inbox = (await client.get("/api/v1/users/me/notifications", headers=alice_headers)).json()
    assert [n["title"] for n in inbox["items"]] == ["1 neuer Film, 10 neue Folgen"]
    note = inbox["items"][0]
    assert note["message"] == "Neu in deiner Bibliothek: Dark, Heat."
    assert note["data"]["counts"] == {"episode": 10, "movie": 1}
    assert note["link"] == "/library"
    # Bob switched new content off: nothing stored for him.
    bobs = await session.scalars(select(Notification).where(Notification.user_id == bob.id))
    assert bobs.all() == []


async def test_one_season_alone_keeps_its_own_wording(client, make_user, jobs, session):
    _alice, headers = await make_user(locale="de")
    first = await make_episode("Dark", 1, 1)
    second = Episode(
        series_id=first.series_id,
        season_id=first.season_id,
        season_number=1,
        episode_number=2,
        duration_ms=1000,
    )
    session.add(second)
    await session.flush()
    for episode in (first, second):
        await _emit("episode", episode.id)
    await jobs.run("notifications.new_content")
    await jobs.run("notifications.new_content_flush")

    inbox = (await client.get("/api/v1/users/me/notifications", headers=headers)).json()
    (note,) = inbox["items"]
    assert note["title"] == "2 neue Folgen von Dark"
    assert note["data"]["items"] == ["Dark S01E01", "Dark S01E02"]
    assert note["link"] == f"/library/series/{first.series_id}"
