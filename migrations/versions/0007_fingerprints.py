"""fingerprints: media_fingerprints (Chromaprint/pHash with multi-index chunks and a GIN term
index), duplicate groups/members/links, library-wide runs and failures.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 13:37:07.700108
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "fingerprint_duplicate_groups",
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("member_count", sa.Integer(), nullable=False),
        sa.Column("min_score", sa.Float(), nullable=False),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fingerprint_duplicate_groups")),
    )
    op.create_index(
        op.f("ix_fingerprint_duplicate_groups_kind"),
        "fingerprint_duplicate_groups",
        ["kind"],
        unique=False,
    )
    op.create_table(
        "fingerprint_runs",
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.Column("cursor", sa.UUID(), nullable=True),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column(
            "recent_errors",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="[]",
            nullable=False,
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fingerprint_runs")),
    )
    op.create_table(
        "media_fingerprint_failures",
        sa.Column("subject_type", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.UUID(), nullable=False),
        sa.Column("source_path", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_fingerprint_failures")),
        sa.UniqueConstraint(
            "subject_type",
            "subject_id",
            name=op.f("uq_media_fingerprint_failures_subject_type_subject_id"),
        ),
    )
    op.create_table(
        "media_fingerprints",
        sa.Column("media_type", sa.String(length=16), nullable=False),
        sa.Column("media_id", sa.UUID(), nullable=False),
        sa.Column("subject_type", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.UUID(), nullable=False),
        sa.Column("source_kind", sa.String(length=8), nullable=False),
        sa.Column("fingerprint_type", sa.String(length=16), nullable=False),
        sa.Column("frame_index", sa.Integer(), server_default="0", nullable=False),
        sa.Column("fingerprint_data", sa.LargeBinary(), nullable=False),
        sa.Column("phash", sa.BigInteger(), nullable=True),
        sa.Column(
            "c0",
            sa.Integer(),
            sa.Computed("((phash >> 48) & 65535)", persisted=True),
            nullable=True,
        ),
        sa.Column(
            "c1",
            sa.Integer(),
            sa.Computed("((phash >> 32) & 65535)", persisted=True),
            nullable=True,
        ),
        sa.Column(
            "c2",
            sa.Integer(),
            sa.Computed("((phash >> 16) & 65535)", persisted=True),
            nullable=True,
        ),
        sa.Column(
            "c3", sa.Integer(), sa.Computed("((phash >> 0) & 65535)", persisted=True), nullable=True
        ),
        sa.Column("match_terms", postgresql.ARRAY(sa.Integer()), nullable=True),
        sa.Column("duration_ms", sa.BigInteger(), nullable=True),
        sa.Column("algorithm", sa.String(length=32), nullable=False),
        sa.Column("algorithm_version", sa.String(length=32), nullable=False),
        sa.Column("source_path", sa.Text(), nullable=False),
        sa.Column("source_size", sa.BigInteger(), nullable=False),
        sa.Column("source_mtime", sa.Float(), nullable=False),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_fingerprints")),
        sa.UniqueConstraint(
            "subject_type",
            "subject_id",
            "frame_index",
            name=op.f("uq_media_fingerprints_subject_type_subject_id_frame_index"),
        ),
    )
    op.create_index("ix_media_fingerprints_c0", "media_fingerprints", ["c0"], unique=False)
    op.create_index("ix_media_fingerprints_c1", "media_fingerprints", ["c1"], unique=False)
    op.create_index("ix_media_fingerprints_c2", "media_fingerprints", ["c2"], unique=False)
    op.create_index("ix_media_fingerprints_c3", "media_fingerprints", ["c3"], unique=False)
    op.create_index(
        "ix_media_fingerprints_match_terms",
        "media_fingerprints",
        ["match_terms"],
        unique=False,
        postgresql_using="gin",
    )
    op.create_index(
        "ix_media_fingerprints_media",
        "media_fingerprints",
        ["media_type", "media_id"],
        unique=False,
    )
    op.create_table(
        "fingerprint_duplicate_links",
        sa.Column("group_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("a_type", sa.String(length=16), nullable=False),
        sa.Column("a_id", sa.UUID(), nullable=False),
        sa.Column("b_type", sa.String(length=16), nullable=False),
        sa.Column("b_id", sa.UUID(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("measure", sa.Float(), nullable=False),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["fingerprint_duplicate_groups.id"],
            name=op.f("fk_fingerprint_duplicate_links_group_id_fingerprint_duplicate_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fingerprint_duplicate_links")),
        sa.UniqueConstraint(
            "kind",
            "a_type",
            "a_id",
            "b_type",
            "b_id",
            name=op.f("uq_fingerprint_duplicate_links_kind_a_type_a_id_b_type_b_id"),
        ),
    )
    op.create_index(
        op.f("ix_fingerprint_duplicate_links_group_id"),
        "fingerprint_duplicate_links",
        ["group_id"],
        unique=False,
    )
    op.create_table(
        "fingerprint_duplicate_members",
        sa.Column("group_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("subject_type", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.UUID(), nullable=False),
        sa.Column("media_type", sa.String(length=16), nullable=False),
        sa.Column("media_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["fingerprint_duplicate_groups.id"],
            name=op.f("fk_fingerprint_duplicate_members_group_id_fingerprint_duplicate_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fingerprint_duplicate_members")),
        sa.UniqueConstraint(
            "kind",
            "subject_type",
            "subject_id",
            name=op.f("uq_fingerprint_duplicate_members_kind_subject_type_subject_id"),
        ),
    )
    op.create_index(
        op.f("ix_fingerprint_duplicate_members_group_id"),
        "fingerprint_duplicate_members",
        ["group_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_fingerprint_duplicate_members_group_id"),
        table_name="fingerprint_duplicate_members",
    )
    op.drop_table("fingerprint_duplicate_members")
    op.drop_index(
        op.f("ix_fingerprint_duplicate_links_group_id"), table_name="fingerprint_duplicate_links"
    )
    op.drop_table("fingerprint_duplicate_links")
    op.drop_index("ix_media_fingerprints_media", table_name="media_fingerprints")
    op.drop_index(
        "ix_media_fingerprints_match_terms", table_name="media_fingerprints", postgresql_using="gin"
    )
    op.drop_index("ix_media_fingerprints_c3", table_name="media_fingerprints")
    op.drop_index("ix_media_fingerprints_c2", table_name="media_fingerprints")
    op.drop_index("ix_media_fingerprints_c1", table_name="media_fingerprints")
    op.drop_index("ix_media_fingerprints_c0", table_name="media_fingerprints")
    op.drop_table("media_fingerprints")
    op.drop_table("media_fingerprint_failures")
    op.drop_table("fingerprint_runs")
    op.drop_index(
        op.f("ix_fingerprint_duplicate_groups_kind"), table_name="fingerprint_duplicate_groups"
    )
    op.drop_table("fingerprint_duplicate_groups")
