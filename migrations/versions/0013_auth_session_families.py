"""auth sessions: refresh-token families

Every session issued by refreshing another carries the first login's id as ``family_id``. A
rotated refresh token presented again (stolen and used by someone else, or replayed) revokes
the whole family, as the OAuth 2.0 Security BCP asks.

Revision ID: 0013_auth_session_families
Revises: 0012_analytics_report_cache
Create Date: 2026-12-06 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0013_auth_session_families"
down_revision: str | None = "0012_analytics_report_cache"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "auth_sessions",
        sa.Column("family_id", postgresql.UUID(as_uuid=True), nullable=True),
        schema="shared",
    )
    op.execute("UPDATE shared.auth_sessions SET family_id = id")
    op.alter_column(
        "auth_sessions",
        "family_id",
        nullable=False,
        server_default=sa.func.gen_random_uuid(),
        schema="shared",
    )
    op.create_index("ix_auth_sessions_family_id", "auth_sessions", ["family_id"], schema="shared")


def downgrade() -> None:
    op.drop_index("ix_auth_sessions_family_id", table_name="auth_sessions", schema="shared")
    op.drop_column("auth_sessions", "family_id", schema="shared")
