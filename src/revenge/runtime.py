"""Running a command with the database ready: the one helper the CLI commands of every
feature share. Its own module (an edge, like main.py) so that feature commands need not import
`revenge.cli`, which imports them."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from revenge.core.config import get_settings
from revenge.core.db import release_embedded_postgres, set_database

T = TypeVar("T")


def run_with_database(work: Callable[[], Awaitable[T]]) -> T:
    """Run ``work`` with the database ready (embedded server started, migrations applied)."""
    from revenge.core.logging import configure_logging
    from revenge.main import prepare_database

    settings = get_settings()
    configure_logging(json=settings.log_json, level=settings.log_level)

    async def runner() -> T:
        database = await prepare_database(settings)
        set_database(database)
        try:
            return await work()
        finally:
            await database.dispose()
            set_database(None)
            release_embedded_postgres(settings.data_dir)

    return asyncio.run(runner())
