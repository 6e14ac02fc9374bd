"""What start-up shows a person: the banner's address, and, when the embedded PostgreSQL
cannot start, an error that points at the log holding its output."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from revenge.cli import banner_lines, open_url
from revenge.core.config import Settings
from revenge.core.db import POSTGRES_LOG, EmbeddedPostgresError, start_embedded_postgres


def _settings(**values: object) -> Settings:
    return Settings(secret_key=SecretStr("x" * 32), **values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"host": "127.0.0.1", "port": 8096}, "http://127.0.0.1:8096/"),
        ({"host": "0.0.0.0", "port": 9000}, "http://localhost:9000/"),  # noqa: S104
        ({"host": "::", "port": 9000}, "http://localhost:9000/"),
        ({"host": "::1", "port": 9000}, "http://[::1]:9000/"),
        (
            {"host": "0.0.0.0", "public_url": "https://media.example.org"},  # noqa: S104
            "https://media.example.org",
        ),
    ],
)
def test_the_address_to_open(values: dict[str, object], expected: str) -> None:
    assert open_url(_settings(**values)) == expected


def test_the_banner_names_the_first_admin_only_on_the_first_start() -> None:
    settings = _settings(host="127.0.0.1", port=8096)
    first = banner_lines(settings, ("admin", "s3cret-generated"))
    assert "Revenge is ready: open http://127.0.0.1:8096/" in first
    assert "First start: sign in as admin with the password s3cret-generated" in first
    later = banner_lines(settings, None)
    assert not any("password" in line for line in later)
    assert len(later) <= 3


def test_a_failed_start_points_at_the_postgres_log(tmp_path: Path) -> None:
    # A data directory that claims to be initialised but holds no cluster: pg_ctl fails.
    pgdata = tmp_path / "pg"
    pgdata.mkdir()
    (pgdata / "PG_VERSION").write_text("18\n")
    (pgdata / "postgresql.conf").write_text("")
    with pytest.raises(EmbeddedPostgresError) as failure:
        start_embedded_postgres(tmp_path, "broken")
    log_path = tmp_path / POSTGRES_LOG
    assert str(log_path) in str(failure.value)
    output = log_path.read_text()
    assert "pg_ctl" in output  # the failed command and the server's own words are in the log
