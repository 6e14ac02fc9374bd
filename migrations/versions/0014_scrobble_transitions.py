"""scrobbling: recorded playback transitions, planned per user

A playback event's subscriber only records the transition here; one planning job per user
(queueing lock ``scrobble-plan:{user_id}``) turns all of that user's rows into queue items and
deletes them in one transaction. Rows left behind by a failed planning job are swept.

Revision ID: 0014_scrobble_transitions
Revises: 0013_auth_session_families
Create Date: 2026-12-08 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0014_scrobble_transitions"
down_revision: str | None = "0013_auth_session_families"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "scrobble_transitions",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("session_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("facts", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["shared.users.id"],
            name=op.f("fk_scrobble_transitions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scrobble_transitions")),
        schema="shared",
    )
    op.create_index(
        "ix_scrobble_transitions_user_id_id",
        "scrobble_transitions",
        ["user_id", "id"],
        schema="shared",
    )


def downgrade() -> None:
    op.drop_index(
        "ix_scrobble_transitions_user_id_id", table_name="scrobble_transitions", schema="shared"
    )
    op.drop_table("scrobble_transitions", schema="shared")
