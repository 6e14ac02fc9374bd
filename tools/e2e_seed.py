"""Prepare a database for the web UI's end-to-end tests and add library items to it.

The web UI has no page that creates library items yet (scanning lands with the library
feature), so the browser tests get theirs here; everything else they do through the UI or
the public API. Prints the created items as JSON.

usage: REVENGE_DATA_DIR=... REVENGE_ADMIN_USERNAME=... REVENGE_ADMIN_PASSWORD=... \
       uv run python tools/e2e_seed.py
"""

from __future__ import annotations

import asyncio
import json

from revenge.core.config import get_settings
from revenge.core.db import set_database
from revenge.library.models import Library, Movie
from revenge.main import prepare_database


async def seed() -> dict[str, str]:
    database = await prepare_database(get_settings())
    set_database(database)
    try:
        async with database.transaction() as session:
            library = Library(name="Movies", kind="movies", path="/srv/media/movies")
            session.add(library)
            await session.flush()
            movie = Movie(library_id=library.id, title="Heat", year=1995, duration_ms=170 * 60_000)
            session.add(movie)
            await session.flush()
            return {"movie_id": str(movie.id)}
    finally:
        await database.dispose()
        set_database(None)


if __name__ == "__main__":
    print(json.dumps(asyncio.run(seed())))
