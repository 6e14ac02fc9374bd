from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from revenge.cli import app
from revenge.core.config import get_settings, set_settings
from revenge.core.security import verify_password
from revenge.users.models import User


@pytest.fixture
def cli_settings(committed_db, database_url, test_settings):
    """The CLI against the test database (it commits; committed_db empties the tables after)."""
    set_settings(
        test_settings.model_copy(update={"database_url": database_url, "admin_password": None})
    )
    yield get_settings()
    set_settings(test_settings)


def invoke(*args: str, input: str | None = None):
    """Run the CLI in a thread: it runs its own event loop, as it does from a shell."""
    return asyncio.to_thread(CliRunner().invoke, app, list(args), input=input)


async def _users(database) -> dict[str, User]:
    async with database.transaction() as session:
        return {u.username: u for u in (await session.execute(select(User))).scalars()}


async def test_users_create_list_and_set_password(cli_settings, committed_db):
    created = await invoke("users", "create", "grace", "--admin", input="s3cret-password\n")
    assert created.exit_code == 0, created.output
    users = await _users(committed_db)
    # The first start also created the default admin (its password went to the log).
    assert {"grace", "admin"} <= set(users)
    assert users["grace"].is_admin and verify_password(
        users["grace"].password_hash, "s3cret-password"
    )

    listed = await invoke("users", "list")
    assert "grace\tadmin" in listed.output

    changed = await invoke("users", "set-password", "grace", input="another-password\n")
    assert changed.exit_code == 0, changed.output
    assert verify_password((await _users(committed_db))["grace"].password_hash, "another-password")

    missing = await invoke("users", "set-password", "nobody", input="another-password\n")
    assert missing.exit_code == 1
    duplicate = await invoke("users", "create", "GRACE", input="s3cret-password\n")
    assert duplicate.exit_code != 0


async def test_migrate_command_is_idempotent(cli_settings):
    result = await invoke("migrate")
    assert result.exit_code == 0 and "migrations: done" in result.output
