"""web app: played marks, generated passwords to change

``played_marks`` holds a user's "mark played / unplayed" per item (the web app's item page);
``users.must_change_password`` is set for a password the server generated, so the web app asks
for a new one at the next sign-in.

Revision ID: 0020_web_player
Revises: 0019_downloaders
Create Date: 2026-12-06 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0020_web_player"
down_revision: str | None = "0019_downloaders"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "played_marks",
        sa.Column("user_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("media_type", sa.String(16), nullable=False),
        sa.Column("media_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("played_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unplayed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["shared.users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "media_type", "media_id"),
        schema="shared",
    )
    op.add_column(
        "users",
        sa.Column(
            "must_change_password", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        schema="shared",
    )


def downgrade() -> None:
    op.drop_column("users", "must_change_password", schema="shared")
    op.drop_table("played_marks", schema="shared")
