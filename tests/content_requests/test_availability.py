"""RequestAvailabilityCheckJob: library events and the periodic sweep settle requests."""

from __future__ import annotations

from sqlalchemy import update

from revenge.content_requests.jobs import check_availability
from revenge.content_requests.models import ContentRequest
from revenge.core import events
from revenge.core.clock import utcnow
from revenge.core.db import session_scope
from revenge.library.models import Movie, Track
from tests.content_requests.helpers import add_episode, ask, emit, make_album, make_series
from tests.factories import make_movie

CHECK = "content_requests.check_availability"
HEAT = {"media_type": "movie", "external_id": "949", "title": "Heat"}
RG = "0b1c1f5e-8d6c-3b4e-9d6a-7f3f4a0b9c11"
ARTIST = "10adbe5e-a2c0-4bf3-8249-2b4cbf6e6ca8"


async def status_of(client, headers, request_id) -> dict:
    response = await client.get(f"/api/v1/requests/{request_id}", headers=headers)
    assert response.status_code == 200
    return response.json()


async def test_approved_request_becomes_available_when_the_movie_arrives(client, make_user, jobs):
    _, alice = await make_user()
    _, admin = await make_user(is_admin=True)
    request_id = (await ask(client, alice, **HEAT)).json()["id"]
    approved = await client.post(f"/api/v1/admin/requests/{request_id}/approve", headers=admin)
    assert approved.json()["status"] == "approved"
    # Another film arriving changes nothing.
    other = await make_movie("Ronin", tmdb_id=8195)
    await emit(events.LibraryItemAdded, "movie", other.id, other.library_id)
    assert await jobs.run(CHECK) == [CHECK]
    assert (await status_of(client, alice, request_id))["status"] == "approved"

    movie = await make_movie("Heat", tmdb_id=949)
    await emit(events.LibraryItemAdded, "movie", movie.id, movie.library_id)
    await jobs.run(CHECK)
    body = await status_of(client, alice, request_id)
    assert body["status"] == "available"
    assert body["library_item"] == {"media_type": "movie", "media_id": str(movie.id)}
    assert body["available_at"] is not None
    # Running the job again does no harm.
    await emit(events.LibraryItemAdded, "movie", movie.id, movie.library_id)
    await jobs.run(CHECK)
    assert (await status_of(client, alice, request_id))["available_at"] == body["available_at"]


async def test_a_pending_request_is_settled_too(client, make_user, jobs):
    _, alice = await make_user()
    request_id = (await ask(client, alice, **HEAT)).json()["id"]
    movie = await make_movie("Heat", tmdb_id=949)
    await emit(events.LibraryItemAdded, "movie", movie.id, movie.library_id)
    await jobs.run(CHECK)
    assert (await status_of(client, alice, request_id))["status"] == "available"


async def test_approving_something_already_there_makes_it_available_at_once(
    client, make_user, session
):
    _, alice = await make_user()
    _, admin = await make_user(is_admin=True)
    request_id = (await ask(client, alice, **HEAT)).json()["id"]
    await make_movie("Heat", tmdb_id=949)  # arrived without an event (e.g. before this branch)
    body = (await client.post(f"/api/v1/admin/requests/{request_id}/approve", headers=admin)).json()
    assert body["status"] == "available"
    assert body["processed_at"] is not None


async def test_a_removed_item_moves_the_request_back_to_approved(client, make_user, jobs):
    _, alice = await make_user(locale="de")
    _, admin = await make_user(is_admin=True)
    request_id = (await ask(client, alice, **HEAT)).json()["id"]
    await client.post(f"/api/v1/admin/requests/{request_id}/approve", headers=admin)
    movie = await make_movie("Heat", tmdb_id=949)
    await emit(events.LibraryItemAdded, "movie", movie.id, movie.library_id)
    await jobs.run(CHECK)
    async with session_scope() as s:
        await s.execute(update(Movie).where(Movie.id == movie.id).values(missing_at=utcnow()))
    await emit(events.LibraryItemRemoved, "movie", movie.id, movie.library_id)
    assert "content_requests.check_removed" in await jobs.run()
    body = await status_of(client, alice, request_id)
    assert body["status"] == "approved"
    assert body["library_item"] is None
    assert body["status_reason"] == "item_removed"
    assert "nicht mehr in der Bibliothek" in body["status_reason_text"]
    # It comes back: available again, and the reason is gone.
    async with session_scope() as s:
        await s.execute(update(Movie).where(Movie.id == movie.id).values(missing_at=None))
    await emit(events.LibraryItemAdded, "movie", movie.id, movie.library_id)
    await jobs.run(CHECK)
    body = await status_of(client, alice, request_id)
    assert (body["status"], body["status_reason"]) == ("available", None)


async def test_a_deleted_row_is_noticed_through_the_link(client, make_user, jobs):
    _, alice = await make_user()
    request_id = (await ask(client, alice, **HEAT)).json()["id"]
    movie = await make_movie("Heat", tmdb_id=949)
    await emit(events.LibraryItemAdded, "movie", movie.id, movie.library_id)
    await jobs.run(CHECK)
    async with session_scope() as s:
        await s.delete(await s.get(Movie, movie.id))
    await emit(events.LibraryItemRemoved, "movie", movie.id, movie.library_id)
    await jobs.run()
    assert (await status_of(client, alice, request_id))["status"] == "approved"


