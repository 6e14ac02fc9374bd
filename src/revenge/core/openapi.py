"""The OpenAPI document states every status and content type a route can send.

Some answers come from the house rather than from one route: a body that is not JSON (400),
too big (413) or invalid (422), and a busy database (503). They are added here once, and
FastAPI's own 422 entry (``application/json``, HTTPValidationError) is replaced by the
problem+json document the error handlers really send.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

PROBLEM_CONTENT_TYPE = "application/problem+json"
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
_DESCRIPTIONS = {
    "400": "Malformed request body",
    "413": "Request body too large",
    "422": "Validation error",
    "503": "Temporarily unavailable (e.g. every database connection busy); see Retry-After",
}


def install_openapi(app: FastAPI, *, api_prefix: str) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                openapi_version=app.openapi_version,
                description=app.description,
                routes=app.routes,
            )
            complete_responses(document, api_prefix=api_prefix)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def complete_responses(document: dict[str, Any], *, api_prefix: str) -> None:
    problem = {
        PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}},
    }
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in _METHODS:
                continue
            responses: dict[str, Any] = operation.setdefault("responses", {})
            added: list[str] = []
            if "requestBody" in operation:
                added += ["400", "413", "422"]
            if operation.get("parameters"):
                added.append("422")
            if path.startswith(api_prefix):
                added.append("503")
            for status in added:
                responses.setdefault(status, {"description": _DESCRIPTIONS[status]})
            for status, response in responses.items():
                if status.startswith(("4", "5")):
                    # Every error is a problem document, whatever a route declared.
                    response["content"] = dict(problem)
    schemas = document.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
