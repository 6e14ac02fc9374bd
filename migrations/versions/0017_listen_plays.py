"""playback: a user's counted track plays by start, for ListenBrainz readers; open sessions

``GET /1/user/{name}/listens`` pages through a user's counted plays of tracks by start time
(``listened_at``) between ``min_ts`` and ``max_ts``, and answers the first and latest listen's
time: a partial index on (user, start) of those plays serves each page and both ends without
reading the user's other sessions. Recording a listen that a client sends twice finds the
stored play through ``ix_play_sessions_user_media`` (user, item) under a per-user lock
(``playback.imports``), so it needs no unique index: one would break the merging of sessions
by late events, which moves the kept session's start onto the merged one's within a flush.

Revision ID: 0017_listen_plays
Revises: 0016_track_match_keys
Create Date: 2026-12-10 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_listen_plays"
down_revision: str | None = "0016_track_match_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The live activity page polls the open sessions every few seconds, and the idle sweeper
    # reads them every minute: neither should scan every play (imports add many).
    op.create_index(
        "ix_play_sessions_open",
        "play_sessions",
        ["last_event_at"],
        unique=False,
        schema="shared",
        postgresql_where=sa.text("ended_at IS NULL"),
    )
    op.create_index(
        "ix_play_sessions_user_listens",
        "play_sessions",
        ["user_id", "started_at"],
        unique=False,
        schema="shared",
        postgresql_where=sa.text("counted AND media_type = 'track' AND ended_at IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_play_sessions_open", table_name="play_sessions", schema="shared")
    op.drop_index("ix_play_sessions_user_listens", table_name="play_sessions", schema="shared")
