"""Running Alembic from code: at start-up, from `revenge migrate`, and in tests."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

PROJECT_ROOT = Path(__file__).resolve().parents[3]


def alembic_config(url: str | None = None) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    if url:
        config.set_main_option("sqlalchemy.url", url)
    return config


def _upgrade(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def _downgrade(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, revision)


async def upgrade(engine: AsyncEngine, revision: str = "heads") -> None:
    async with engine.begin() as connection:
        # One migrator at a time, even when API and worker processes start together.
        await connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7263101)")
        await connection.run_sync(_upgrade, revision)


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    async with engine.begin() as connection:
        await connection.run_sync(_downgrade, revision)


def _current_heads(connection: Connection) -> set[str]:
    return set(
        MigrationContext.configure(
            connection, opts={"version_table_schema": "public"}
        ).get_current_heads()
    )


async def pending_revisions(engine: AsyncEngine) -> set[str]:
    """Head revisions the database has not reached yet (empty = migrations are current)."""
    expected = set(ScriptDirectory.from_config(alembic_config()).get_heads())
    async with engine.connect() as connection:
        current = await connection.run_sync(_current_heads)
    return expected - current
