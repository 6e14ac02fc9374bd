"""`revenge library add | scan | list`: the same use cases as the admin API, run inline."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer

from revenge.core.media import LibraryKind

library_app = typer.Typer(help="Manage media libraries", no_args_is_help=True)


T = TypeVar("T")


def _run(work: Callable[[], Awaitable[T]]) -> T:
    from revenge.runtime import run_with_database

    return run_with_database(work)


@library_app.command("add")
def add(name: str, kind: LibraryKind, path: str) -> None:
    """Add a library: NAME, KIND (movies|tv|music), PATH (an existing folder)."""
    from revenge.core.db import session_scope
    from revenge.core.errors import AppError
    from revenge.core.i18n import translate
    from revenge.library import service
    from revenge.library.schemas import LibraryCreate

    async def work() -> str:
        async with session_scope() as session:
            library = await service.create_library(
                session, LibraryCreate(name=name, kind=kind, path=path)
            )
            return f"added {library.name} ({library.kind}) {library.path} id={library.id}"

    try:
        typer.echo(_run(work))
    except AppError as exc:
        typer.echo(translate(f"errors.{exc.code}.detail", "en", **exc.params), err=True)
        raise typer.Exit(1) from exc


@library_app.command("list")
def list_libraries() -> None:
    """List libraries with their kind, folder and last scan."""
    from revenge.core.db import session_scope
    from revenge.library import service

    async def work() -> list[str]:
        async with session_scope() as session:
            libraries, _ = await service.list_libraries(session, 500, 0)
            return [
                f"{lib.name}\t{lib.kind}\t{lib.path}\t"
                + (lib.last_scan_at.isoformat(timespec="seconds") if lib.last_scan_at else "never")
                for lib in libraries
            ]

    lines = _run(work)
    if not lines:
        typer.echo("no libraries (add one with `revenge library add NAME KIND PATH`)")
    for line in lines:
        typer.echo(line)


@library_app.command("scan")
def scan(
    name: Annotated[str | None, typer.Argument(help="library name (default: all)")] = None,
) -> None:
    """Scan one library (or all) now, with a progress bar."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

    from revenge.core.config import get_settings
    from revenge.core.db import session_scope
    from revenge.library import service
    from revenge.library.scan_plan import ScanError
    from revenge.library.scanner import ScanProgress, run_scan

    async def work() -> int:
        async with session_scope() as session:
            if name is not None:
                found = await service.find_library(session, name)
                if found is None:
                    typer.echo(f"no such library: {name}", err=True)
                    return 1
                libraries = [found]
            else:
                libraries, _ = await service.list_libraries(session, 500, 0)
            targets = [(lib.id, lib.name) for lib in libraries]
        failures = 0
        with Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn()
        ) as progress:
            for library_id, library_name in targets:
                async with session_scope() as session:
                    scan_row, _ = await service.create_scan(session, library_id)
                    scan_id = scan_row.id
                bar = progress.add_task(library_name, total=None)

                def show(p: ScanProgress, bar: TaskID = bar) -> None:
                    progress.update(bar, total=p.files_total or None, completed=p.files_done)

                try:
                    result = await run_scan(
                        scan_id, ffprobe=get_settings().ffprobe_path, on_progress=show
                    )
                except ScanError as exc:
                    failures += 1
                    progress.console.print(f"{library_name}: failed: {exc}")
                    continue
                progress.console.print(
                    f"{library_name}: {result.files_total} files, {result.items_added} added, "
                    f"{result.items_updated} updated, {result.items_missing} missing"
                )
        return 1 if failures else 0

    code = _run(work)
    if code:
        raise typer.Exit(code)
