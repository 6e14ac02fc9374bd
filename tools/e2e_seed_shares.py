"""Library items for the share-link scenario (web/e2e/scenarios/50-shares.mjs): an album whose
three tracks are real few-second Ogg/Vorbis files with a cover, and a movie with a real WebM
clip, a 2:3 poster and an overview; with a USERNAME, "new in the library" notices about both for
that user (the inbox shows their covers and links). Prints JSON with their ids.

usage: REVENGE_DATA_DIR=... uv run python tools/e2e_seed_shares.py [USERNAME]
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from e2e_seed import make_artwork, make_clip
from sqlalchemy import select

from revenge.core.config import get_settings
from revenge.core.db import set_database
from revenge.library.models import Album, Artist, Library, MediaFile, Movie, Track
from revenge.main import prepare_database
from revenge.notifications import service as notifications
from revenge.users.models import User

TRACKS = (("Mysterons", 330), ("Sour Times", 440), ("Strangers", 550))


def make_tone(target: Path, frequency: int) -> None:
    """Three seconds of a sine tone as Ogg/Vorbis (any Chromium plays it)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    ffmpeg = shutil.which("ffmpeg") or "ffmpeg"
    subprocess.run(  # noqa: S603 - fixed arguments, no user input
        [
            ffmpeg, "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", f"sine=frequency={frequency}:duration=3",
            "-c:a", "libvorbis", str(target),
        ],
        check=True,
    )  # fmt: skip


def _file(library: Library, path: Path, container: str, mime: str, ms: int) -> MediaFile:
    stat = path.stat()
    return MediaFile(
        library_id=library.id,
        path=str(path),
        size_bytes=stat.st_size,
        mtime=stat.st_mtime,
        container=container,
        mime_type=mime,
        duration_ms=ms,
    )


async def seed(username: str | None) -> dict[str, object]:
    settings = get_settings()
    media = Path(settings.data_dir) / "e2e-media" / "shares"
    tones = []
    for number, (_title, frequency) in enumerate(TRACKS, start=1):
        tone = media / f"{number:02d}.ogg"
        make_tone(tone, frequency)
        tones.append(tone)
    clip = media / "Lichtspiel (2024).webm"
    make_clip(clip)
    database = await prepare_database(settings)
    set_database(database)
    try:
        async with database.transaction() as session:
            music = Library(name="Geteilte Musik", kind="music", path=str(media / "musik"))
            films = Library(name="Geteilte Filme", kind="movies", path=str(media / "filme"))
            session.add_all([music, films])
            await session.flush()
            artist = Artist(library_id=music.id, name="Portishead")
            session.add(artist)
            await session.flush()
            album = Album(artist_id=artist.id, title="Dummy", year=1994)
            session.add(album)
            await session.flush()
            cover = make_artwork(media / "dummy-cover.jpg", (300, 300), "#6b2fb3", "#0b0d10")
            cover.media_type, cover.media_id, cover.kind = "album", album.id, "cover"
            session.add(cover)
            track_ids = []
            for number, ((title, _), tone) in enumerate(zip(TRACKS, tones, strict=True), 1):
                file = _file(music, tone, "ogg", "audio/ogg", 3000)
                session.add(file)
                await session.flush()
                track = Track(
                    album_id=album.id,
                    artist_id=artist.id,
                    title=title,
                    track_number=number,
                    duration_ms=3000,
                    file_id=file.id,
                )
                session.add(track)
                await session.flush()
                track_ids.append(str(track.id))
            clip_file = _file(films, clip, "webm", "video/webm", 4000)
            session.add(clip_file)
            await session.flush()
            movie = Movie(
                library_id=films.id,
                title="Lichtspiel",
                year=2024,
                duration_ms=4000,
                overview="A test picture and a tone, four seconds long: the shortest film ever "
                "shared from this server.",
                file_id=clip_file.id,
            )
            session.add(movie)
            await session.flush()
            poster = make_artwork(media / "lichtspiel-poster.jpg", (200, 300), "#b36b1e", "#1b1e23")
            poster.media_type, poster.media_id, poster.kind = "movie", movie.id, "poster"
            session.add(poster)
            await session.flush()
            if username:
                user = (
                    await session.execute(select(User).where(User.username == username))
                ).scalar_one()
                for kind, item_id, title in (
                    ("album", album.id, "Portishead – Dummy"),
                    ("movie", movie.id, "Lichtspiel"),
                ):
                    data = {"kind": kind, "count": 1, "title": title}
                    data |= {"media_type": kind, "media_id": str(item_id)}
                    await notifications.notify(
                        session, user.id, "new_content", data, settings=settings
                    )
            return {"album_id": str(album.id), "track_ids": track_ids, "movie_id": str(movie.id)}
    finally:
        await database.dispose()
        set_database(None)


if __name__ == "__main__":
    os.environ.setdefault("REVENGE_WORKERS", "0")
    print(json.dumps(asyncio.run(seed(sys.argv[1] if len(sys.argv) > 1 else None))))
