"""Settings: every knob is a ``REVENGE_*`` environment variable (or a line in ``.env``).

Groups are separate ``BaseSettings`` classes with their own prefix, so the environment keeps
the flat names users type (``REVENGE_SMTP_HOST``) while code reads ``settings.smtp.host``.
"""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MIN_SECRET_LENGTH = 32


def _group(prefix: str) -> SettingsConfigDict:
    return SettingsConfigDict(
        env_prefix=prefix, env_file=".env", extra="ignore", env_file_encoding="utf-8"
    )


class SmtpSettings(BaseSettings):
    model_config = _group("REVENGE_SMTP_")
    host: str | None = None
    port: int = 587
    username: str | None = None
    password: SecretStr | None = None
    from_: str = Field("Revenge <revenge@localhost>", alias="REVENGE_SMTP_FROM")
    tls: Literal["none", "starttls", "tls"] = "starttls"
    # A home mail server often has a certificate from its own CA: trust that bundle too.
    ca_file: Path | None = None
    timeout_seconds: float = 15.0


class FcmSettings(BaseSettings):
    model_config = _group("REVENGE_FCM_")
    credentials_file: Path | None = None
    api_url: str = "https://fcm.googleapis.com"


class WebPushSettings(BaseSettings):
    model_config = _group("REVENGE_WEBPUSH_")
    # false = no Web Push at all (no key is generated, the public-key endpoint answers 404).
    enabled: bool = True
    # Unset = a key generated once into DATA_DIR/vapid_private_key.pem (see Settings.vapid_key_file).
    vapid_private_key_file: Path | None = None
    vapid_subject: str = "mailto:admin@localhost"


class WebhookSettings(BaseSettings):
    model_config = _group("REVENGE_WEBHOOK_")
    # Comma separated CIDRs/hosts an admin allows despite the SSRF guard (e.g. "127.0.0.1/32").
    allow_list: str = ""
    max_failures_before_disable: int = 10
    timeout_seconds: float = 10.0


class TraktSettings(BaseSettings):
    model_config = _group("REVENGE_TRAKT_")
    api_url: str = "https://api.trakt.tv"
    auth_url: str = "https://trakt.tv"
    client_id: str | None = None
    client_secret: SecretStr | None = None
    # Trakt allows one POST per second per user (AUTHED_API_POST_LIMIT).
    write_interval_seconds: float = 1.0


class LastfmSettings(BaseSettings):
    model_config = _group("REVENGE_LASTFM_")
    api_url: str = "https://ws.audioscrobbler.com/2.0/"
    auth_url: str = "https://www.last.fm/api/auth/"
    api_key: str | None = None
    api_secret: SecretStr | None = None


class ListenBrainzSettings(BaseSettings):
    model_config = _group("REVENGE_LISTENBRAINZ_")
    api_url: str = "https://api.listenbrainz.org"


class ScrobbleSettings(BaseSettings):
    """Delivery policy of the scrobble queue (README "Scrobbling")."""

    model_config = _group("REVENGE_SCROBBLE_")
    max_attempts: int = 12
    backoff_base_seconds: float = 30.0
    backoff_cap_seconds: float = 6 * 3600.0
    # now-playing / start / pause older than this are dropped instead of sent late.
    ephemeral_ttl_seconds: int = 3600


class MetadataSettings(BaseSettings):
    model_config = _group("REVENGE_")
    tmdb_api_url: str = "https://api.themoviedb.org/3"
    tmdb_api_key: SecretStr | None = None
    # TMDB's image CDN (posters of search results, discovery and requests); w342 is sharp at
    # the 10 rem the web app's cards are wide.
    tmdb_image_url: str = "https://image.tmdb.org/t/p/w342"
    musicbrainz_api_url: str = "https://musicbrainz.org/ws/2"
    # AcoustID fills missing MusicBrainz recording ids of fingerprinted tracks (README
    # "Fingerprints"); off without an application API key.
    acoustid_api_url: str = "https://api.acoustid.org/v2"
    acoustid_api_key: SecretStr | None = None
    acoustid_min_score: float = Field(0.8, ge=0.0, le=1.0)
    # AcoustID's limit for free applications, counted over every worker of this installation.
    acoustid_requests_per_second: int = Field(3, ge=1)
    # MusicBrainz allows one request per second per client; content requests wait their turn.
    musicbrainz_min_interval_seconds: float = 1.0


