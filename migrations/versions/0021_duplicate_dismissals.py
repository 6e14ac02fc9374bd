"""duplicate groups an admin dismissed

``fingerprint_duplicate_dismissals`` keeps the admin's word on a duplicate group ("keep this
one" or "not duplicates") with the members it was given for, so the group stays out of the
list until another member joins it.

Revision ID: 0021_duplicate_dismissals
Revises: 0020_web_player
Create Date: 2026-12-06 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0021_duplicate_dismissals"
down_revision: str | None = "0020_web_player"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "fingerprint_duplicate_dismissals",
        sa.Column("group_id", sa.UUID(), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("keep_subject_type", sa.String(length=16), nullable=True),
        sa.Column("keep_subject_id", sa.UUID(), nullable=True),
        sa.Column("members", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("dismissed_by", sa.UUID(), nullable=True),
        sa.Column(
            "dismissed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["fingerprint_duplicate_groups.id"],
            name=op.f("fk_fingerprint_duplicate_dismissals_group_id"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["dismissed_by"],
            ["shared.users.id"],
            name=op.f("fk_fingerprint_duplicate_dismissals_dismissed_by"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("group_id", name=op.f("pk_fingerprint_duplicate_dismissals")),
    )


def downgrade() -> None:
    op.drop_table("fingerprint_duplicate_dismissals")
