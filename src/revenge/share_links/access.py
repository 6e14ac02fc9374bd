"""Short-lived access tokens for an opened (or unlocked) link.

Opening the share page, unlocking it with the password, or starting a stream without the page
counts one view and hands out a token ``<grant id>.<expiry>.<HMAC>``. The player's later
requests (every HTTP Range request of a stream, the artwork) carry it as the cookie or
``?access=`` and consume no further view. The HMAC is keyed with the server secret and binds
the token to one grant; it is not a bearer token for anything else. Checking it costs one
HMAC, no database access; the grant's state is still read on every request so revocation
takes effect at once.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import datetime

from revenge.core import clock

COOKIE_NAME = "revenge_share_access"
_CONTEXT = b"revenge.share_links.access.v1:"


def _signature(secret: str, grant_id: uuid.UUID, expires: int) -> str:
    message = _CONTEXT + f"{grant_id.hex}.{expires}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def issue(secret: str, grant_id: uuid.UUID, ttl_seconds: int) -> tuple[str, datetime]:
    expires = int(clock.utcnow().timestamp()) + ttl_seconds
    token = f"{grant_id.hex}.{expires}.{_signature(secret, grant_id, expires)}"
    return token, datetime.fromtimestamp(expires, tz=clock.utcnow().tzinfo)


def is_valid(secret: str, grant_id: uuid.UUID, token: str | None) -> bool:
    """True when ``token`` was issued for ``grant_id`` and has not expired (constant time)."""
    if not token:
        return False
    parts = token.split(".")
    if len(parts) != 3 or not parts[1].isdigit():
        return False
    token_grant, expires_text, signature = parts
    expires = int(expires_text)
    expected = _signature(secret, grant_id, expires)
    # Compare the signature first and always: the answer's timing does not depend on which
    # part was wrong.
    signature_ok = hmac.compare_digest(signature.encode(), expected.encode())
    return signature_ok and token_grant == grant_id.hex and expires > clock.utcnow().timestamp()