class RequestSettings(BaseSettings):
    """Content request quotas: N requests per user and media type per rolling window (0 = no limit)."""

    model_config = _group("REVENGE_REQUESTS_")
    quota_movie: int = Field(10, ge=0)
    quota_tv: int = Field(5, ge=0)
    quota_music: int = Field(20, ge=0)
    quota_days: int = Field(7, ge=1)


class PlayRuleSettings(BaseSettings):
    """When a play counts (analytics, history, scrobbling). Documented in the README."""

    model_config = _group("REVENGE_PLAY_")
    video_min_fraction: float = 0.5
    video_min_ms: int = 10 * 60 * 1000
    music_min_track_ms: int = 30 * 1000
    music_min_fraction: float = 0.5
    music_min_ms: int = 4 * 60 * 1000
    resume_window_minutes: int = 30


class AnalyticsSettings(BaseSettings):
    model_config = _group("REVENGE_ANALYTICS_")
    # work_mem and maintenance_work_mem of each rebuild connection (a full rebuild uses three;
    # a hash aggregate may take twice work_mem): lower it on a server with little memory.
    rebuild_memory: str = Field("1GB", pattern=r"^[1-9][0-9]*(kB|MB|GB)$")


class ShareSettings(BaseSettings):
    model_config = _group("REVENGE_SHARE_")
    users_may_share: bool = True
    max_expiry_days: int = 90  # 0 = links may live forever
    password_required: bool = False
    # How long an opened/unlocked link's access token (cookie or ?access=) stays valid.
    access_ttl_seconds: int = 4 * 3600
    # Wrong passwords allowed per link and per client IP within the window.
    unlock_max_attempts: int = 5
    unlock_ip_max_attempts: int = 20
    unlock_window_seconds: int = 300


class FingerprintSettings(BaseSettings):
    model_config = _group("REVENGE_FINGERPRINT_")
    audio_length_seconds: int = 120
    fpcalc_path: str = "fpcalc"
    ffmpeg_path: str = "ffmpeg"
    tool_timeout_seconds: float = 60.0
    # Match thresholds (README "Fingerprints"): Chromaprint bit error rate at the best offset,
    # pHash Hamming distance of images and of video key frames.
    audio_max_ber: float = 0.20
    audio_max_offset_seconds: float = 15.0
    image_max_distance: int = 10
    video_max_distance: int = 10
    run_chunk_size: int = 25
    max_upload_bytes: int = 100 * 1024 * 1024


class IngestSettings(BaseSettings):
    """Plays from other servers and players (README "Connect your media server")."""

    model_config = _group("REVENGE_INGEST_")
    # A webhook user whose name matches no local user gets a local account of that name
    # (no password: an admin sets one). Off: the user waits for an admin to link them.
    create_users: bool = False
    # A paused session that heard nothing for this long drops off the live activity page; a
    # playing one stays until the item's expected end plus this long (Plex and Emby send no
    # progress events while playing).
    activity_stale_seconds: int = Field(15 * 60, ge=30)
    # Raw webhook payloads larger than this are refused with 413 (Plex adds a thumbnail).
    max_payload_bytes: int = Field(512 * 1024, ge=1024)


