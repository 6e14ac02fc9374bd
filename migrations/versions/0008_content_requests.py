"""content requests

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 14:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
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
        "content_requests",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("media_type", sa.String(length=16), nullable=False),
        sa.Column("external_source", sa.String(length=32), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("tvdb_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("overview", sa.Text(), nullable=True),
        sa.Column("poster_path", sa.String(length=500), nullable=True),
        sa.Column("seasons", postgresql.ARRAY(sa.Integer()), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_reason", sa.String(length=32), nullable=True),
        sa.Column("admin_note", sa.Text(), nullable=True),
        sa.Column(
            "requested_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("processed_by", sa.UUID(), nullable=True),
        sa.Column("available_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("library_media_type", sa.String(length=16), nullable=True),
        sa.Column("library_media_id", sa.UUID(), nullable=True),
        *_timestamps(),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["shared.users.id"],
            name=op.f("fk_content_requests_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["processed_by"],
            ["shared.users.id"],
            name=op.f("fk_content_requests_processed_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_requests")),
        schema="shared",
    )
    op.create_index(
        "uq_content_requests_open_external",
        "content_requests",
        ["media_type", "external_id"],
        unique=True,
        schema="shared",
        postgresql_where=sa.text("status IN ('pending', 'approved')"),
    )
    op.create_index(
        "ix_content_requests_user_type_time",
        "content_requests",
        ["user_id", "media_type", "requested_at"],
        schema="shared",
    )
    op.create_index("ix_content_requests_status", "content_requests", ["status"], schema="shared")
    op.create_table(
        "content_request_interests",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("request_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["shared.content_requests.id"],
            name=op.f("fk_content_request_interests_request_id_content_requests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["shared.users.id"],
            name=op.f("fk_content_request_interests_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_request_interests")),
        sa.UniqueConstraint(
            "request_id", "user_id", name=op.f("uq_content_request_interests_request_id_user_id")
        ),
        schema="shared",
    )
    op.create_index(
        op.f("ix_shared_content_request_interests_user_id"),
        "content_request_interests",
        ["user_id"],
        schema="shared",
    )
    op.create_table(
        "content_request_user_settings",
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("quota_movie", sa.Integer(), nullable=True),
        sa.Column("quota_tv", sa.Integer(), nullable=True),
        sa.Column("quota_music", sa.Integer(), nullable=True),
        sa.Column("quota_days", sa.Integer(), nullable=True),
        sa.Column("auto_approve", sa.Boolean(), server_default="false", nullable=False),
        *_timestamps(),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["shared.users.id"],
            name=op.f("fk_content_request_user_settings_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_content_request_user_settings")),
        schema="shared",
    )


def downgrade() -> None:
    op.drop_table("content_request_user_settings", schema="shared")
    op.drop_index(
        op.f("ix_shared_content_request_interests_user_id"),
        table_name="content_request_interests",
        schema="shared",
    )
    op.drop_table("content_request_interests", schema="shared")
    op.drop_index("ix_content_requests_status", table_name="content_requests", schema="shared")
    op.drop_index(
        "ix_content_requests_user_type_time", table_name="content_requests", schema="shared"
    )
    op.drop_index(
        "uq_content_requests_open_external", table_name="content_requests", schema="shared"
    )
    op.drop_table("content_requests", schema="shared")
