from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx2 as httpx
import pytest

from revenge.core.config import Settings
from revenge.core.crypto import DecryptionError, decrypt, encrypt
from revenge.core.http import (
    PermanentError,
    RetryableError,
    backoff_seconds,
    classify_status,
    parse_retry_after,
)


def test_encryption_round_trip_and_key_separation():
    secret = "s" * 40
    sealed = encrypt(secret, "refresh-token-123", purpose="scrobble")
    assert "refresh-token-123" not in sealed
    assert encrypt(secret, "refresh-token-123", purpose="scrobble") != sealed  # random nonce
    assert decrypt(secret, sealed, purpose="scrobble") == "refresh-token-123"
    with pytest.raises(DecryptionError):
        decrypt("t" * 40, sealed, purpose="scrobble")
    with pytest.raises(DecryptionError):
        decrypt(secret, sealed, purpose="webhook")


def test_retry_after_in_seconds_or_http_date():
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert parse_retry_after("120") == 120
    assert parse_retry_after("Wed, 25 Nov 2026 12:01:30 GMT", now=now) == 90
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_status_classification_and_backoff():
    assert isinstance(classify_status(httpx.Response(503)), RetryableError)
    limited = classify_status(httpx.Response(429, headers={"Retry-After": "30"}))
    assert isinstance(limited, RetryableError) and limited.retry_after == 30
    assert isinstance(classify_status(httpx.Response(401)), PermanentError)
    delays = [backoff_seconds(n, base=10, cap=100) for n in range(8)]
    assert all(5 <= d <= 100 for d in delays)
    assert backoff_seconds(0, base=10, retry_after=300) == 300  # never sooner than asked


def test_production_refuses_a_short_secret(tmp_path):
    with pytest.raises(ValueError, match="at least 32"):
        Settings(environment="production", secret_key="short", data_dir=tmp_path, _env_file=None)
    settings = Settings(environment="production", data_dir=tmp_path, _env_file=None)
    generated = settings.secret
    assert len(generated) >= 32
    assert Settings(environment="production", data_dir=tmp_path, _env_file=None).secret == generated


def test_flat_environment_names_fill_groups(monkeypatch, tmp_path):
    monkeypatch.setenv("REVENGE_SMTP_HOST", "mail.example.com")
    monkeypatch.setenv("REVENGE_SMTP_FROM", "Films <films@example.com>")
    monkeypatch.setenv("REVENGE_TRAKT_API_URL", "http://127.0.0.1:9999")
    settings = Settings(data_dir=tmp_path, _env_file=None)
    assert settings.smtp.host == "mail.example.com"
    assert settings.smtp.from_ == "Films <films@example.com>"
    assert settings.trakt.api_url == "http://127.0.0.1:9999"


def test_datetime_formatting_in_the_readers_zone():
    from revenge.core.i18n import format_datetime_local

    moment = datetime(2026, 3, 5, 18, 30, tzinfo=UTC)
    assert format_datetime_local(moment, "de", "Europe/Berlin") == "05.03.2026, 19:30:00"
    assert "7:30:00\u202fPM" in format_datetime_local(moment, "en", "Europe/Berlin")
    assert format_datetime_local(moment + timedelta(hours=5), "fr", "UTC").startswith("5 mars 2026")
