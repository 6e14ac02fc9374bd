"""Schemathesis over the whole OpenAPI document, in-process against the ASGI app, once as a
user and once as an admin (README "Security").

Every operation must answer without a server error, only with the status codes and content
types its document lists, and with bodies that match its response schemas. The requests run
on schemathesis' own event loop thread, so the app gets a database of its own there (NullPool:
no connection outlives the loop it was made on) with committed rows, emptied afterwards.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from pydantic import SecretStr
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import text
from sqlalchemy.pool import NullPool

from revenge.core.config import Settings
from revenge.core.db import Database, get_database, set_database
from revenge.core.security import new_token, token_digest
from revenge.users.models import ApiKey, User
from tests.fakes.listenbrainz import FakeListenBrainz
from tests.fakes.musicbrainz import FakeMusicBrainz
from tests.fakes.musicbrainz import build_app as build_musicbrainz
from tests.fakes.tmdb import API_KEY as TMDB_KEY
from tests.fakes.tmdb import FakeTmdb
from tests.fakes.tmdb import build_app as build_tmdb
from tests.helpers import TEST_PASSWORD_HASH, serve_asgi_in_thread

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# About 100 operations × 2 roles: this bounds the whole fuzz run to a couple of minutes.
EXAMPLES_PER_OPERATION = 12


@asynccontextmanager
async def _no_lifespan(app: Any) -> AsyncIterator[None]:
    # The real lifespan opens the job queue's pool on this loop; requests only defer jobs on
    # their own connection, which needs no open pool.
    yield


async def _seed(database: Database) -> dict[str, str]:
    keys: dict[str, str] = {}
    async with database.transaction() as session:
        for role in ("user", "admin"):
            user = User(
                username=f"fuzz-{role}-{uuid.uuid4().hex[:6]}",
                email=f"{role}@fuzz.test",
                password_hash=TEST_PASSWORD_HASH,
                is_admin=role == "admin",
            )
            session.add(user)
            await session.flush()
            # API keys, not login sessions: a fuzzed logout cannot end the run's credentials.
            key = new_token("rvk_")
            session.add(
                ApiKey(user_id=user.id, name="fuzz", key_hash=token_digest(key), prefix=key[:10])
            )
            keys[role] = key
    return keys


async def _empty(database: Database) -> None:
    async with database.engine.begin() as conn:
        tables = (
            await conn.execute(
                text(
                    "SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) FROM pg_tables "
                    "WHERE schemaname IN ('public', 'shared') AND tablename <> 'alembic_version'"
                )
            )
        ).scalars()
        await conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    await database.dispose()


def _app() -> Any:
    from revenge.main import create_app

    # Loaded when the module is collected (schemathesis' lazy fixture loader does not run on
    # pytest 9); requests read the session's settings through get_settings() as usual.
    app = create_app(
        Settings(environment="test", secret_key="fuzz-" + "x" * 40, _env_file=None),  # type: ignore[call-arg]
        manage_database=False,
        run_workers=False,
    )
    app.router.lifespan_context = _no_lifespan
    return app


schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", _app())


@pytest.fixture(scope="module")
def outside_services(test_settings: Settings) -> Iterator[None]:
    """The services a request may call while it is answered, as the strict fakes: an
    unreachable upstream is a documented 502/503, but the fuzz run checks our own answers."""
    listenbrainz = FakeListenBrainz()
    musicbrainz = FakeMusicBrainz(min_interval=0.0)
    with (
        serve_asgi_in_thread(listenbrainz.app()) as listenbrainz_url,
        serve_asgi_in_thread(build_musicbrainz(musicbrainz)) as musicbrainz_url,
        serve_asgi_in_thread(build_tmdb(FakeTmdb())) as tmdb_url,
        pytest.MonkeyPatch.context() as patch,
    ):
        patch.setattr(test_settings.metadata, "tmdb_api_url", f"{tmdb_url}/3")
        patch.setattr(test_settings.metadata, "tmdb_api_key", SecretStr(TMDB_KEY))
        patch.setattr(test_settings.listenbrainz, "api_url", listenbrainz_url)
        patch.setattr(test_settings.metadata, "musicbrainz_api_url", f"{musicbrainz_url}/ws/2")
        patch.setattr(test_settings.metadata, "musicbrainz_min_interval_seconds", 0.0)
        yield


@pytest.fixture(scope="module")
def api_keys(database_url: str, outside_services: None) -> Iterator[dict[str, str]]:
    database = Database(database_url, poolclass=NullPool)
    keys = asyncio.run(_seed(database))
    previous = _current_database()
    set_database(database)
    try:
        yield keys
    finally:
        set_database(previous)
        asyncio.run(_empty(database))


def _current_database() -> Database | None:
    try:
        return get_database()
    except RuntimeError:
        return None


def _fuzz(case: Any, key: str) -> None:
    try:
        response = case.call_and_validate(headers={"X-API-Key": key}, checks=CHECKS)
        _tally(case, response.status_code, "ok")
    except Exception:
        _tally(case, None, "failed")
        raise


def _tally(case: Any, status: int | None, outcome: str) -> None:
    # FUZZ_TALLY=path: one line per case, for the figures in the closing note of a change.
    if path := os.environ.get("FUZZ_TALLY"):
        with open(path, "a") as out:
            out.write(f"{case.operation.label}\t{status}\t{outcome}\n")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_fuzz_as_user(case: Any, api_keys: dict[str, str]) -> None:
    _fuzz(case, api_keys["user"])


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_fuzz_as_admin(case: Any, api_keys: dict[str, str]) -> None:
    _fuzz(case, api_keys["admin"])


def test_the_document_lists_the_house_errors() -> None:
    """Malformed, too big and invalid bodies and a busy database are documented on every
    operation that can meet them, and every error is documented as problem+json."""
    document = schema.raw_schema
    operations = [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]
    assert len(operations) > 50
    for path, method, operation in operations:
        responses = operation["responses"]
        if "requestBody" in operation:
            assert {"400", "413", "422"} <= responses.keys(), (method, path)
        if path.startswith("/api/v1/"):
            assert "503" in responses, (method, path)
        for status, response in responses.items():
            if status[0] in "45":
                assert list(response["content"]) == ["application/problem+json"], (
                    method,
                    path,
                    status,
                )
