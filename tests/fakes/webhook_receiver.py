"""A webhook consumer that verifies Standard Webhooks signatures like the reference library:
HMAC-SHA256 over ``{id}.{timestamp}.{body}`` with the base64-decoded ``whsec_`` secret,
constant-time compared, timestamp within 5 minutes. Can be told to fail."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request, Response

TOLERANCE_SECONDS = 300


@dataclass
class WebhookReceiver:
    secrets: dict[str, str] = field(default_factory=dict)  # path -> whsec_ secret
    received: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    fail_with: int | None = None  # answer this status instead of 204
    retry_after: str | None = None

    def verify(self, path: str, headers: Any, body: bytes) -> str | None:
        secret = self.secrets.get(path)
        msg_id = headers.get("webhook-id")
        timestamp = headers.get("webhook-timestamp")
        signatures = headers.get("webhook-signature", "")
        if not (secret and msg_id and timestamp and signatures):
            return "missing headers or unknown endpoint"
        if abs(time.time() - int(timestamp)) > TOLERANCE_SECONDS:
            return "timestamp outside tolerance"
        key = base64.b64decode(secret.removeprefix("whsec_"))
        expected = base64.b64encode(
            hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
        ).decode()
        for candidate in signatures.split(" "):
            version, _, value = candidate.partition(",")
            if version == "v1" and hmac.compare_digest(value, expected):
                return None
        return "bad signature"

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/hooks/{name}")
        async def hook(name: str, request: Request) -> Response:
            body = await request.body()
            if self.fail_with is not None:
                headers = {"Retry-After": self.retry_after} if self.retry_after else {}
                return Response(status_code=self.fail_with, headers=headers)
            problem = self.verify(f"/hooks/{name}", request.headers, body)
            if problem:
                self.rejected.append(problem)
                return Response(status_code=401)
            self.received.append(
                {
                    "path": f"/hooks/{name}",
                    "id": request.headers["webhook-id"],
                    "content_type": request.headers.get("content-type"),
                    "body": body,
                }
            )
            return Response(status_code=204)

        return app
