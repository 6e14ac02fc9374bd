"""The embedded server starts with its own settings (WAL for crash recovery only, roomy
checkpoints), from a fresh data dir and again from an existing one."""

from __future__ import annotations

from pathlib import Path

import psycopg

from revenge.core.db import release_embedded_postgres, start_embedded_postgres, to_libpq_url


def _settings(url: str) -> dict[str, str]:
    with psycopg.connect(to_libpq_url(url)) as conn:
        rows = conn.execute(
            "SELECT name, setting, unit FROM pg_settings "
            "WHERE name IN ('wal_level', 'max_wal_senders', 'max_wal_size')"
        ).fetchall()
    return {name: f"{setting}{unit or ''}" for name, setting, unit in rows}


def test_a_new_data_dir_gets_the_embedded_settings(tmp_path: Path) -> None:
    expected = {"wal_level": "minimal", "max_wal_senders": "0", "max_wal_size": "4096MB"}
    # A new data dir, then the same one again: the include is added once.
    for _ in range(2):
        try:
            url = start_embedded_postgres(tmp_path, "fresh")
            assert _settings(url) == expected
            conf = (tmp_path / "pg" / "postgresql.conf").read_text()
            assert conf.count("include_if_exists = 'revenge.conf'") == 1
        finally:
            release_embedded_postgres(tmp_path)
