"""Test harness: a real PostgreSQL built by the real migrations; every test in a transaction
that is rolled back (sessions join it through savepoints)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, create_async_engine

from revenge.core.config import Settings, set_settings
from revenge.core.db import Database, set_database, start_embedded_postgres, to_sqlalchemy_url
from revenge.core.migrate import upgrade
from revenge.core.security import token_digest
from revenge.users.models import AuthSession, User
from tests.helpers import TEST_PASSWORD, TEST_PASSWORD_HASH, JobRunner

ROOT = Path(__file__).resolve().parents[1]


def _server_url() -> str:
    if url := os.environ.get("REVENGE_TEST_DATABASE_URL"):
        return to_sqlalchemy_url(url)
    return to_sqlalchemy_url(start_embedded_postgres(ROOT / ".pytest-pg", "postgres"))


@pytest.fixture(scope="session")
def test_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    data_dir = tmp_path_factory.mktemp("data")
    settings = Settings(
        environment="test",
        data_dir=data_dir,
        secret_key="test-secret-" + "x" * 40,
        public_url="http://testserver",
        login_max_attempts=5,
        _env_file=None,  # type: ignore[call-arg]
    )
    set_settings(settings)
    return settings


@pytest.fixture(scope="session")
async def database_url(test_settings: Settings) -> AsyncIterator[str]:
    """A fresh database per test run, migrated from empty."""
    server = _server_url()
    name = f"revenge_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    base, _, query = server.partition("?")
    url = base.rsplit("/", 1)[0] + "/" + name + (f"?{query}" if query else "")
    engine = create_async_engine(url)
    await upgrade(engine)
    await engine.dispose()
    yield url
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


@pytest.fixture(scope="session")
async def real_database(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url, pool_size=20, max_overflow=120)
    yield database
    await database.dispose()


class SavepointDatabase(Database):
    """Hands out sessions that join the test's outer transaction through savepoints."""

    def __init__(self, real: Database, connection: AsyncConnection) -> None:
        self._real = real
        self.url = real.url
        self.engine = real.engine
        self.sessionmaker = real.sessionmaker
        self.connection = connection

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        session = AsyncSession(
            bind=self.connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        # Same shape as Database.transaction: begun at the first statement (a savepoint here),
        # committed (released) at the end; an early commit releases it and a new one begins.
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()
        finally:
            await session.close()

    def autonomous(self) -> Any:
        # Escapes the rolled-back test transaction for real; the `db` fixture cleans up.
        return Database.transaction(self._real)


@pytest.fixture
async def db(real_database: Database) -> AsyncIterator[SavepointDatabase]:
    async with real_database.engine.connect() as connection:
        outer = await connection.begin()
        database = SavepointDatabase(real_database, connection)
        set_database(database)
        try:
            yield database
        finally:
            set_database(None)
            await outer.rollback()
            async with real_database.transaction() as cleanup:
                await cleanup.execute(text("DELETE FROM shared.rate_limit_buckets"))
                await cleanup.execute(text("DELETE FROM shared.rate_limit_slots"))


@pytest.fixture
async def session(db: SavepointDatabase) -> AsyncIterator[AsyncSession]:
    async with db.transaction() as s:
        yield s


@pytest.fixture
async def committed_db(real_database: Database) -> AsyncIterator[Database]:
    """For tests that need real concurrency (several connections): data is committed, and
    every table is emptied afterwards."""
    set_database(real_database)
    try:
        yield real_database
    finally:
        async with real_database.engine.begin() as conn:
            tables = (
                (
                    await conn.execute(
                        text(
                            "SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) FROM pg_tables "
                            "WHERE schemaname IN ('public', 'shared') AND tablename <> 'alembic_version'"
                        )
                    )
                )
                .scalars()
                .all()
            )
            await conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        set_database(None)


@pytest.fixture(scope="session")
def app(test_settings: Settings) -> Any:
    from revenge.main import create_app

    return create_app(test_settings, manage_database=False, run_workers=False)


@pytest.fixture
async def client(app: Any, db: SavepointDatabase) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture
async def committed_client(app: Any, committed_db: Database) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


UserFactory = Callable[..., Coroutine[Any, Any, tuple[User, dict[str, str]]]]


@pytest.fixture
def make_user() -> UserFactory:
    """Create a user with a login session; returns (user, auth headers). Password: TEST_PASSWORD."""
    from datetime import timedelta

    from revenge.core.clock import utcnow
    from revenge.core.db import session_scope

    async def factory(
        username: str | None = None,
        *,
        is_admin: bool = False,
        locale: str | None = None,
        timezone: str = "UTC",
        email: str | None = None,
    ) -> tuple[User, dict[str, str]]:
        username = username or f"user{uuid.uuid4().hex[:8]}"
        token = f"rva_test_{uuid.uuid4().hex}"
        async with session_scope() as s:
            user = User(
                username=username,
                email=email or f"{username}@example.test",
                password_hash=TEST_PASSWORD_HASH,
                is_admin=is_admin,
                locale=locale,
                timezone=timezone,
            )
            s.add(user)
            await s.flush()
            now = utcnow()
            s.add(
                AuthSession(
                    user_id=user.id,
                    access_token_hash=token_digest(token),
                    # Long-lived: tests that move the clock (core.clock) stay logged in.
                    access_expires_at=now + timedelta(days=30),
                    refresh_token_hash=token_digest(token + "-refresh"),
                    refresh_expires_at=now + timedelta(days=30),
                )
            )
        return user, {"Authorization": f"Bearer {token}"}

    return factory


@pytest.fixture
def jobs(db: SavepointDatabase) -> JobRunner:
    return JobRunner(db)


__all__ = ["TEST_PASSWORD"]
