"""library: scheduled scans, folder watching, targeted scans

Each library gets a scan interval (minutes, 0 = off; 360 by default) and a watch flag (off by
default). A scan row may name a folder or file inside its library (``target_path``): a targeted
scan of that subtree. Targeted scans select a subtree's files and images by path prefix
(``LIKE '/folder/%'``), which only a ``text_pattern_ops`` index serves whatever the database's
collation, and look for a file moved in from elsewhere in the library by its size.

Revision ID: 0018_library_scan_schedule
Revises: 0017_listen_plays
Create Date: 2026-12-20 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_library_scan_schedule"
down_revision: str | None = "0017_listen_plays"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "libraries",
        sa.Column("scan_interval_minutes", sa.Integer(), server_default="360", nullable=False),
    )
    op.add_column(
        "libraries",
        sa.Column("watch", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.add_column("library_scans", sa.Column("target_path", sa.Text(), nullable=True))
    op.create_index(
        "ix_media_files_path_prefix",
        "media_files",
        ["path"],
        postgresql_ops={"path": "text_pattern_ops"},
    )
    # A targeted scan's new file may be one moved in from elsewhere in the library: looked up
    # by size (and mtime) among the library's files.
    op.create_index("ix_media_files_size_bytes", "media_files", ["size_bytes"])
    op.create_index(
        "ix_media_images_path_prefix",
        "media_images",
        ["path"],
        postgresql_ops={"path": "text_pattern_ops"},
    )


def downgrade() -> None:
    op.drop_index("ix_media_images_path_prefix", table_name="media_images")
    op.drop_index("ix_media_files_size_bytes", table_name="media_files")
    op.drop_index("ix_media_files_path_prefix", table_name="media_files")
    op.drop_column("library_scans", "target_path")
    op.drop_column("libraries", "watch")
    op.drop_column("libraries", "scan_interval_minutes")
