"""Prepare a database for the web UI's end-to-end tests and add library items to it.

The browser tests get their library here (one movie without a file for the history pages,
one with a real few-second WebM made by ffmpeg, so a share link can really be played), and,
with `notify USERNAME`, a system notification for that user, stored the way any feature
stores one, so the tests can watch the header badge pick it up from the live stream.
Prints JSON.

usage: REVENGE_DATA_DIR=... REVENGE_ADMIN_USERNAME=... REVENGE_ADMIN_PASSWORD=... \
       uv run python tools/e2e_seed.py [notify USERNAME]
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from revenge.core.config import get_settings
from revenge.core.db import set_database
from revenge.library.models import Library, MediaFile, Movie
from revenge.main import prepare_database
from revenge.notifications import service as notifications
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


if __name__ == "__main__":
    os.environ.setdefault("REVENGE_WORKERS", "0")
    if len(sys.argv) >= 3 and sys.argv[1] == "notify":
        result = asyncio.run(notify(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "Hello"))
    else:
        result = asyncio.run(seed())
    print(json.dumps(result))
