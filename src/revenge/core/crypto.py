"""Secrets at rest (provider tokens, webhook secrets): AES-256-GCM with a key from the server secret."""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_VERSION = b"v1"


class DecryptionError(Exception):
    """The value was not encrypted with this server's secret (or was tampered with)."""


def _key(secret: str, purpose: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"revenge-at-rest", info=purpose.encode()
    ).derive(secret.encode())


def encrypt(secret: str, plaintext: str, *, purpose: str = "default") -> str:
    """Encrypt to ``v1.<base64(nonce|ciphertext)>``; ``purpose`` separates keys per use."""
    nonce = os.urandom(12)
    sealed = AESGCM(_key(secret, purpose)).encrypt(nonce, plaintext.encode(), _VERSION)
    return _VERSION.decode() + "." + base64.urlsafe_b64encode(nonce + sealed).decode()


def decrypt(secret: str, token: str, *, purpose: str = "default") -> str:
    version, _, body = token.partition(".")
    if version.encode() != _VERSION or not body:
        raise DecryptionError("unknown format")
    raw = base64.urlsafe_b64decode(body.encode())
    try:
        return AESGCM(_key(secret, purpose)).decrypt(raw[:12], raw[12:], _VERSION).decode()
    except InvalidTag as exc:
        raise DecryptionError("wrong key or corrupted value") from exc
