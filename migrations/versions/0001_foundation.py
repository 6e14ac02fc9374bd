"""foundation

Revision ID: 0001
Revises:
Create Date: 2026-11-25 13:17:53.380802
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from procrastinate.schema import SchemaManager

# Everything procrastinate's schema creates, so a downgrade leaves an empty database.
PROCRASTINATE_DROP = """
DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers, procrastinate_jobs,
    procrastinate_workers CASCADE;
DROP FUNCTION IF EXISTS procrastinate_defer_jobs_v1, procrastinate_defer_periodic_job_v2,
    procrastinate_fetch_job_v2, procrastinate_finish_job_v1, procrastinate_cancel_job_v1,
    procrastinate_retry_job_v1, procrastinate_retry_job_v2, procrastinate_notify_queue_job_inserted_v1,
    procrastinate_notify_queue_abort_job_v1, procrastinate_trigger_function_status_events_insert_v1,
    procrastinate_trigger_function_status_events_update_v1, procrastinate_trigger_function_scheduled_events_v1,
    procrastinate_trigger_abort_requested_events_procedure_v1, procrastinate_unlink_periodic_defers_v1,
    procrastinate_register_worker_v1, procrastinate_unregister_worker_v1,
    procrastinate_update_heartbeat_v1, procrastinate_prune_stalled_workers_v1 CASCADE;
DROP TYPE IF EXISTS procrastinate_job_status, procrastinate_job_event_type,
    procrastinate_job_to_defer_v1 CASCADE;
