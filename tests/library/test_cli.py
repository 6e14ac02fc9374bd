"""`revenge library add | list | scan` against the test database (committed data)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from revenge.cli import app
from revenge.core.config import Settings, get_settings, set_settings


@pytest.fixture
def cli_database(
    committed_db, database_url: str, test_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """Point the CLI's settings at the test database; tables are emptied afterwards."""
    # Each CliRunner.invoke swaps sys.stderr and closes it afterwards; loggers configured
    # (and cached) inside one invoke would write to a closed stream in the next.
    monkeypatch.setattr("revenge.core.logging.configure_logging", lambda **_: None)
    set_settings(test_settings.model_copy(update={"database_url": database_url}))
    try:
        yield database_url
    finally:
        set_settings(test_settings)


def query(url: str, sql: str) -> list[tuple]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(sql))]
    finally:
        engine.dispose()


def test_add_list_and_scan(cli_database, tree):
    t = tree("cli")
    t.add("Heat (1995) [tmdbid-949]/Heat (1995).mkv", t.media.mkv)
    t.add("Up (2009)/Up (2009).mp4", t.media.mp4)
    runner = CliRunner()

    added = runner.invoke(app, ["library", "add", "Films", "movies", str(t.root)])
    assert added.exit_code == 0, added.output
    assert "added Films (movies)" in added.output
    assert get_settings().database_url == cli_database

    listed = runner.invoke(app, ["library", "list"])
    assert listed.exit_code == 0, listed.output
    assert f"Films\tmovies\t{t.root}\tnever" in listed.output

    scanned = runner.invoke(app, ["library", "scan", "films"])  # names match case-insensitively
    assert scanned.exit_code == 0, scanned.output
    assert "Films: 2 files, 2 added, 0 updated, 0 missing" in scanned.output
    movies = query(cli_database, "SELECT title, year, tmdb_id FROM public.movies ORDER BY title")
    assert [(m[0], m[1], m[2]) for m in movies] == [("Heat", 1995, 949), ("Up", 2009, None)]
    scans = query(cli_database, "SELECT status, files_done FROM public.library_scans")
    assert scans == [("done", 2)]

    rescanned = runner.invoke(app, ["library", "scan"])  # all libraries
    assert "Films: 2 files, 0 added, 0 updated, 0 missing" in rescanned.output
    assert "never" not in runner.invoke(app, ["library", "list"]).output


def test_cli_errors(cli_database, tmp_path):
    runner = CliRunner()
    missing = runner.invoke(app, ["library", "add", "X", "movies", str(tmp_path / "nope")])
    assert missing.exit_code == 1
    assert "does not exist" in missing.output
    bad_kind = runner.invoke(app, ["library", "add", "X", "books", str(tmp_path)])
    assert bad_kind.exit_code == 2
    unknown = runner.invoke(app, ["library", "scan", "Nothing"])
    assert unknown.exit_code == 1 and "no such library: Nothing" in unknown.output
    assert "no libraries" in runner.invoke(app, ["library", "list"]).output
