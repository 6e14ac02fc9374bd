"""Alembic environment: the URL comes from the caller (revenge.core.migrate) or the settings."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import pool
from sqlalchemy.ext.asyncio import create_async_engine

from revenge import all_models  # noqa: F401  (registers every table)
from revenge.core.db import Base

config = context.config
target_metadata = Base.metadata


def _include_object(obj, name, type_, reflected, compare_to):  # type: ignore[no-untyped-def]
    # procrastinate's tables are managed by its own SQL, applied in a migration.
    return not (
        type_ == "table"
        and bool(name)
        and (name.startswith("procrastinate") or name == "alembic_version")
    )


def _configure(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_schemas=True,
        include_object=_include_object,
        version_table_schema="public",
        compare_type=True,
    )


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()


async def _run_async(url: str) -> None:
    engine = create_async_engine(url, poolclass=pool.NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        from revenge.core.config import get_settings
        from revenge.core.db import resolve_database_url

        settings = get_settings()
        url = resolve_database_url(settings.database_url, settings.data_dir)
    asyncio.run(_run_async(url))
