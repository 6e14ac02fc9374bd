"""library: normalized match keys on movies, series and tracks; episode and series id indexes

Plays from other servers and ListenBrainz clients name items by title ("Björk – Jóga",
"BJORK - Joga"). Movies and series keep their normalized title, tracks their normalized
artist + title (``revenge.library.match_keys``), indexed, so that a batch of listens is matched
with one lookup. Existing rows are backfilled here, in batches, in Python: the normalization
(Unicode decomposition, case folding, "feat." parts) is not expressible in plain SQL.
Episodes' own TMDB/TVDB/IMDb ids and series' IMDb ids are looked up by senders, hence indexed.

Revision ID: 0016_track_match_keys
Revises: 0015_ingest
Create Date: 2026-12-09 10:00:00
"""

from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# The application's own normalization: the keys written here must equal the ones the scanner
# and the matcher compute.
from revenge.library.match_keys import title_key, track_match_key

revision: str = "0016_track_match_keys"
down_revision: str | None = "0015_ingest"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5000


def _table(name: str, *columns: str) -> sa.TableClause:
    return sa.table(name, *(sa.column(c) for c in ("id", "match_key", *columns)), schema="public")


def _batches(connection: sa.Connection, query: sa.Select[Any], id_column: Any) -> Iterator[Any]:
    """Rows of ``query`` in id order, a batch at a time (keyset paging: each batch is one range
    of the primary key index)."""
    after = None
    while True:
        page = query.order_by(id_column).limit(BATCH)
        if after is not None:
            page = page.where(id_column > after)
        rows = connection.execute(page).all()
        if not rows:
            return
        yield rows
        after = rows[-1].id


def _store(connection: sa.Connection, table: sa.TableClause, keys: dict[Any, str]) -> None:
    """One UPDATE per batch: the keys arrive as two arrays, unnested into rows."""
    values = (
        sa.func.unnest(
            sa.cast(sa.literal(list(keys)), postgresql.ARRAY(sa.UUID())),
            sa.cast(sa.literal(list(keys.values())), postgresql.ARRAY(sa.Text())),
        )
        .table_valued("id", "key")
        .render_derived(name="v")
    )
    connection.execute(
        sa.update(table).where(table.c.id == values.c.id).values(match_key=values.c.key)
    )


def _backfill() -> None:
    connection = op.get_bind()
    for name in ("movies", "series"):
        table = _table(name, "title")
        for rows in _batches(connection, sa.select(table.c.id, table.c.title), table.c.id):
            _store(connection, table, {row.id: title_key(row.title) for row in rows})
    tracks = _table("tracks", "title", "artist_id")
    artists = sa.table("artists", sa.column("id"), sa.column("name"), schema="public")
    query = sa.select(tracks.c.id, tracks.c.title, artists.c.name).join(
        artists, artists.c.id == tracks.c.artist_id
    )
    for rows in _batches(connection, query, tracks.c.id):
        _store(connection, tracks, {row.id: track_match_key(row.name, row.title) for row in rows})


def upgrade() -> None:
    for table in ("movies", "series", "tracks"):
        op.add_column(table, sa.Column("match_key", sa.Text(), nullable=True))
    _backfill()
    # The indexes after the backfill: built once instead of updated row by row.
    for table in ("movies", "series", "tracks"):
        op.create_index(op.f(f"ix_{table}_match_key"), table, ["match_key"], unique=False)
    for column in ("tmdb_id", "tvdb_id", "imdb_id"):
        op.create_index(op.f(f"ix_episodes_{column}"), "episodes", [column], unique=False)
    op.create_index(op.f("ix_series_imdb_id"), "series", ["imdb_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_series_imdb_id"), table_name="series")
    for column in ("tmdb_id", "tvdb_id", "imdb_id"):
        op.drop_index(op.f(f"ix_episodes_{column}"), table_name="episodes")
    for table in ("movies", "series", "tracks"):
        op.drop_index(op.f(f"ix_{table}_match_key"), table_name=table)
        op.drop_column(table, "match_key")