"""

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE SCHEMA IF NOT EXISTS shared")
    # The job queue's own schema, from the installed procrastinate (tables procrastinate_*).
    op.execute(SchemaManager.get_schema())
    op.create_table(
        "libraries",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("last_scan_at", sa.DateTime(timezone=True), nullable=True),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_libraries")),
        sa.UniqueConstraint("path", name=op.f("uq_libraries_path")),
    )
    op.create_table(
        "media_images",
        sa.Column("media_type", sa.String(length=16), nullable=False),
        sa.Column("media_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("mtime", sa.Double(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("missing_at", sa.DateTime(timezone=True), nullable=True),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_images")),
        sa.UniqueConstraint("path", name=op.f("uq_media_images_path")),
    )
    op.create_index(
        "ix_media_images_owner", "media_images", ["media_type", "media_id"], unique=False
    )
    op.create_table(
        "rate_limit_buckets",
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("window_start", sa.BigInteger(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_limit_buckets")),
        schema="shared",
    )
    op.create_index(
        op.f("ix_shared_rate_limit_buckets_expires_at"),
        "rate_limit_buckets",
        ["expires_at"],
        unique=False,
        schema="shared",
    )
    op.create_table(
        "users",
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("display_name", sa.String(length=128), nullable=True),
        sa.Column("is_admin", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=True),
        sa.Column("timezone", sa.String(length=64), server_default="UTC", nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        schema="shared",
    )
    op.create_index(
        "uq_users_username_lower",
        "users",
        [sa.literal_column("lower(username)")],
        unique=True,
        schema="shared",
    )
    op.create_table(
        "artists",
        sa.Column("library_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("musicbrainz_artist_id", sa.String(length=36), nullable=True),
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
        sa.ForeignKeyConstraint(
            ["library_id"],
            ["libraries.id"],
            name=op.f("fk_artists_library_id_libraries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_artists")),
    )
    op.create_index(op.f("ix_artists_library_id"), "artists", ["library_id"], unique=False)
    op.create_index(
        op.f("ix_artists_musicbrainz_artist_id"), "artists", ["musicbrainz_artist_id"], unique=False
    )
    op.create_table(
        "library_scans",
        sa.Column("library_id", sa.UUID(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("files_total", sa.Integer(), nullable=False),
        sa.Column("files_done", sa.Integer(), nullable=False),
        sa.Column("items_added", sa.Integer(), nullable=False),
        sa.Column("items_updated", sa.Integer(), nullable=False),
        sa.Column("items_missing", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
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
        sa.ForeignKeyConstraint(
            ["library_id"],
            ["libraries.id"],
            name=op.f("fk_library_scans_library_id_libraries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_library_scans")),
    )
    op.create_index(
        op.f("ix_library_scans_library_id"), "library_scans", ["library_id"], unique=False
    )
    op.create_table(
        "media_files",
        sa.Column("library_id", sa.UUID(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("mtime", sa.Double(), nullable=False),
        sa.Column("container", sa.String(length=32), nullable=True),
        sa.Column("mime_type", sa.String(length=100), nullable=True),
        sa.Column("duration_ms", sa.BigInteger(), nullable=True),
        sa.Column("bitrate", sa.Integer(), nullable=True),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("audio_codec", sa.String(length=32), nullable=True),
        sa.Column("video_codec", sa.String(length=32), nullable=True),
        sa.Column("missing_at", sa.DateTime(timezone=True), nullable=True),
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
        sa.ForeignKeyConstraint(
            ["library_id"],
            ["libraries.id"],
            name=op.f("fk_media_files_library_id_libraries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_files")),
        sa.UniqueConstraint("path", name=op.f("uq_media_files_path")),
    )
    op.create_index(op.f("ix_media_files_library_id"), "media_files", ["library_id"], unique=False)
    op.create_table(
        "series",
        sa.Column("library_id", sa.UUID(), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("overview", sa.Text(), nullable=True),
        sa.Column("genres", sa.ARRAY(sa.String(length=64)), server_default="{}", nullable=False),
        sa.Column("tmdb_id", sa.Integer(), nullable=True),
        sa.Column("tvdb_id", sa.Integer(), nullable=True),
        sa.Column("imdb_id", sa.String(length=16), nullable=True),
        sa.Column("missing_at", sa.DateTime(timezone=True), nullable=True),
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
        sa.ForeignKeyConstraint(
            ["library_id"],
            ["libraries.id"],
            name=op.f("fk_series_library_id_libraries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_series")),
    )
    op.create_index(op.f("ix_series_library_id"), "series", ["library_id"], unique=False)
    op.create_index(op.f("ix_series_tmdb_id"), "series", ["tmdb_id"], unique=False)
    op.create_index(op.f("ix_series_tvdb_id"), "series", ["tvdb_id"], unique=False)
    op.create_table(
        "api_keys",
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
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
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["shared.users.id"],
            name=op.f("fk_api_keys_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
        schema="shared",
    )
    op.create_index(
        op.f("ix_shared_api_keys_user_id"), "api_keys", ["user_id"], unique=False, schema="shared"
    )
    op.create_table(
        "auth_sessions",
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("access_token_hash", sa.String(length=64), nullable=False),
        sa.Column("access_expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("refresh_token_hash", sa.String(length=64), nullable=False),
        sa.Column("refresh_expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("user_agent", sa.String(length=400), nullable=True),
        sa.Column(
            "last_used_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
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
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["shared.users.id"],
            name=op.f("fk_auth_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_sessions")),
        sa.UniqueConstraint("access_token_hash", name=op.f("uq_auth_sessions_access_token_hash")),
        sa.UniqueConstraint("refresh_token_hash", name=op.f("uq_auth_sessions_refresh_token_hash")),
        schema="shared",
    )
    op.create_index(
        op.f("ix_shared_auth_sessions_user_id"),
        "auth_sessions",
        ["user_id"],
        unique=False,
        schema="shared",
    )
    op.create_table(
        "play_sessions",
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("media_type", sa.String(length=16), nullable=False),
        sa.Column("media_id", sa.UUID(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("client", sa.String(length=100), nullable=True),
        sa.Column("device", sa.String(length=100), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_event_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("playing_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("position_ms", sa.BigInteger(), nullable=False),
        sa.Column("played_ms", sa.BigInteger(), nullable=False),
        sa.Column("item_duration_ms", sa.BigInteger(), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("counted", sa.Boolean(), server_default="false", nullable=False),
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
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["shared.users.id"],
            name=op.f("fk_play_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_play_sessions")),
        schema="shared",
    )
    op.create_index(
        "ix_play_sessions_user_ended",
        "play_sessions",
        ["user_id", "ended_at"],
        unique=False,
        schema="shared",
    )
    op.create_index(
        "ix_play_sessions_user_media",
        "play_sessions",
        ["user_id", "media_type", "media_id", "last_event_at"],
        unique=False,
        schema="shared",
    )
    op.create_table(
        "albums",
        sa.Column("artist_id", sa.UUID(), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("genres", sa.ARRAY(sa.String(length=64)), server_default="{}", nullable=False),
        sa.Column("musicbrainz_release_id", sa.String(length=36), nullable=True),
        sa.Column("musicbrainz_release_group_id", sa.String(length=36), nullable=True),
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
        sa.ForeignKeyConstraint(
            ["artist_id"],
            ["artists.id"],
            name=op.f("fk_albums_artist_id_artists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_albums")),
    )
    op.create_index(op.f("ix_albums_artist_id"), "albums", ["artist_id"], unique=False)
    op.create_index(
        op.f("ix_albums_musicbrainz_release_group_id"),
        "albums",
        ["musicbrainz_release_group_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_albums_musicbrainz_release_id"), "albums", ["musicbrainz_release_id"], unique=False
    )
    op.create_table(
        "movies",
        sa.Column("library_id", sa.UUID(), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("overview", sa.Text(), nullable=True),
        sa.Column("genres", sa.ARRAY(sa.String(length=64)), server_default="{}", nullable=False),
        sa.Column("tmdb_id", sa.Integer(), nullable=True),
        sa.Column("imdb_id", sa.String(length=16), nullable=True),
        sa.Column("duration_ms", sa.BigInteger(), nullable=True),
        sa.Column("file_id", sa.UUID(), nullable=True),
        sa.Column("missing_at", sa.DateTime(timezone=True), nullable=True),
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
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["media_files.id"],
            name=op.f("fk_movies_file_id_media_files"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["library_id"],
            ["libraries.id"],
            name=op.f("fk_movies_library_id_libraries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_movies")),
        sa.UniqueConstraint("file_id", name=op.f("uq_movies_file_id")),
    )
    op.create_index(op.f("ix_movies_imdb_id"), "movies", ["imdb_id"], unique=False)
    op.create_index(op.f("ix_movies_library_id"), "movies", ["library_id"], unique=False)
    op.create_index("ix_movies_title_lower", "movies", ["title"], unique=False)
    op.create_index(op.f("ix_movies_tmdb_id"), "movies", ["tmdb_id"], unique=False)
    op.create_table(
        "seasons",
        sa.Column("series_id", sa.UUID(), nullable=False),
        sa.Column("season_number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=True),
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
        sa.ForeignKeyConstraint(
            ["series_id"],
            ["series.id"],
            name=op.f("fk_seasons_series_id_series"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seasons")),
        sa.UniqueConstraint(
            "series_id", "season_number", name=op.f("uq_seasons_series_id_season_number")
        ),
    )
    op.create_index(op.f("ix_seasons_series_id"), "seasons", ["series_id"], unique=False)
    op.create_table(
        "play_events",
        sa.Column("session_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("event", sa.String(length=16), nullable=False),
        sa.Column("position_ms", sa.BigInteger(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "received_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["shared.play_sessions.id"],
            name=op.f("fk_play_events_session_id_play_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_play_events")),
        schema="shared",
    )
    op.create_index(
        "ix_play_events_session",
        "play_events",
        ["session_id", "occurred_at"],
        unique=False,
        schema="shared",
    )
    op.create_index(
        op.f("ix_shared_play_events_user_id"),
        "play_events",
        ["user_id"],
        unique=False,
        schema="shared",
    )
    op.create_table(
        "episodes",
        sa.Column("series_id", sa.UUID(), nullable=False),
        sa.Column("season_id", sa.UUID(), nullable=False),
        sa.Column("season_number", sa.Integer(), nullable=False),
        sa.Column("episode_number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=True),
        sa.Column("tmdb_id", sa.Integer(), nullable=True),
        sa.Column("tvdb_id", sa.Integer(), nullable=True),
        sa.Column("imdb_id", sa.String(length=16), nullable=True),
        sa.Column("duration_ms", sa.BigInteger(), nullable=True),
        sa.Column("file_id", sa.UUID(), nullable=True),
        sa.Column("missing_at", sa.DateTime(timezone=True), nullable=True),
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
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["media_files.id"],
            name=op.f("fk_episodes_file_id_media_files"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["season_id"],
            ["seasons.id"],
            name=op.f("fk_episodes_season_id_seasons"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["series_id"],
            ["series.id"],
            name=op.f("fk_episodes_series_id_series"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_episodes")),
        sa.UniqueConstraint("file_id", name=op.f("uq_episodes_file_id")),
    )
    op.create_index(op.f("ix_episodes_season_id"), "episodes", ["season_id"], unique=False)
    op.create_index(op.f("ix_episodes_series_id"), "episodes", ["series_id"], unique=False)
    op.create_index(
        "ix_episodes_series_number",
        "episodes",
        ["series_id", "season_number", "episode_number"],
        unique=False,
    )
    op.create_table(
        "tracks",
        sa.Column("album_id", sa.UUID(), nullable=False),
        sa.Column("artist_id", sa.UUID(), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("track_number", sa.Integer(), nullable=True),
        sa.Column("disc_number", sa.Integer(), nullable=True),
        sa.Column("duration_ms", sa.BigInteger(), nullable=True),
        sa.Column("musicbrainz_recording_id", sa.String(length=36), nullable=True),
        sa.Column("file_id", sa.UUID(), nullable=True),
        sa.Column("missing_at", sa.DateTime(timezone=True), nullable=True),
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
        sa.ForeignKeyConstraint(
            ["album_id"], ["albums.id"], name=op.f("fk_tracks_album_id_albums"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["artist_id"],
            ["artists.id"],
            name=op.f("fk_tracks_artist_id_artists"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["media_files.id"],
            name=op.f("fk_tracks_file_id_media_files"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracks")),
        sa.UniqueConstraint("file_id", name=op.f("uq_tracks_file_id")),
    )
    op.create_index(op.f("ix_tracks_album_id"), "tracks", ["album_id"], unique=False)
    op.create_index(op.f("ix_tracks_artist_id"), "tracks", ["artist_id"], unique=False)
    op.create_index(
        op.f("ix_tracks_musicbrainz_recording_id"),
        "tracks",
        ["musicbrainz_recording_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_tracks_musicbrainz_recording_id"), table_name="tracks")
    op.drop_index(op.f("ix_tracks_artist_id"), table_name="tracks")
    op.drop_index(op.f("ix_tracks_album_id"), table_name="tracks")
    op.drop_table("tracks")
    op.drop_index("ix_episodes_series_number", table_name="episodes")
    op.drop_index(op.f("ix_episodes_series_id"), table_name="episodes")
    op.drop_index(op.f("ix_episodes_season_id"), table_name="episodes")
    op.drop_table("episodes")
    op.drop_index(op.f("ix_shared_play_events_user_id"), table_name="play_events", schema="shared")
    op.drop_index("ix_play_events_session", table_name="play_events", schema="shared")
    op.drop_table("play_events", schema="shared")
    op.drop_index(op.f("ix_seasons_series_id"), table_name="seasons")
    op.drop_table("seasons")
    op.drop_index(op.f("ix_movies_tmdb_id"), table_name="movies")
    op.drop_index("ix_movies_title_lower", table_name="movies")
    op.drop_index(op.f("ix_movies_library_id"), table_name="movies")
    op.drop_index(op.f("ix_movies_imdb_id"), table_name="movies")
    op.drop_table("movies")
    op.drop_index(op.f("ix_albums_musicbrainz_release_id"), table_name="albums")
    op.drop_index(op.f("ix_albums_musicbrainz_release_group_id"), table_name="albums")
    op.drop_index(op.f("ix_albums_artist_id"), table_name="albums")
    op.drop_table("albums")
    op.drop_index("ix_play_sessions_user_media", table_name="play_sessions", schema="shared")
    op.drop_index("ix_play_sessions_user_ended", table_name="play_sessions", schema="shared")
    op.drop_table("play_sessions", schema="shared")
    op.drop_index(
        op.f("ix_shared_auth_sessions_user_id"), table_name="auth_sessions", schema="shared"
    )
    op.drop_table("auth_sessions", schema="shared")
    op.drop_index(op.f("ix_shared_api_keys_user_id"), table_name="api_keys", schema="shared")
    op.drop_table("api_keys", schema="shared")
    op.drop_index(op.f("ix_series_tvdb_id"), table_name="series")
    op.drop_index(op.f("ix_series_tmdb_id"), table_name="series")
    op.drop_index(op.f("ix_series_library_id"), table_name="series")
    op.drop_table("series")
    op.drop_index(op.f("ix_media_files_library_id"), table_name="media_files")
    op.drop_table("media_files")
    op.drop_index(op.f("ix_library_scans_library_id"), table_name="library_scans")
    op.drop_table("library_scans")
    op.drop_index(op.f("ix_artists_musicbrainz_artist_id"), table_name="artists")
    op.drop_index(op.f("ix_artists_library_id"), table_name="artists")
    op.drop_table("artists")
    op.drop_index("uq_users_username_lower", table_name="users", schema="shared")
    op.drop_table("users", schema="shared")
    op.drop_index(
        op.f("ix_shared_rate_limit_buckets_expires_at"),
        table_name="rate_limit_buckets",
        schema="shared",
    )
    op.drop_table("rate_limit_buckets", schema="shared")
    op.drop_index("ix_media_images_owner", table_name="media_images")
    op.drop_table("media_images")
    op.drop_table("libraries")
    op.execute(PROCRASTINATE_DROP)
    op.execute("DROP SCHEMA IF EXISTS shared")
