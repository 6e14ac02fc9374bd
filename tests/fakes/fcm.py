"""Fake FCM HTTP v1 + Google OAuth token endpoint.

The token endpoint verifies the RS256 JWT-bearer assertion with the service account's public
key (iss, scope, aud) and issues access tokens; ``messages:send`` checks the bearer token,
the project, the message shape (one target, string data values, ≤ 4096 bytes) and answers
per-token errors in FCM's ``details[].errorCode`` shape, or 503/429 when told to."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from google.auth import jwt

SCOPE = "https://www.googleapis.com/auth/firebase.messaging"


def _error(status: int, canonical: str, code: str | None, message: str) -> JSONResponse:
    details = (
        [{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": code}]
        if code
        else []
    )
    return JSONResponse(
        {"error": {"code": status, "message": message, "status": canonical, "details": details}},
        status_code=status,
    )


@dataclass
class FakeFcm:
    project_id: str
    client_email: str
    public_cert_pem: str
    token_url: str = ""  # set once served (the assertion's audience)
    tokens_issued: list[str] = field(default_factory=list)
    delivered: list[dict[str, Any]] = field(default_factory=list)
    unregistered: set[str] = field(default_factory=set)
    unavailable: int = 0  # answer 503 this many times
    retry_after: str | None = None

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/token")
        async def token(request: Request) -> JSONResponse:
            form = await request.form()
            if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
                return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
            try:
                claims = jwt.decode(
                    str(form.get("assertion")),
                    certs=self.public_cert_pem,
                    audience=self.token_url,
                )
            except ValueError as exc:
                return JSONResponse(
                    {"error": "invalid_grant", "error_description": str(exc)}, status_code=400
                )
            if claims.get("iss") != self.client_email or claims.get("scope") != SCOPE:
                return JSONResponse({"error": "invalid_scope"}, status_code=400)
            access = "ya29." + secrets.token_urlsafe(24)
            self.tokens_issued.append(access)
            return JSONResponse(
                {"access_token": access, "expires_in": 3599, "token_type": "Bearer"}
            )

        @app.post("/v1/projects/{project}/messages:send")
        async def send(project: str, request: Request) -> JSONResponse:
            auth = request.headers.get("authorization", "")
            if not auth.startswith("Bearer ") or auth[7:] not in self.tokens_issued:
                return _error(401, "UNAUTHENTICATED", None, "Request had invalid credentials.")
            if project != self.project_id:
                return _error(403, "PERMISSION_DENIED", "SENDER_ID_MISMATCH", "wrong project")
            if self.unavailable > 0:
                self.unavailable -= 1
                response = _error(503, "UNAVAILABLE", "UNAVAILABLE", "The service is unavailable.")
                if self.retry_after:
                    response.headers["Retry-After"] = self.retry_after
                return response
            raw = await request.body()
            message = json.loads(raw).get("message", {})
            targets = [k for k in ("token", "topic", "condition") if k in message]
            data = message.get("data", {})
            if (
                len(targets) != 1
                or len(raw) > 4096
                or not all(isinstance(v, str) for v in data.values())
            ):
                return _error(400, "INVALID_ARGUMENT", "INVALID_ARGUMENT", "Invalid message")
            if message.get("token") in self.unregistered:
                return _error(404, "NOT_FOUND", "UNREGISTERED", "Requested entity was not found.")
            self.delivered.append(message)
            return JSONResponse({"name": f"projects/{project}/messages/{len(self.delivered)}"})

        return app
