"""`revenge` command line: serve, worker, migrate, users … (library commands in library/cli.py)."""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import sys
from typing import Annotated, Any, TypeVar

import typer

from revenge.analytics.cli import analytics_app
from revenge.core.config import Settings, get_settings, set_settings
from revenge.core.db import Database, release_embedded_postgres
from revenge.library.cli import library_app
from revenge.runtime import run_with_database

app = typer.Typer(help="Revenge media server", no_args_is_help=True)
users_app = typer.Typer(help="Manage user accounts", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(library_app, name="library")
app.add_typer(analytics_app, name="analytics")

T = TypeVar("T")


def _settings(**overrides: Any) -> Settings:
    settings = get_settings()
    if overrides := {k: v for k, v in overrides.items() if v is not None}:
        settings = settings.model_copy(update=overrides)
        set_settings(settings)
    return settings


def read_password(confirm: bool = True) -> str:
    """From a prompt on a terminal, else the first line of stdin (for scripts)."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    password = getpass.getpass("Password: ")
    if confirm and getpass.getpass("Repeat: ") != password:
        raise typer.BadParameter("passwords differ")
    return password


def banner_lines(settings: Settings, first_admin: tuple[str, str] | None) -> list[str]:
    """What `revenge serve` prints once it listens: where to open it and, on the very first
    start, how to sign in. Plain lines for people (the logs are for machines)."""
    lines = ["", f"Revenge is ready: open {open_url(settings)}"]
    if first_admin is not None:
        username, password = first_admin
        lines += [
            f"First start: sign in as {username} with the password {password}",
            "(you will be asked to choose your own at the first sign-in)",
        ]
    lines.append("")
    return lines


def open_url(settings: Settings) -> str:
    """The address a person types: the configured public URL, else where the server listens
    (``localhost`` for every-interface addresses)."""
    if "public_url" in settings.model_fields_set:
        return settings.public_url
    host = settings.host
    if host in ("", "0.0.0.0", "::"):  # noqa: S104  (not a bind: the address to show)
        host = "localhost"
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.port}/"


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="address to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="port")] = None,
    workers: Annotated[
        int | None, typer.Option(help="job workers in this process (0 = none)")
    ] = None,
) -> None:
    """Migrate, create the first admin, serve the API and run job workers."""
    from revenge.main import create_app

    settings = _settings(host=host, port=port, workers=workers)
    web_app = create_app(settings)
    # The generated first password waits for the banner instead of being printed on its own.
    web_app.state.first_admin = None
    web_app.state.on_first_admin = lambda username, password: setattr(
        web_app.state, "first_admin", (username, password)
    )
    run_server(
        web_app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        timeout_graceful_shutdown=30,
        # X-Forwarded-For decides the client IP the login and share limits count by: it is
        # believed only from the configured proxies (README "Security"), never by default.
        proxy_headers=bool(settings.forwarded_allow_ips.strip()),
        forwarded_allow_ips=settings.forwarded_allow_ips.strip() or None,
        # core.middleware logs each request with share tokens and ?access= redacted.
        access_log=False,
        # uvicorn's loggers go through the root handler and its redacting filter
        # (core.logging), instead of handlers of their own.
        log_config=None,
    )


def run_server(web_app: Any, **options: Any) -> None:
    """What ``uvicorn.run(web_app, **options)`` does for one process, with a server that ends
    its start-up with the banner (after uvicorn's own lines, once the socket listens)."""
    import uvicorn

    class AnnouncingServer(uvicorn.Server):
        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets)
            if self.started:
                state = web_app.state
                lines = banner_lines(state.settings, state.first_admin)
                print("\n".join(lines), file=sys.stderr, flush=True)

    server = AnnouncingServer(uvicorn.Config(web_app, **options))
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    if not server.started:
        raise typer.Exit(3)  # uvicorn's STARTUP_FAILURE


@app.command()
def worker(
    concurrency: Annotated[int, typer.Option(help="jobs run at the same time")] = 2,
) -> None:
    """Run job workers only (API served elsewhere, same database)."""
    from procrastinate import PsycopgConnector  # noqa: F401  (documented dependency)
    from psycopg_pool import AsyncConnectionPool

    from revenge import worker as worker_module
    from revenge.core.db import get_database, to_libpq_url
    from revenge.library.watcher import FolderWatcher

    async def work() -> None:
        pool = AsyncConnectionPool(
            to_libpq_url(get_database().url), min_size=1, max_size=concurrency + 2, open=False
        )
        await pool.open()
        # Libraries with folder watching on: changes become targeted scans (library.watcher).
        watcher = asyncio.create_task(FolderWatcher().run())
        try:
            async with worker_module.job_app.open_async(pool):
                await worker_module.job_app.run_worker_async(concurrency=concurrency)
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        await pool.close()

    run_with_database(work)


@app.command()
def migrate(
    revision: Annotated[str, typer.Option(help="target revision")] = "heads",
    downgrade: Annotated[
        str | None, typer.Option(help="roll back to this revision (e.g. -1)")
    ] = None,
) -> None:
    """Apply migrations (or roll back with --downgrade)."""
    from revenge.core import migrate as migrations
    from revenge.core.db import resolve_database_url

    settings = get_settings()

    async def run() -> None:
        database = Database(resolve_database_url(settings.database_url, settings.data_dir))
        try:
            if downgrade:
                await migrations.downgrade(database.engine, downgrade)
            else:
                await migrations.upgrade(database.engine, revision)
        finally:
            await database.dispose()
            release_embedded_postgres(settings.data_dir)

    asyncio.run(run())
    typer.echo("migrations: done")


@users_app.command("create")
def users_create(
    username: str,
    admin: Annotated[bool, typer.Option("--admin", help="give admin rights")] = False,
    email: Annotated[str | None, typer.Option(help="email address")] = None,
) -> None:
    """Create a user; the password comes from a prompt or stdin."""
    from revenge.core.db import session_scope
    from revenge.users import service
    from revenge.users.schemas import UserCreate

    data = UserCreate(username=username, password=read_password(), is_admin=admin, email=email)

    async def work() -> str:
        async with session_scope() as session:
            user = await service.create_user(session, data)
            return str(user.id)

    typer.echo(f"created {username} ({run_with_database(work)})")


@users_app.command("list")
def users_list() -> None:
    """List users."""
    from revenge.core.db import session_scope
    from revenge.users import service

    async def work() -> list[tuple[str, bool, bool]]:
        async with session_scope() as session:
            users, _ = await service.list_users(session, 500, 0)
            return [(u.username, u.is_admin, u.is_active) for u in users]

    for username, is_admin, is_active in run_with_database(work):
        flags = ",".join(f for f, on in (("admin", is_admin), ("disabled", not is_active)) if on)
        typer.echo(f"{username}\t{flags}")


@users_app.command("set-password")
def users_set_password(username: str) -> None:
    """Set a user's password (prompt or stdin); their logins end."""
    from revenge.core import clock
    from revenge.core.db import session_scope
    from revenge.core.security import hash_password
    from revenge.users import repository

    password = read_password()
    if len(password) < 8:
        raise typer.BadParameter("at least 8 characters")

    async def work() -> bool:
        async with session_scope() as session:
            user = await repository.get_user_by_username(session, username)
            if user is None:
                return False
            user.password_hash = hash_password(password)
            await repository.revoke_user_sessions(session, user.id, clock.utcnow())
            return True

    if not run_with_database(work):
        typer.echo(f"no such user: {username}", err=True)
        raise typer.Exit(1)
    typer.echo("password set")


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # `python -m revenge.cli`
    app()