async def test_the_periodic_sweep_catches_missed_arrivals_and_departures(client, make_user, jobs):
    _, alice = await make_user()
    heat = (await ask(client, alice, **HEAT)).json()["id"]
    ronin = (
        await ask(client, alice, media_type="movie", external_id="8195", title="Ronin")
    ).json()["id"]
    await make_movie("Heat", tmdb_id=949)  # no event
    await jobs.run(CHECK)  # nothing deferred yet
    assert (await status_of(client, alice, heat))["status"] == "pending"
    assert await check_availability.func(timestamp=1_700_000_000) == 1
    assert (await status_of(client, alice, heat))["status"] == "available"
    assert (await status_of(client, alice, ronin))["status"] == "pending"
    # A rescan marks the file missing without an event: the sweep notices.
    async with session_scope() as s:
        await s.execute(update(Movie).where(Movie.tmdb_id == 949).values(missing_at=utcnow()))
    assert await check_availability.func(timestamp=1_700_000_060) == 1
    assert (await status_of(client, alice, heat))["status"] == "approved"


async def test_tv_request_waits_for_every_requested_season(client, make_user, jobs):
    _, alice = await make_user()
    request_id = (
        await ask(client, alice, media_type="tv", external_id="70523", title="Dark", seasons=[1, 2])
    ).json()["id"]
    series = await make_series("Dark", tmdb_id=70523, seasons=(1,))
    await emit(events.LibraryItemAdded, "series", series.id, series.library_id)
    await jobs.run(CHECK)
    assert (await status_of(client, alice, request_id))["status"] == "pending"
    async with session_scope() as s:
        episode = await add_episode(s, series, 2)
    await emit(events.LibraryItemAdded, "episode", episode.id, series.library_id)
    await jobs.run(CHECK)
    body = await status_of(client, alice, request_id)
    assert body["status"] == "available"
    assert body["library_item"] == {"media_type": "series", "media_id": str(series.id)}


async def test_album_and_artist_requests_match_by_musicbrainz_ids(client, make_user, jobs):
    _, alice = await make_user()
    album_request = (
        await ask(client, alice, media_type="music", external_id=RG, title="Mezzanine")
    ).json()["id"]
    artist_request = (
        await ask(
            client,
            alice,
            media_type="music",
            external_id=ARTIST,
            music_kind="artist",
            title="Massive Attack",
        )
    ).json()["id"]
    album, track = await make_album(
        "Mezzanine", "Massive Attack", release_group=RG, artist_mbid=ARTIST
    )
    await emit(events.LibraryItemAdded, "track", track.id, album.id)
    await jobs.run(CHECK)
    album_body = await status_of(client, alice, album_request)
    artist_body = await status_of(client, alice, artist_request)
    assert album_body["library_item"] == {"media_type": "album", "media_id": str(album.id)}
    assert artist_body["status"] == "available"
    assert artist_body["library_item"]["media_type"] == "artist"
    # Its only track goes missing: the album is no longer there.
    async with session_scope() as s:
        await s.execute(update(Track).where(Track.id == track.id).values(missing_at=utcnow()))
    await emit(events.LibraryItemRemoved, "track", track.id, album.id)
    await jobs.run()
    assert (await status_of(client, alice, album_request))["status"] == "approved"
    assert (await status_of(client, alice, artist_request))["status"] == "approved"


async def test_denied_requests_are_left_alone(client, make_user, jobs):
    _, alice = await make_user()
    _, admin = await make_user(is_admin=True)
    request_id = (await ask(client, alice, **HEAT)).json()["id"]
    await client.post(f"/api/v1/admin/requests/{request_id}/deny", headers=admin)
    movie = await make_movie("Heat", tmdb_id=949)
    await emit(events.LibraryItemAdded, "movie", movie.id, movie.library_id)
    await jobs.run(CHECK)
    assert (await status_of(client, alice, request_id))["status"] == "denied"


async def test_the_sweep_matches_series_by_tvdb_id_and_albums(client, make_user):
    _, alice = await make_user()
    dark = (
        await ask(client, alice, media_type="tv", external_id="70523", title="Dark", seasons=[1])
    ).json()["id"]
    album = (
        await ask(client, alice, media_type="music", external_id=RG, title="Mezzanine")
    ).json()["id"]
    async with session_scope() as s:  # the request learnt the tvdb id from TMDB
        await s.execute(
            update(ContentRequest).where(ContentRequest.id == dark).values(tvdb_id=334824)
        )
    series = await make_series("Dark", tvdb_id=334824, seasons=(1,))
    await make_album("Mezzanine", "Massive Attack", release_group=RG)
    assert await check_availability.func(timestamp=1_700_000_000) == 2
    assert (await status_of(client, alice, dark))["library_item"]["media_id"] == str(series.id)
    assert (await status_of(client, alice, album))["status"] == "available"
    assert await check_availability.func(timestamp=1_700_000_060) == 0
