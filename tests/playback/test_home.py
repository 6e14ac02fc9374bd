"""The start page: the caller's own unfinished items and last plays, and what came in."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from revenge.core import clock
from revenge.core.db import session_scope
from revenge.library.models import Album, Episode, Movie, Series, Track
from revenge.playback import repository as repo
from tests.factories import make_movie
from tests.playback.conftest import T0, watch

MINUTE = 60_000


async def _home(client, headers):
    response = await client.get("/api/v1/users/me/home", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def _ids(entries):
    return [entry["media_id"] for entry in entries]


async def test_continue_lists_my_unfinished_items_newest_first(client, make_user, media):
    _, mine = await make_user()
    _, theirs = await make_user()
    heat, _ = await media.movie("Heat")
    ronin, _ = await media.movie("Ronin")
    _, episodes = await media.series()
    _, tracks = await media.album()
    theirs_only, _ = await media.movie("Thief")
    await watch(client, mine, "movie", heat.id, start_minutes=0, stop_at_ms=20 * MINUTE)
    await watch(client, mine, "episode", episodes[0].id, start_minutes=60, stop_at_ms=44 * MINUTE)
    await watch(client, mine, "track", tracks[0].id, start_minutes=120, stop_at_ms=10_000)
    await watch(client, mine, "movie", ronin.id, start_minutes=180, stop_at_ms=40 * MINUTE)
    await watch(client, theirs, "movie", theirs_only.id, start_minutes=0, stop_at_ms=30 * MINUTE)
    await watch(client, theirs, "movie", heat.id, start_minutes=300, stop_at_ms=90 * MINUTE)

    body = await _home(client, mine)
    # The episode is at 44 of 45 minutes (finished), the track 10 s in (nothing to resume);
    # the other user's plays, of the same film too, are theirs.
    assert _ids(body["continue"]) == [str(ronin.id), str(heat.id)]
    first = body["continue"][0]
    assert first["media_type"] == "movie" and first["title"] == "Ronin"
    assert first["position_ms"] == 40 * MINUTE
    assert first["duration_ms"] == 170 * MINUTE
    assert first["last_played_at"].startswith((T0 + timedelta(minutes=220)).date().isoformat())
    assert body["continue"][1]["position_ms"] == 20 * MINUTE

    their_body = await _home(client, theirs)
    assert _ids(their_body["continue"]) == [str(heat.id), str(theirs_only.id)]
    assert their_body["continue"][0]["position_ms"] == 90 * MINUTE


async def test_continue_leaves_out_items_marked_since(client, make_user, media, monkeypatch):
    _, headers = await make_user()
    heat, _ = await media.movie("Heat")
    ronin, _ = await media.movie("Ronin")
    await watch(client, headers, "movie", heat.id, start_minutes=0, stop_at_ms=20 * MINUTE)
    await watch(client, headers, "movie", ronin.id, start_minutes=60, stop_at_ms=20 * MINUTE)
    real_now = clock.utcnow
    monkeypatch.setattr(clock, "utcnow", lambda: T0 + timedelta(hours=3))
    await client.delete(f"/api/v1/users/me/played/movie/{heat.id}", headers=headers)
    await client.put(f"/api/v1/users/me/played/movie/{ronin.id}", headers=headers)
    monkeypatch.setattr(clock, "utcnow", real_now)
    assert _ids((await _home(client, headers))["continue"]) == []
    # Played part-way again after the mark: back in the list.
    await watch(client, headers, "movie", heat.id, start_minutes=240, stop_at_ms=5 * MINUTE)
    assert _ids((await _home(client, headers))["continue"]) == [str(heat.id)]


async def test_continue_uses_the_librarys_length_when_the_session_has_none(
    client, make_user, media
):
    _, headers = await make_user()
    movie, _ = await media.movie()
    async with session_scope() as s:
        await s.execute(update(Movie).where(Movie.id == movie.id).values(duration_ms=None))
    await watch(client, headers, "movie", movie.id, start_minutes=0, stop_at_ms=99 * MINUTE)
    assert _ids((await _home(client, headers))["continue"]) == [str(movie.id)]
    # The library learns the length (100 minutes): 99 of them is the end.
    async with session_scope() as s:
        await s.execute(update(Movie).where(Movie.id == movie.id).values(duration_ms=100 * MINUTE))
    assert (await _home(client, headers))["continue"] == []


async def test_recent_plays_are_my_counted_plays_one_per_item(client, make_user, media):
    _, mine = await make_user()
    _, theirs = await make_user()
    heat, _ = await media.movie("Heat")
    ronin, _ = await media.movie("Ronin")
    _, tracks = await media.album()
    await watch(client, mine, "movie", heat.id, start_minutes=0, stop_at_ms=60 * MINUTE)
    await watch(client, mine, "track", tracks[0].id, start_minutes=100, stop_at_ms=300_000)
    await watch(client, mine, "movie", heat.id, start_minutes=200, stop_at_ms=30 * MINUTE)
    await watch(client, mine, "movie", ronin.id, start_minutes=300, stop_at_ms=2 * MINUTE)
    await watch(client, theirs, "movie", ronin.id, start_minutes=400, stop_at_ms=60 * MINUTE)

    recent = (await _home(client, mine))["recent_plays"]
    # Ronin's two minutes are no play; Heat twice is one entry, its latest play.
    assert _ids(recent) == [str(heat.id), str(tracks[0].id)]
    assert recent[0]["position_ms"] == 30 * MINUTE
    track = recent[1]
    assert (track["title"], track["subtitle"]) == ("Track 1", "Massive Attack – Mezzanine")
    assert _ids((await _home(client, theirs))["recent_plays"]) == [str(ronin.id)]


async def test_recent_counted_plays_reads_on_past_repeats(client, make_user, media, session):
    """One item played many times fills whole batches; the reader goes on until it has enough
    items."""
    user, headers = await make_user()
    _, tracks = await media.album(tracks=3)
    minutes = 0
    for track in tracks:
        for _ in range(3):
            await watch(
                client, headers, "track", track.id, start_minutes=minutes, stop_at_ms=300_000
            )
            minutes += 10
    found = await repo.recent_counted_plays(session, user.id, limit=3, batch=2)
    assert [play.media_id for play in found] == [t.id for t in reversed(tracks)]
    assert len(await repo.recent_counted_plays(session, user.id, limit=2, batch=2)) == 2
    assert len(await repo.recent_counted_plays(session, user.id, limit=10, batch=4)) == 3


async def _added_at(model, item_id, minutes):
    async with session_scope() as s:
        await s.execute(
            update(model)
            .where(model.id == item_id)
            .values(created_at=T0 + timedelta(minutes=minutes))
        )


async def test_recently_added_across_movies_series_and_albums(client, make_user, media):
    _, headers = await make_user()
    heat, _ = await media.movie("Heat")
    gone, _ = await media.movie("Gone")
    series, episodes = await media.series()
    album, _ = await media.album()
    empty_album, empty_tracks = await media.album("Empty", tracks=1)
    await media.image("album", album.id, kind="cover")
    await _added_at(Movie, heat.id, 10)
    await _added_at(Movie, gone.id, 50)
    await _added_at(Series, series.id, 0)
    await _added_at(Episode, episodes[0].id, 5)
    await _added_at(Episode, episodes[1].id, 30)  # a new episode brings the series up
    await _added_at(Album, album.id, 20)
    await _added_at(Album, empty_album.id, 40)
    async with session_scope() as s:
        now = clock.utcnow()
        await s.execute(update(Movie).where(Movie.id == gone.id).values(missing_at=now))
        await s.execute(update(Track).where(Track.id == empty_tracks[0].id).values(missing_at=now))

    added = (await _home(client, headers))["recently_added"]
    assert [(e["media_type"], e["media_id"]) for e in added] == [
        ("series", str(series.id)),
        ("album", str(album.id)),
        ("movie", str(heat.id)),
    ]
    assert added[0]["added_at"].startswith((T0 + timedelta(minutes=30)).date().isoformat())
    assert added[0]["title"] == "Dark" and added[0]["year"] == 2017
    assert (added[1]["title"], added[1]["subtitle"]) == ("Mezzanine", "Massive Attack")
    assert added[1]["artwork"]["thumb"].startswith(f"/api/v1/artwork/album/{album.id}/160?sig=")
    assert added[2]["artwork"] is None


async def test_lists_are_at_most_twenty_long(client, make_user):
    _, headers = await make_user()
    for number in range(22):
        await make_movie(f"Film {number}")
    body = await _home(client, headers)
    assert len(body["recently_added"]) == 20


async def test_home_needs_a_login(client):
    assert (await client.get("/api/v1/users/me/home")).status_code == 401
