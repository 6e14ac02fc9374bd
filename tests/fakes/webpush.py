"""A fake Web Push service (RFC 8030): checks TTL, the VAPID JWT (ES256, aud = our origin,
signed by the key in ``k=``, and that key the one the browser subscribed with when known),
decrypts the aes128gcm body with the subscriber's keys like a
browser would, and answers 201 — or 410 for a subscription that expired."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

import http_ece
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import FastAPI, Request, Response
from py_vapid import Vapid


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class Subscriber:
    """A browser's push subscription: its P-256 key pair and auth secret."""

    private_key: ec.EllipticCurvePrivateKey
    auth: bytes
    # The applicationServerKey the browser subscribed with (base64url); push services refuse a
    # message signed by any other VAPID key (403). None = not checked.
    application_server_key: str | None = None

    @classmethod
    def new(cls) -> Subscriber:
        import os

        return cls(ec.generate_private_key(ec.SECP256R1()), os.urandom(16))

    def keys(self) -> dict[str, str]:
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        public = self.private_key.public_key().public_bytes(
            Encoding.X962, PublicFormat.UncompressedPoint
        )
        return {"p256dh": b64url(public), "auth": b64url(self.auth)}


@dataclass
class FakePushService:
    subscribers: dict[str, Subscriber] = field(default_factory=dict)
    gone: set[str] = field(default_factory=set)
    received: list[dict[str, Any]] = field(default_factory=list)
    origin: str = ""

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/push/{sub_id}")
        async def push(sub_id: str, request: Request) -> Response:
            if sub_id in self.gone or sub_id not in self.subscribers:
                return Response(status_code=410)
            if "ttl" not in request.headers:
                return Response(status_code=400)
            auth = request.headers.get("authorization", "")
            if not auth.startswith("vapid "):
                return Response(status_code=401)
            params = dict(p.strip().split("=", 1) for p in auth[6:].split(","))
            subscribed_with = self.subscribers[sub_id].application_server_key
            if subscribed_with is not None and params["k"] != subscribed_with:
                return Response(status_code=403)
            vapid_public = Vapid.from_raw_public(params["k"].encode())
            token = params["t"]
            head_claims, signature = token.rsplit(".", 1)
            if not vapid_public.verify_token(head_claims.encode(), signature):
                return Response(status_code=403)
            claims_part = head_claims.split(".")[1]
            claims = json.loads(
                base64.urlsafe_b64decode(claims_part + "=" * (-len(claims_part) % 4))
            )
            if claims.get("aud") != self.origin:
                return Response(status_code=403)
            body = await request.body()
            subscriber = self.subscribers[sub_id]
            plaintext = http_ece.decrypt(
                body,
                private_key=subscriber.private_key,
                auth_secret=subscriber.auth,
                version="aes128gcm",
            )
            self.received.append({"sub": sub_id, "payload": json.loads(plaintext)})
            return Response(
                status_code=201, headers={"Location": f"/messages/{len(self.received)}"}
            )

        return app
