"""analytics: reports keep their per-user part until a play or a user changes it; a user's
top lists are read from an index

``analytics_daily_totals.changes`` counts every change to a UTC day's rollups (it only grows
until a rebuild); a cached report is valid while the sum over its days, and the users' count
and latest update, are what they were when it was built.

Revision ID: 0012_analytics_report_cache
Revises: 0011_analytics_lean_indexes
Create Date: 2026-11-25 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_analytics_report_cache"
down_revision: str | None = "0011_analytics_lean_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "analytics_daily_totals",
        sa.Column("changes", sa.BigInteger(), server_default="0", nullable=False),
        schema="shared",
    )
    op.create_table(
        "analytics_report_cache",
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("stamp", sa.String(length=100), nullable=False),
        sa.Column("users_json", sa.Text(), nullable=False),
        sa.Column("head_json", sa.Text(), nullable=False),
        sa.Column(
            "built_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("period", "period_start", name=op.f("pk_analytics_report_cache")),
        schema="shared",
    )
    # Read whole on every download: uncompressed, pglz would take longer than the read.
    op.execute(
        "ALTER TABLE shared.analytics_report_cache ALTER COLUMN users_json SET STORAGE EXTERNAL"
    )
    op.create_index(
        "ix_analytics_user_tops_ranked",
        "analytics_user_tops",
        ["user_id", "kind", sa.text("plays DESC"), "name"],
        unique=False,
        schema="shared",
        postgresql_include=["key"],
    )


def downgrade() -> None:
    op.drop_index(
        "ix_analytics_user_tops_ranked", table_name="analytics_user_tops", schema="shared"
    )
    op.drop_table("analytics_report_cache", schema="shared")
    op.drop_column("analytics_daily_totals", "changes", schema="shared")
