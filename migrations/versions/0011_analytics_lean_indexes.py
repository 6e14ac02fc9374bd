"""analytics: drop indexes no query uses (they only slowed every play and the rebuild); the
reports read a period's user rows from a covering index

Revision ID: 0011_analytics_lean_indexes
Revises: 0010_acoustid_lookups
Create Date: 2026-11-25 16:45:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011_analytics_lean_indexes"
down_revision: str | None = "0010_acoustid_lookups"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNUSED = [
    ("ix_analytics_play_facts_media", "analytics_play_facts", ["media_type", "media_id"]),
    ("ix_analytics_play_facts_user_day", "analytics_play_facts", ["user_id", "local_day"]),
    ("ix_analytics_media_users_user", "analytics_media_users", ["user_id"]),
]


REPORT_COLUMNS = [
    "user_id",
    "movies_watched",
    "episodes_watched",
    "music_tracks_played",
    "total_watch_time_ms",
]


def upgrade() -> None:
    for name, table, _ in UNUSED:
        op.drop_index(name, table_name=table, schema="shared")
    op.drop_index("ix_user_statistics_period", table_name="user_statistics", schema="shared")
    op.create_index(
        "ix_user_statistics_period",
        "user_statistics",
        ["period", "period_start"],
        unique=False,
        schema="shared",
        postgresql_include=REPORT_COLUMNS,
    )


def downgrade() -> None:
    op.drop_index("ix_user_statistics_period", table_name="user_statistics", schema="shared")
    op.create_index(
        "ix_user_statistics_period",
        "user_statistics",
        ["period", "period_start"],
        unique=False,
        schema="shared",
    )
    for name, table, columns in UNUSED:
        op.create_index(name, table, columns, unique=False, schema="shared")
