"""`revenge analytics rebuild --since YYYY-MM-DD`: re-derive the statistics from raw sessions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import typer

analytics_app = typer.Typer(help="Play statistics", no_args_is_help=True)


@analytics_app.command("rebuild")
def rebuild(
    since: Annotated[
        str | None,
        typer.Option(help="rebuild from this day on (YYYY-MM-DD); everything when omitted"),
    ] = None,
) -> None:
    """Rebuild rollups and rankings from shared.play_sessions in one transaction."""
    from revenge.analytics import service
    from revenge.analytics.rebuild import STEPS
    from revenge.core.config import get_settings
    from revenge.core.db import get_database, session_scope
    from revenge.runtime import run_with_database

    try:
        first = date.fromisoformat(since) if since else None
    except ValueError as error:
        raise typer.BadParameter("expected YYYY-MM-DD", param_hint="--since") from error

    started = datetime.now()
    # Each step reports once (a full rebuild's last one is the swap), then the rankings.
    with typer.progressbar(length=len(STEPS) + 1, label="rebuilding") as bar:

        def progress(step: str) -> None:
            bar.label = step
            bar.update(1)

        async def work() -> None:
            async with session_scope() as session:
                await service.rebuild(
                    session,
                    first,
                    progress,
                    helpers=get_database(),
                    memory=get_settings().analytics.rebuild_memory,
                )
            progress("rankings")

        run_with_database(work)
    seconds = (datetime.now() - started).total_seconds()
    typer.echo(f"analytics rebuilt{f' since {first}' if first else ''} in {seconds:.1f} s")
