"""downloaders: Radarr/Sonarr/Lidarr settings, hand-offs of approved requests, download progress

Approved requests are handed to a downloader (``download_handoffs``, the durable queue of that
hand-off, one row per request) and followed through its queue. A request gains the status
``processing`` (handed off), which counts as open: the one-open-request-per-thing index now
includes it.

Revision ID: 0019_downloaders
Revises: 0018_library_scan_schedule
Create Date: 2026-12-20 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0019_downloaders"
down_revision: str | None = "0018_library_scan_schedule"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
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
        "downloaders",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("base_url", sa.String(length=500), nullable=False),
        sa.Column("api_key", sa.Text(), nullable=False),
        sa.Column("quality_profile_id", sa.Integer(), nullable=True),
        sa.Column("root_folder", sa.String(length=500), nullable=True),
        sa.Column("metadata_profile_id", sa.Integer(), nullable=True),
        sa.Column("minimum_availability", sa.String(length=16), nullable=True),
        sa.Column("series_type", sa.String(length=16), nullable=True),
        sa.Column("season_folder", sa.Boolean(), nullable=True),
        sa.Column("tags", postgresql.ARRAY(sa.Integer()), server_default="{}", nullable=False),
        sa.Column("search_on_add", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("is_default", sa.Boolean(), server_default="false", nullable=False),
        sa.Column(
            "path_map", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False
        ),
        sa.Column("webhook_token_hash", sa.String(length=64), nullable=False),
        sa.Column("last_webhook_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_webhook_event", sa.String(length=40), nullable=True),
        sa.Column("last_checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", sa.DateTime(timezone=True), nullable=True),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_downloaders")),
        sa.UniqueConstraint("webhook_token_hash", name=op.f("uq_downloaders_webhook_token_hash")),
        schema="shared",
    )
    op.create_index(
        "uq_downloaders_default_per_kind",
        "downloaders",
        ["kind"],
        unique=True,
        schema="shared",
        postgresql_where=sa.text("is_default"),
    )
    op.create_index(
        "uq_downloaders_lower_name",
        "downloaders",
        [sa.text("lower(name)")],
        unique=True,
        schema="shared",
    )
    op.create_table(
        "download_handoffs",
        sa.Column("request_id", sa.UUID(), nullable=False),
        sa.Column("downloader_id", sa.UUID(), nullable=True),
        sa.Column("media_type", sa.String(length=16), nullable=False),
        sa.Column("external_source", sa.String(length=32), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("tvdb_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("seasons", postgresql.ARRAY(sa.Integer()), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_code", sa.String(length=32), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=16), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("download_status", sa.String(length=16), nullable=True),
        sa.Column("download_progress", sa.Float(), nullable=True),
        sa.Column("download_size", sa.BigInteger(), nullable=True),
        sa.Column("download_size_left", sa.BigInteger(), nullable=True),
        sa.Column("download_eta", sa.DateTime(timezone=True), nullable=True),
        sa.Column("download_checked_at", sa.DateTime(timezone=True), nullable=True),
        *_timestamps(),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["shared.content_requests.id"],
            name=op.f("fk_download_handoffs_request_id_content_requests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["downloader_id"],
            ["shared.downloaders.id"],
            name=op.f("fk_download_handoffs_downloader_id_downloaders"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_download_handoffs")),
        sa.UniqueConstraint("request_id", name=op.f("uq_download_handoffs_request_id")),
        schema="shared",
    )
    op.create_index(
        "ix_download_handoffs_pending_due",
        "download_handoffs",
        ["next_attempt_at"],
        schema="shared",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "ix_download_handoffs_sent_downloader",
        "download_handoffs",
        ["downloader_id"],
        schema="shared",
        postgresql_where=sa.text("status = 'sent'"),
    )

    for column in (
        sa.Column("downloader_id", sa.UUID(), nullable=True),
        sa.Column("downloader_name", sa.String(length=100), nullable=True),
        sa.Column("downloader_kind", sa.String(length=16), nullable=True),
        sa.Column("downloader_item_id", sa.Integer(), nullable=True),
        sa.Column("handoff_error", sa.Text(), nullable=True),
        sa.Column("download_status", sa.String(length=16), nullable=True),
        sa.Column("download_progress", sa.Float(), nullable=True),
        sa.Column("download_size", sa.BigInteger(), nullable=True),
        sa.Column("download_size_left", sa.BigInteger(), nullable=True),
        sa.Column("download_eta", sa.DateTime(timezone=True), nullable=True),
        sa.Column("download_checked_at", sa.DateTime(timezone=True), nullable=True),
    ):
        op.add_column("content_requests", column, schema="shared")
    op.create_foreign_key(
        op.f("fk_content_requests_downloader_id_downloaders"),
        "content_requests",
        "downloaders",
        ["downloader_id"],
        ["id"],
        source_schema="shared",
        referent_schema="shared",
        ondelete="SET NULL",
    )
    # "processing" (handed to a downloader) is open too: still one open request per thing.
    op.drop_index(
        "uq_content_requests_open_external", table_name="content_requests", schema="shared"
    )
    op.create_index(
        "uq_content_requests_open_external",
        "content_requests",
        ["media_type", "external_id"],
        unique=True,
        schema="shared",
        postgresql_where=sa.text("status IN ('pending', 'approved', 'processing')"),
    )


def downgrade() -> None:
    # A processing request was approved before it was handed off.
    op.execute("UPDATE shared.content_requests SET status = 'approved' WHERE status = 'processing'")
    op.drop_index(
        "uq_content_requests_open_external", table_name="content_requests", schema="shared"
    )
    op.create_index(
        "uq_content_requests_open_external",
        "content_requests",
        ["media_type", "external_id"],
        unique=True,
        schema="shared",
        postgresql_where=sa.text("status IN ('pending', 'approved')"),
    )
    op.drop_constraint(
        op.f("fk_content_requests_downloader_id_downloaders"),
        "content_requests",
        schema="shared",
        type_="foreignkey",
    )
    for name in (
        "download_checked_at",
        "download_eta",
        "download_size_left",
        "download_size",
        "download_progress",
        "download_status",
        "handoff_error",
        "downloader_item_id",
        "downloader_kind",
        "downloader_name",
        "downloader_id",
    ):
        op.drop_column("content_requests", name, schema="shared")
    op.drop_index(
        "ix_download_handoffs_sent_downloader", table_name="download_handoffs", schema="shared"
    )
    op.drop_index(
        "ix_download_handoffs_pending_due", table_name="download_handoffs", schema="shared"
    )
    op.drop_table("download_handoffs", schema="shared")
    op.drop_index("uq_downloaders_lower_name", table_name="downloaders", schema="shared")
    op.drop_index("uq_downloaders_default_per_kind", table_name="downloaders", schema="shared")
    op.drop_table("downloaders", schema="shared")
