"""Notices are rendered when read, in the reader's current language, from their type and data;
one scan's additions are one notice with counts per kind; notices carry a link and a thumbnail;
rows stored before this still read."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from revenge.core import events
from revenge.core.db import session_scope
from revenge.library.models import Album, Artist, MediaImage, Track
from revenge.notifications.models import Notification
from tests.factories import make_library, make_movie
from tests.notifications.conftest import send_notification

BASE = "/api/v1/users/me"


async def _inbox(client, headers) -> list[dict]:
    response = await client.get(f"{BASE}/notifications", headers=headers)
    assert response.status_code == 200
    return response.json()["items"]


async def test_a_notice_reads_in_the_language_the_reader_switched_to(client, make_user, session):
    alice, headers = await make_user(locale="en")
    created = await send_notification(alice.id, "request_approved", {"title": "Dune"})
    (note,) = await _inbox(client, headers)
    assert note["title"] == "Request approved: Dune"
    assert note["link"] == "/requests" and note["thumbnail"] is None

    switched = await client.patch(f"{BASE}", headers=headers, json={"locale": "de"})
    assert switched.status_code == 200
    (note,) = await _inbox(client, headers)
    assert note["title"] == "Anfrage genehmigt: Dune"
    assert note["message"].startswith("Deine Anfrage für Dune wurde genehmigt.")
    read = await client.post(f"{BASE}/notifications/{created}/read", headers=headers)
    assert read.json()["title"] == "Anfrage genehmigt: Dune"
    # What was stored at the time is unchanged: it is only the fallback for old rows.
    stored = await session.get(Notification, created)
    assert stored is not None and stored.title == "Request approved: Dune"


async def test_without_a_preference_the_accept_language_decides(client, make_user):
    alice, headers = await make_user()
    await send_notification(alice.id, "request_denied", {"title": "Dune"})
    (note,) = await _inbox(client, {**headers, "Accept-Language": "fr-CH, de;q=0.5"})
    assert note["title"] == "Demande refusée : Dune"


async def _emit(media_type: str, media_id: uuid.UUID) -> None:
    async with session_scope() as s:
        await events.emit(s, events.LibraryItemAdded(media_type=media_type, media_id=media_id))


async def test_a_scan_of_six_movies_and_four_albums_is_one_notice(
    client, make_user, jobs, tmp_path
):
    _en, en_headers = await make_user(locale="en")
    _de, de_headers = await make_user(locale="de")
    poster = tmp_path / "poster.jpg"
    poster.write_bytes(b"\xff\xd8\xff\xe0 poster")
    movies = [await make_movie(f"Movie {n}") for n in range(1, 7)]
    async with session_scope() as s:
        s.add(
            MediaImage(
                media_type="movie",
                media_id=movies[0].id,
                kind="poster",
                path=str(poster),
                size_bytes=poster.stat().st_size,
                mtime=1.0,
            )
        )
    music = await make_library("music")
    albums: list[tuple[uuid.UUID, list[uuid.UUID]]] = []
    async with session_scope() as s:
        artist = Artist(library_id=music.id, name="Massive Attack")
        s.add(artist)
        await s.flush()
        for n in range(1, 5):
            album = Album(artist_id=artist.id, title=f"Album {n}")
            s.add(album)
            await s.flush()
            tracks = [
                Track(album_id=album.id, artist_id=artist.id, title=f"T{n}.{t}", duration_ms=1)
                for t in range(1, 4)
            ]
            s.add_all(tracks)
            await s.flush()
            albums.append((album.id, [t.id for t in tracks]))

    # What the scanner emits: each movie, each album and its tracks.
    for movie in movies:
        await _emit("movie", movie.id)
    for album_id, track_ids in albums:
        await _emit("album", album_id)
        for track_id in track_ids:
            await _emit("track", track_id)
    await jobs.run("notifications.new_content")
    await jobs.run("notifications.new_content_flush")

    (en,) = await _inbox(client, en_headers)
    (de,) = await _inbox(client, de_headers)
    assert en["title"] == "6 new movies, 4 new albums"
    assert en["message"] == "New in your library: Movie 1, Movie 2, Movie 3 and 7 more."
    assert de["title"] == "6 neue Filme, 4 neue Alben"
    assert de["message"] == "Neu in deiner Bibliothek: Movie 1, Movie 2, Movie 3 und 7 weitere."
    assert en["data"]["counts"] == {"movie": 6, "album": 4}
    assert len(en["data"]["groups"]) == 10
    assert any("Album 4" in title for title in en["data"]["items"])
    assert en["link"] == "/library"
    assert en["thumbnail"] == f"{BASE}/notifications/{en['id']}/thumbnail"
    image = await client.get(en["thumbnail"], headers=en_headers)
    assert image.status_code == 200 and image.content == poster.read_bytes()
    # Somebody else's notice's thumbnail is not served.
    foreign = await client.get(en["thumbnail"], headers=de_headers)
    assert foreign.status_code == 404


async def test_a_single_addition_links_to_its_item(client, make_user, jobs):
    _user, headers = await make_user(locale="es")
    movie = await make_movie("Heat")
    await _emit("movie", movie.id)
    await jobs.run("notifications.new_content")
    await jobs.run("notifications.new_content_flush")
    (note,) = await _inbox(client, headers)
    assert note["title"] == "Nuevo: Heat"
    assert note["link"] == f"/library/movies/{movie.id}"
    # No poster: no thumbnail, and asking for one answers a translated 404.
    assert note["thumbnail"] is None
    missing = await client.get(f"{BASE}/notifications/{note['id']}/thumbnail", headers=headers)
    assert missing.status_code == 404
    assert missing.json()["code"] == "notifications.no_thumbnail"


async def test_rows_stored_before_read_time_rendering_still_read(client, make_user, session):
    user, headers = await make_user(locale="en")
    async with session_scope() as s:
        # Data enough to render: read in today's language, not the stored German.
        s.add(
            Notification(
                user_id=user.id,
                type="new_content",
                title="Neu: Heat",
                message="Heat ist jetzt in deiner Bibliothek verfügbar.",
                data={"title": "Heat", "count": 1, "kind": "movie"},
                locale="de",
            )
        )
        # Not enough data, or a type that no longer exists: the stored texts.
        s.add(
            Notification(
                user_id=user.id,
                type="request_available",
                title="Jetzt verfügbar: Dune",
                message="Dune, das du angefragt hast, ist jetzt verfügbar.",
                data={},
                locale="de",
            )
        )
        s.add(
            Notification(
                user_id=user.id,
                type="retired_type",
                title="Old title",
                message="Old message",
                data={"x": 1},
                locale="en",
            )
        )
    items = await _inbox(client, headers)
    by_type = {n["type"]: n for n in items}
    assert by_type["new_content"]["title"] == "New: Heat"
    assert by_type["request_available"]["title"] == "Jetzt verfügbar: Dune"
    assert by_type["request_available"]["link"] == "/requests"
    assert by_type["retired_type"]["title"] == "Old title"
    assert by_type["retired_type"]["link"] is None
    stored = (
        await session.scalars(select(Notification).where(Notification.user_id == user.id))
    ).all()
    assert len(stored) == 3


async def test_email_is_sent_in_the_language_the_recipient_reads_at_send_time(
    client, make_user, jobs, smtp
):
    user, headers = await make_user(locale="en", email="reader@example.com")
    await send_notification(user.id, "request_approved", {"title": "Dune"})
    await client.patch(f"{BASE}", headers=headers, json={"locale": "de"})
    await jobs.run("notifications.email_send")
    ((_, message),) = smtp.messages
    assert message["Subject"] == "Anfrage genehmigt: Dune"
    assert message["Content-Language"] == "de"