class DownloaderSettings(BaseSettings):
    """Hand-offs to Radarr, Sonarr and Lidarr (README "Connect Radarr, Sonarr and Lidarr")."""

    model_config = _group("REVENGE_DOWNLOADERS_")
    # A downloader that does not answer is tried again with backoff; after this many attempts
    # the hand-off fails for good and the admins are told.
    max_attempts: int = Field(12, ge=1)
    backoff_base_seconds: float = Field(60.0, gt=0)
    backoff_cap_seconds: float = Field(6 * 3600.0, gt=0)
    timeout_seconds: float = Field(15.0, gt=0)
    # Queue pages read per downloader and look (100 records each).
    max_queue_pages: int = Field(10, ge=1)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="REVENGE_", env_file=".env", extra="ignore", env_file_encoding="utf-8"
    )

    environment: Literal["development", "production", "test"] = "production"
    host: str = "127.0.0.1"
    port: int = 8096
    data_dir: Path = Path("./data")
    database_url: str | None = None
    secret_key: SecretStr | None = None
    default_locale: str = "en"
    # Number of concurrent job workers started inside `revenge serve`; 0 = no workers.
    workers: int = 2
    log_json: bool = False
    log_level: str = "INFO"
    public_url: str = "http://127.0.0.1:8096"
    admin_username: str | None = None
    admin_password: SecretStr | None = None
    access_token_ttl_seconds: int = 3600
    refresh_token_ttl_days: int = 30
    login_max_attempts: int = Field(10, ge=1)
    login_window_seconds: int = Field(300, ge=1)
    ffprobe_path: str = "ffprobe"
    # Hardening (README "Security"). JSON and other non-upload bodies larger than this are
    # refused with 413 before they are read; upload routes keep their own limits.
    max_body_bytes: int = Field(1024 * 1024, ge=1024)
    # Addresses (comma separated IPs or CIDRs) of reverse proxies whose X-Forwarded-For and
    # X-Forwarded-Proto are believed. Empty = none: the client is the peer of the TCP connection.
    forwarded_allow_ips: str = ""
    # Database connections of the API process, and how long a request waits for one before it
    # is answered 503 + Retry-After (instead of queueing until everything times out).
    db_pool_size: int = Field(10, ge=1)
    db_pool_max_overflow: int = Field(20, ge=0)
    db_pool_timeout_seconds: float = Field(3.0, gt=0)
    # argon2 hashes and checks running at once (each takes ~50 ms of CPU and 64 MiB).
    password_hash_concurrency: int = Field(2, ge=1)

    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    fcm: FcmSettings = Field(default_factory=FcmSettings)
    webpush: WebPushSettings = Field(default_factory=WebPushSettings)
    webhook: WebhookSettings = Field(default_factory=WebhookSettings)
    trakt: TraktSettings = Field(default_factory=TraktSettings)
    lastfm: LastfmSettings = Field(default_factory=LastfmSettings)
    listenbrainz: ListenBrainzSettings = Field(default_factory=ListenBrainzSettings)
    scrobble: ScrobbleSettings = Field(default_factory=ScrobbleSettings)
    metadata: MetadataSettings = Field(default_factory=MetadataSettings)
    play_rules: PlayRuleSettings = Field(default_factory=PlayRuleSettings)
    analytics: AnalyticsSettings = Field(default_factory=AnalyticsSettings)
    share: ShareSettings = Field(default_factory=ShareSettings)
    fingerprint: FingerprintSettings = Field(default_factory=FingerprintSettings)
    requests: RequestSettings = Field(default_factory=RequestSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    downloaders: DownloaderSettings = Field(default_factory=DownloaderSettings)

    @model_validator(mode="after")
    def _check_secret(self) -> Settings:
        key = self.secret_key.get_secret_value() if self.secret_key else None
        if key is not None and len(key) < MIN_SECRET_LENGTH and self.environment == "production":
            raise ValueError(
                f"REVENGE_SECRET_KEY must be at least {MIN_SECRET_LENGTH} characters; "
                "unset it to have one generated and stored in the data directory"
            )
        return self

    @property
    def secret(self) -> str:
        """The server secret: from the environment, or generated once into the data dir."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        return _stored_secret(self.data_dir.resolve())

    @property
    def vapid_key_file(self) -> Path | None:
        """The VAPID private key (PEM) Web Push signs with: the configured file, or one
        generated once into the data dir; None when Web Push is switched off."""
        if not self.webpush.enabled:
            return None
        if self.webpush.vapid_private_key_file is not None:
            return self.webpush.vapid_private_key_file
        return _stored_vapid_key(self.data_dir.resolve())


@lru_cache(maxsize=8)
def _stored_secret(data_dir: Path) -> str:
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    # O_EXCL: two processes starting together must not both write a different secret.
    try:
        with path.open("x") as fh:
            fh.write(value)
        path.chmod(0o600)
    except FileExistsError:
        return path.read_text().strip()
    return value


@lru_cache(maxsize=8)
def _stored_vapid_key(data_dir: Path) -> Path:
    """A P-256 key pair for VAPID, written once (mode 600). Browsers subscribe with its public
    half, so it must never change under them: it is only ever created, never replaced."""
    path = data_dir / "vapid_private_key.pem"
    if path.exists():
        return path
    data_dir.mkdir(parents=True, exist_ok=True)
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    # Written whole to a private temp file, then linked into place: a second process starting
    # at the same moment either wins the link or reads the complete file of the first.
    temp = data_dir / f".vapid_private_key.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
        os.link(temp, path)
    except FileExistsError:
        pass
    finally:
        temp.unlink(missing_ok=True)
    return path


_settings: Settings | None = None


def get_settings() -> Settings:
    global _settings
    if _settings is None:
        _settings = Settings()
    return _settings


def set_settings(settings: Settings) -> None:
    """Replace the process-wide settings (CLI flags, tests)."""
    global _settings
    _settings = settings
