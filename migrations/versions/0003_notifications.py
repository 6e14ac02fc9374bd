"""notifications: inbox, preferences, channels, push devices, deliveries

Revision ID: 0003
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = "shared"


def _id() -> sa.Column:
    return sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False)


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


def _user(index: bool = False) -> sa.Column:
    return sa.Column(
        "user_id",
        sa.UUID(),
        sa.ForeignKey("shared.users.id", ondelete="CASCADE"),
        nullable=False,
        index=index,
    )


def upgrade() -> None:
    op.create_table(
        "notifications",
        _id(),
        _user(),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("data", postgresql.JSONB(), server_default="{}", nullable=False),
        sa.Column("locale", sa.String(16), nullable=False),
        sa.Column("group_key", sa.String(200), nullable=True),
        sa.Column("in_app", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_notifications"),
        schema=S,
    )
    op.create_index(
        "ix_notifications_user_created", "notifications", ["user_id", "created_at"], schema=S
    )
    op.create_index(
        "ix_notifications_user_unread",
        "notifications",
        ["user_id"],
        schema=S,
        postgresql_where=sa.text("read_at IS NULL AND in_app"),
    )
    op.create_table(
        "notification_preferences",
        _id(),
        _user(),
        sa.Column("notification_type", sa.String(64), nullable=False),
        sa.Column("in_app", sa.Boolean(), nullable=False),
        sa.Column("email", sa.Boolean(), nullable=False),
        sa.Column("push", sa.Boolean(), nullable=False),
        sa.Column("webhook", sa.Boolean(), nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_notification_preferences"),
        sa.UniqueConstraint(
            "user_id",
            "notification_type",
            name="uq_notification_preferences_user_id_notification_type",
        ),
        schema=S,
    )
    op.create_table(
        "notification_channels",
        _id(),
        _user(index=True),
        sa.Column("channel_type", sa.String(16), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("config", postgresql.JSONB(), server_default="{}", nullable=False),
        sa.Column("consecutive_failures", sa.Integer(), server_default="0", nullable=False),
        sa.Column("disabled_reason", sa.Text(), nullable=True),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=True),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_notification_channels"),
        schema=S,
    )
    op.create_table(
        "push_devices",
        _id(),
        _user(index=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("keys", postgresql.JSONB(), nullable=True),
        sa.Column(
            "last_seen_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("disabled_reason", sa.Text(), nullable=True),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_push_devices"),
        sa.UniqueConstraint("token", name="uq_push_devices_token"),
        schema=S,
    )
    op.create_table(
        "notification_deliveries",
        _id(),
        sa.Column(
            "notification_id",
            sa.UUID(),
            sa.ForeignKey("shared.notifications.id", ondelete="CASCADE"),
            nullable=False,
        ),
        _user(index=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("target_key", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "next_attempt_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("response_code", sa.Integer(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_notification_deliveries"),
        sa.UniqueConstraint(
            "notification_id",
            "channel",
            "target_key",
            name="uq_notification_deliveries_notification_id_channel_target_key",
        ),
        schema=S,
    )
    op.create_index(
        "ix_notification_deliveries_due",
        "notification_deliveries",
        ["channel", "next_attempt_at"],
        schema=S,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_table(
        "notification_delivery_attempts",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column(
            "delivery_id",
            sa.UUID(),
            sa.ForeignKey("shared.notification_deliveries.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("response_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name="pk_notification_delivery_attempts"),
        schema=S,
    )
    op.create_table(
        "notification_pending_content",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("media_type", sa.String(16), nullable=False),
        sa.Column("media_id", sa.UUID(), nullable=False),
        sa.Column("library_id", sa.UUID(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name="pk_notification_pending_content"),
        schema=S,
    )


def downgrade() -> None:
    op.drop_table("notification_pending_content", schema=S)
    op.drop_table("notification_delivery_attempts", schema=S)
    op.drop_index("ix_notification_deliveries_due", table_name="notification_deliveries", schema=S)
    op.drop_table("notification_deliveries", schema=S)
    op.drop_table("push_devices", schema=S)
    op.drop_table("notification_channels", schema=S)
    op.drop_table("notification_preferences", schema=S)
    op.drop_index("ix_notifications_user_unread", table_name="notifications", schema=S)
    op.drop_index("ix_notifications_user_created", table_name="notifications", schema=S)
    op.drop_table("notifications", schema=S)
