"""share links: media grants and their access log

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamps() -> list[sa.Column]:
    return [
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
    ]


def upgrade() -> None:
    op.create_table(
        "media_grants",
        sa.Column("created_by", sa.UUID(), nullable=False),
        sa.Column("media_type", sa.String(length=16), nullable=False),
        sa.Column("media_id", sa.UUID(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("max_views", sa.Integer(), nullable=True),
        sa.Column("current_views", sa.Integer(), server_default="0", nullable=False),
        sa.Column("requires_password", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("allow_download", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_viewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        *_timestamps(),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["shared.users.id"],
            name=op.f("fk_media_grants_created_by_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_grants")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_media_grants_token_hash")),
        schema="shared",
    )
    op.create_index(
        "ix_media_grants_owner_created",
        "media_grants",
        ["created_by", "created_at"],
        unique=False,
        schema="shared",
    )
    op.create_table(
        "media_grant_access_log",
        sa.Column("grant_id", sa.UUID(), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("ip_hash", sa.String(length=64), nullable=False),
        sa.Column("user_agent", sa.String(length=300), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["grant_id"],
            ["shared.media_grants.id"],
            name=op.f("fk_media_grant_access_log_grant_id_media_grants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_grant_access_log")),
        schema="shared",
    )
    op.create_index(
        "ix_media_grant_access_log_grant_at",
        "media_grant_access_log",
        ["grant_id", "at"],
        unique=False,
        schema="shared",
    )


def downgrade() -> None:
    op.drop_index(
        "ix_media_grant_access_log_grant_at", table_name="media_grant_access_log", schema="shared"
    )
    op.drop_table("media_grant_access_log", schema="shared")
    op.drop_index("ix_media_grants_owner_created", table_name="media_grants", schema="shared")
    op.drop_table("media_grants", schema="shared")
