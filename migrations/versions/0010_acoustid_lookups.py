"""acoustid lookups: AcoustID look-ups per track, shared call-spacing slots

Revision ID: 0010_acoustid_lookups
Revises: 0009
Create Date: 2026-11-25 16:11:45.101599
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_acoustid_lookups"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rate_limit_slots",
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("free_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key", "slot", name=op.f("pk_rate_limit_slots")),
        schema="shared",
    )
    op.create_table(
        "acoustid_lookups",
        sa.Column("track_id", sa.UUID(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "next_attempt_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("acoustid_id", sa.String(length=36), nullable=True),
        sa.Column("recording_id", sa.String(length=36), nullable=True),
        sa.Column("recording_title", sa.Text(), nullable=True),
        sa.Column("recording_artist", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("api_key_hash", sa.String(length=64), nullable=True),
        sa.Column("looked_up_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["track_id"],
            ["tracks.id"],
            name=op.f("fk_acoustid_lookups_track_id_tracks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("track_id", name=op.f("pk_acoustid_lookups")),
    )
    op.create_index(
        "ix_acoustid_lookups_due",
        "acoustid_lookups",
        ["next_attempt_at"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index("ix_acoustid_lookups_status", "acoustid_lookups", ["status"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_acoustid_lookups_status", table_name="acoustid_lookups")
    op.drop_index(
        "ix_acoustid_lookups_due",
        table_name="acoustid_lookups",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_table("acoustid_lookups")
    op.drop_table("rate_limit_slots", schema="shared")
