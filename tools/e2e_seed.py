"""Prepare a database for the web UI's end-to-end tests and add library items to it.

The browser tests get their library here (one movie without a file for the history pages,
one with a real few-second WebM made by ffmpeg, so a share link can really be played), and,
with `notify USERNAME`, a system notification for that user, stored the way any feature
stores one, so the tests can watch the header badge pick it up from the live stream; with
`activity`, a poster for the seeded movie and a paused Jellyfin play of a track with a cover
(by a user of its own), for the live activity page.
Prints JSON.

usage: REVENGE_DATA_DIR=... REVENGE_ADMIN_USERNAME=... REVENGE_ADMIN_PASSWORD=... \
       uv run python tools/e2e_seed.py [notify USERNAME | activity]
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

from PIL import Image, ImageColor, ImageDraw
from sqlalchemy import select

from revenge.core import clock
from revenge.core.config import get_settings
from revenge.core.db import set_database
from revenge.library.models import Album, Artist, Library, MediaFile, MediaImage, Movie, Track
from revenge.main import prepare_database
from revenge.notifications import service as notifications
from revenge.playback import service as playback
from revenge.playback.schemas import PlaybackEventCreate, PlaybackEventType
from revenge.users.models import User


def make_clip(target: Path) -> None:
    """Four seconds of test picture and tone, VP8 + Vorbis (any Chromium plays it)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    ffmpeg = shutil.which("ffmpeg") or "ffmpeg"
    subprocess.run(  # noqa: S603 - fixed arguments, no user input
        [
            ffmpeg, "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", "testsrc=size=320x180:rate=25:duration=4",
            "-f", "lavfi", "-i", "sine=frequency=440:duration=4",
            "-c:v", "libvpx", "-b:v", "200k", "-c:a", "libvorbis", "-shortest",
            str(target),
        ],
        check=True,
    )  # fmt: skip


async def seed() -> dict[str, str]:
    settings = get_settings()
    clip = Path(settings.data_dir) / "e2e-media" / "Big Test Clip (2026).webm"
    make_clip(clip)
    database = await prepare_database(settings)
    set_database(database)
    try:
        async with database.transaction() as session:
            library = Library(name="Kino", kind="movies", path="/srv/media/kino")
            session.add(library)
            await session.flush()
            # TMDB id as in tools/e2e_fakes.py: a request search for "heat" finds it in the library.
            movie = Movie(
                library_id=library.id,
                title="Heat",
                year=1995,
                duration_ms=170 * 60_000,
                tmdb_id=949,
            )
            stat = clip.stat()
            file = MediaFile(
                library_id=library.id,
                path=str(clip),
                size_bytes=stat.st_size,
                mtime=stat.st_mtime,
                container="webm",
                mime_type="video/webm",
                duration_ms=4000,
            )
            session.add_all([movie, file])
            await session.flush()
            clip_movie = Movie(
                library_id=library.id,
                title="Big Test Clip",
                year=2026,
                duration_ms=4000,
                file_id=file.id,
            )
            session.add(clip_movie)
            await session.flush()
            return {"movie_id": str(movie.id), "clip_id": str(clip_movie.id)}
    finally:
        await database.dispose()
        set_database(None)


async def notify(username: str, subject: str) -> dict[str, str | None]:
    database = await prepare_database(get_settings())
    set_database(database)
    try:
        async with database.transaction() as session:
            user = (
                await session.execute(select(User).where(User.username == username))
            ).scalar_one()
            created = await notifications.notify(
                session,
                user.id,
                "system",
                {"subject": subject, "body": "E2E"},
                settings=get_settings(),
            )
            return {"notification_id": str(created) if created else None}
    finally:
        await database.dispose()
        set_database(None)


def make_artwork(target: Path, size: tuple[int, int], top: str, bottom: str) -> MediaImage:
    """A gradient picture with a white band, so a screenshot shows the real file was served."""
    target.parent.mkdir(parents=True, exist_ok=True)
    width, height = size
    first, second = ImageColor.getrgb(top), ImageColor.getrgb(bottom)
    picture = Image.new("RGB", size)
    draw = ImageDraw.Draw(picture)
    for y in range(height):
        mix = y / max(1, height - 1)
        r, g, b = (round(a + (z - a) * mix) for a, z in zip(first, second, strict=False))
        draw.line([(0, y), (width, y)], fill=(r, g, b))
    draw.rectangle([width // 8, height // 2, width * 7 // 8, height * 7 // 12], fill="white")
    picture.save(target, "JPEG", quality=85)
    stat = target.stat()
    return MediaImage(
        path=str(target), size_bytes=stat.st_size, mtime=stat.st_mtime, width=width, height=height
    )


async def activity() -> dict[str, str]:
    """A poster for "Heat", and Jonas listening to a track through a Jellyfin source: started
    three minutes ago, paused a minute ago at 2:00."""
    settings = get_settings()
    media = Path(settings.data_dir) / "e2e-media"
    database = await prepare_database(settings)
    set_database(database)
    try:
        async with database.transaction() as session:
            movie = (await session.execute(select(Movie).where(Movie.title == "Heat"))).scalar_one()
            poster = make_artwork(media / "heat-poster.jpg", (200, 300), "#b3261e", "#1b1e23")
            poster.media_type, poster.media_id, poster.kind = "movie", movie.id, "poster"
            music = Library(name="Musik", kind="music", path="/srv/media/musik")
            session.add_all([poster, music])
            await session.flush()
            artist = Artist(library_id=music.id, name="Massive Attack")
            session.add(artist)
            await session.flush()
            album = Album(artist_id=artist.id, title="Mezzanine", year=1998)
            session.add(album)
            await session.flush()
            track = Track(
                album_id=album.id,
                artist_id=artist.id,
                title="Teardrop",
                track_number=3,
                duration_ms=331_000,
            )
            cover = make_artwork(media / "mezzanine-cover.jpg", (300, 300), "#0b5fff", "#12301d")
            cover.media_type, cover.media_id, cover.kind = "album", album.id, "cover"
            # Plays only through Jellyfin: no password that could ever match.
            listener = User(username="jonas", display_name="Jonas Becker", password_hash="!")  # noqa: S106
            session.add_all([track, cover, listener])
            await session.flush()
            origin = playback.PlayOrigin(source="jellyfin", source_name="Wohnzimmer")
            now = clock.utcnow()
            for kind, minutes_ago, position in (
                (PlaybackEventType.start, 3, 0),
                (PlaybackEventType.pause, 1, 120_000),
            ):
                await playback.apply_event(
                    session,
                    listener.id,
                    PlaybackEventCreate(
                        media_type="track",
                        media_id=track.id,
                        event=kind,
                        position_ms=position,
                        occurred_at=now - timedelta(minutes=minutes_ago),
                        client="Jellyfin Web",
                        device="Fire TV",
                    ),
                    settings,
                    origin,
                )
            return {"movie_id": str(movie.id), "track_id": str(track.id)}
    finally:
        await database.dispose()
        set_database(None)


if __name__ == "__main__":
    os.environ.setdefault("REVENGE_WORKERS", "0")
    result: Mapping[str, str | None]
    if len(sys.argv) >= 3 and sys.argv[1] == "notify":
        result = asyncio.run(notify(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "Hello"))
    elif len(sys.argv) >= 2 and sys.argv[1] == "activity":
        result = asyncio.run(activity())
    else:
        result = asyncio.run(seed())
    print(json.dumps(result))
