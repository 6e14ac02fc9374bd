"""Login and share-unlock attempt limits under real concurrency, on a production-sized pool.

Every attempt is counted before its password is checked, in one statement on the request's own
connection: N parallel guesses get exactly the limit checked, the rest a 429 with Retry-After,
nothing a 5xx, and other users keep being served meanwhile. When every database connection is
taken, a request is told 503 + Retry-After instead of waiting for a 500.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import httpx2 as httpx
import pytest
from sqlalchemy import text

from revenge.core import security
from revenge.core.config import Settings
from revenge.core.db import Database, session_scope, set_database
from revenge.library.models import Library, Movie
from tests.helpers import TEST_PASSWORD

STORM = 200
# Hang guard only: with correct code the wait ends as soon as every refused guess is answered.
GUARD_SECONDS = 60


class PasswordChecks:
    """Counts real argon2 verifications; while ``gate`` is shut, each one waits before it runs,
    so a test can look at the service while guesses are still being checked."""

    def __init__(self) -> None:
        self.count = 0
        self.gate = threading.Event()
        self.gate.set()
        self._lock = threading.Lock()
        self._verify = security.verify_password

    def __call__(self, password_hash: str | None, password: str) -> bool:
        with self._lock:
            self.count += 1
        self.gate.wait(GUARD_SECONDS)
        return self._verify(password_hash, password)


@pytest.fixture
def password_checks(monkeypatch: pytest.MonkeyPatch) -> Iterator[PasswordChecks]:
    # verify_password_async looks the function up at call time, so this sees every check.
    checks = PasswordChecks()
    monkeypatch.setattr(security, "verify_password", checks)
    yield checks
    checks.gate.set()  # never leave a worker thread waiting


@pytest.fixture
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Link passwords hashed at argon2's smallest cost (creating 40 links stays quick); every
    check still is a real argon2 verification."""
    from argon2 import PasswordHasher

    hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(security, "_hasher", hasher)
    monkeypatch.setattr(security, "_DUMMY_HASH", hasher.hash("dummy-password"))


@pytest.fixture
async def production_pool(committed_db: Database) -> AsyncIterator[Database]:
    """The API's default pool (10 + 20 overflow, 3 s wait), not the test suite's large one: a
    request that held a connection idle or needed two would exhaust it and answer 503."""
    pooled = Database(committed_db.url, pool_size=10, max_overflow=20, pool_timeout=3)
    set_database(pooled)
    try:
        yield pooled
    finally:
        set_database(committed_db)
        await pooled.dispose()


def client_for(app: Any, ip: str = "127.0.0.1") -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=(ip, 123)),
        base_url="http://testserver",
        timeout=GUARD_SECONDS,
    )


async def protected_links(owner_headers: dict[str, str], app: Any, count: int) -> list[str]:
    """``count`` password-protected links to one movie; returns their tokens."""
    async with session_scope() as s:
        library = Library(
            name=f"m-{uuid.uuid4().hex[:6]}", kind="movies", path=f"/m/{uuid.uuid4()}"
        )
        s.add(library)
        await s.flush()
        movie = Movie(library_id=library.id, title="Secret Film", year=2001)
        s.add(movie)
        await s.flush()
    tokens = []
    async with client_for(app) as owner:
        for _ in range(count):
            created = await owner.post(
                "/api/v1/users/me/grants",
                json={"media_type": "movie", "media_id": str(movie.id), "password": "open sesame"},
                headers=owner_headers,
            )
            assert created.status_code == 201, created.text
            tokens.append(created.json()["token"])
    return tokens


async def storm_while_others_are_served(
    pool: Database,
    checks: PasswordChecks,
    guesses: list[Callable[[], Awaitable[httpx.Response]]],
    checked: int,
    bystander: Callable[[], Awaitable[httpx.Response]],
) -> list[httpx.Response]:
    """Send every guess at once. Hold the ``checked`` guesses that got through at their
    password check until every refused guess is answered; meanwhile no database connection may
    be held, and a bystander's requests must be served. Returns the guesses' answers."""
    checks.gate.clear()
    tasks = [asyncio.create_task(guess()) for guess in guesses]
    try:
        loop = asyncio.get_running_loop()
        guard = loop.time() + GUARD_SECONDS
        while sum(task.done() for task in tasks) < len(tasks) - checked and loop.time() < guard:
            await asyncio.sleep(0.01)
        in_flight = sum(not task.done() for task in tasks)
        assert in_flight == checked, f"{in_flight} guesses still open, {checked} expected"
        # The guesses waiting for (or in) argon2 have committed their count and hold no
        # connection: slow password checks cannot starve the pool.
        assert pool.engine.pool.checkedout() == 0
        served = await asyncio.gather(*(bystander() for _ in range(20)))
        assert [r.status_code for r in served] == [200] * 20, [
            r.text for r in served if r.status_code != 200
        ]
        assert not all(task.done() for task in tasks)  # the storm was still on
    finally:
        checks.gate.set()
    return await asyncio.gather(*tasks)


def assert_refused(responses: list[httpx.Response], code: str) -> None:
    for response in responses:
        assert response.json()["code"] == code
        assert int(response.headers["Retry-After"]) >= 1


async def test_200_parallel_wrong_logins_get_exactly_the_limit_checked(
    app, production_pool, make_user, password_checks, test_settings: Settings
):
    victim, _ = await make_user()
    bystander, bystander_headers = await make_user()
    limit = test_settings.login_max_attempts
    async with client_for(app) as attacker, client_for(app, "10.9.9.9") as other:

        def guess() -> Awaitable[httpx.Response]:
            body = {"username": victim.username, "password": f"guess-{uuid.uuid4().hex}"}
            return attacker.post("/api/v1/auth/login", json=body)

        async def me() -> httpx.Response:
            response = await other.get("/api/v1/users/me", headers=bystander_headers)
            assert response.status_code != 200 or response.json()["username"] == bystander.username
            return response

        answers = await storm_while_others_are_served(
            production_pool, password_checks, [guess] * STORM, limit, me
        )
        statuses = Counter(r.status_code for r in answers)
        assert statuses == {401: limit, 429: STORM - limit}, statuses
        assert password_checks.count == limit
        assert_refused([r for r in answers if r.status_code == 429], "auth.too_many_attempts")
        assert {r.json()["code"] for r in answers if r.status_code == 401} == {
            "auth.invalid_credentials"
        }
        # The limit holds: now even the right password is refused, and not checked.
        right = await attacker.post(
            "/api/v1/auth/login", json={"username": victim.username, "password": TEST_PASSWORD}
        )
        assert right.status_code == 429
        assert password_checks.count == limit


async def test_200_parallel_wrong_unlocks_of_one_link_get_exactly_its_limit_checked(
    app, production_pool, make_user, password_checks, cheap_argon2, test_settings: Settings
):
    _, owner_headers = await make_user()
    _, bystander_headers = await make_user()
    (token,) = await protected_links(owner_headers, app, 1)
    # One IP, one link: the link's limit (5) is below the IP's (20), so the link's binds.
    limit = test_settings.share.unlock_max_attempts
    assert limit < test_settings.share.unlock_ip_max_attempts
    async with client_for(app) as attacker, client_for(app, "10.9.9.9") as other:

        def guess() -> Awaitable[httpx.Response]:
            return attacker.post(
                f"/api/v1/share/{token}/unlock", json={"password": f"guess-{uuid.uuid4().hex}"}
            )

        def me() -> Awaitable[httpx.Response]:
            return other.get("/api/v1/users/me", headers=bystander_headers)

        answers = await storm_while_others_are_served(
            production_pool, password_checks, [guess] * STORM, limit, me
        )
        statuses = Counter(r.status_code for r in answers)
        assert statuses == {403: limit, 429: STORM - limit}, statuses
        assert password_checks.count == limit
        assert_refused([r for r in answers if r.status_code == 429], "share_link.too_many_attempts")
        assert {r.json()["code"] for r in answers if r.status_code == 403} == {
            "share_link.wrong_password"
        }
        # Locked for everyone now, even from another IP with the right password.
        right = await other.post(f"/api/v1/share/{token}/unlock", json={"password": "open sesame"})
        assert right.status_code == 429
        assert password_checks.count == limit


async def test_200_parallel_wrong_unlocks_across_links_get_exactly_the_ip_limit_checked(
    app, production_pool, make_user, password_checks, cheap_argon2, test_settings: Settings
):
    _, owner_headers = await make_user()
    _, bystander_headers = await make_user()
    # 40 links, 5 guesses each: no link reaches its own limit, so the IP's limit binds.
    per_link = test_settings.share.unlock_max_attempts
    *tokens, untried = await protected_links(owner_headers, app, STORM // per_link + 1)
    limit = test_settings.share.unlock_ip_max_attempts
    async with client_for(app) as attacker, client_for(app, "10.9.9.9") as other:

        def guess_on(token: str) -> Callable[[], Awaitable[httpx.Response]]:
            return lambda: attacker.post(
                f"/api/v1/share/{token}/unlock", json={"password": "guess"}
            )

        def me() -> Awaitable[httpx.Response]:
            return other.get("/api/v1/users/me", headers=bystander_headers)

        guesses = [guess_on(token) for token in tokens for _ in range(per_link)]
        answers = await storm_while_others_are_served(
            production_pool, password_checks, guesses, limit, me
        )
        statuses = Counter(r.status_code for r in answers)
        assert statuses == {403: limit, 429: STORM - limit}, statuses
        assert password_checks.count == limit
        assert_refused([r for r in answers if r.status_code == 429], "share_link.too_many_attempts")
        # The IP is locked out even from a link it never tried; another IP is not.
        unlock = f"/api/v1/share/{untried}/unlock"
        assert (await attacker.post(unlock, json={"password": "open sesame"})).status_code == 429
        assert (await other.post(unlock, json={"password": "open sesame"})).status_code == 200
        assert password_checks.count == limit + 1


async def test_a_right_login_gives_its_attempt_back_and_clears_the_username(
    app, db, make_user, test_settings: Settings
):
    """A successful login was not a guess: the IP gets that attempt back (its wrong guesses
    stay counted, so logging into one's own account cannot wipe them) and the username's
    counter starts again."""
    user, _ = await make_user()
    limit = test_settings.login_max_attempts
    assert limit == 5

    async def login(password: str, ip: str = "127.0.0.1") -> int:
        async with client_for(app, ip) as c:
            body = {"username": user.username, "password": password}
            return (await c.post("/api/v1/auth/login", json=body)).status_code

    assert [await login("wrong") for _ in range(limit - 1)] == [401] * (limit - 1)
    assert await login(TEST_PASSWORD) == 200
    # The IP: 4 wrong guesses + this one = its limit; then refused.
    assert await login("wrong") == 401
    assert await login("wrong") == 429
    # The username was cleared by the success: 1 wrong guess since, 4 more from other IPs.
    assert [await login("wrong", f"10.0.0.{n}") for n in range(1, limit)] == [401] * (limit - 1)
    assert await login("wrong", "10.0.0.99") == 429
    assert await login(TEST_PASSWORD, "10.0.0.98") == 429


async def test_a_right_unlock_gives_its_attempt_back(
    app, db, make_user, cheap_argon2, test_settings: Settings
):
    _, owner_headers = await make_user()
    (token,) = await protected_links(owner_headers, app, 1)
    limit = test_settings.share.unlock_max_attempts
    async with client_for(app) as visitor:

        async def unlock(password: str) -> int:
            response = await visitor.post(
                f"/api/v1/share/{token}/unlock", json={"password": password}
            )
            return response.status_code

        assert [await unlock("wrong") for _ in range(limit - 1)] == [403] * (limit - 1)
        assert await unlock("open sesame") == 200
        # Only the wrong guesses stay counted against the link: one more may be tried.
        assert await unlock("wrong") == 403
        assert await unlock("wrong") == 429


async def test_every_attempt_works_on_a_single_connection_pool(
    app, committed_db, make_user, cheap_argon2
):
    """No login or unlock needs a second connection while it holds one (it would wait for
    itself and answer 503), not even 20 at once."""
    user, headers = await make_user()
    (token,) = await protected_links(headers, app, 1)
    single = Database(committed_db.url, pool_size=1, max_overflow=0, pool_timeout=10)
    set_database(single)
    try:
        async with client_for(app) as c:

            async def login(password: str) -> int:
                body = {"username": user.username, "password": password}
                return (await c.post("/api/v1/auth/login", json=body)).status_code

            async def unlock(password: str) -> int:
                body = {"password": password}
                return (await c.post(f"/api/v1/share/{token}/unlock", json=body)).status_code

            assert [await login("wrong"), await login(TEST_PASSWORD)] == [401, 200]
            assert [await unlock("wrong"), await unlock("open sesame")] == [403, 200]
            assert (await c.get("/api/v1/users/me", headers=headers)).status_code == 200
            at_once = Counter(await asyncio.gather(*(login("wrong") for _ in range(20))))
            # 1 wrong guess before, 1 given back by the right login: 4 left.
            assert at_once == {401: 4, 429: 16}, at_once
    finally:
        set_database(committed_db)
        await single.dispose()


async def test_an_exhausted_pool_answers_503_with_retry_after(app, committed_db, make_user):
    user, headers = await make_user()
    tiny = Database(committed_db.url, pool_size=1, max_overflow=0, pool_timeout=0.5)
    set_database(tiny)
    try:
        async with client_for(app) as c:
            async with tiny.engine.connect() as held:  # the only connection, kept busy
                await held.exec_driver_sql("SELECT 1")
                busy = await c.get("/api/v1/users/me", headers=headers)
                login = await c.post(
                    "/api/v1/auth/login",
                    json={"username": user.username, "password": TEST_PASSWORD},
                )
            for response in (busy, login):
                assert response.status_code == 503, response.text
                assert response.json()["code"] == "service.busy"
                assert int(response.headers["Retry-After"]) >= 1
            # Once the connection is free again, everything answers normally.
            assert (await c.get("/api/v1/users/me", headers=headers)).status_code == 200
            login = await c.post(
                "/api/v1/auth/login", json={"username": user.username, "password": TEST_PASSWORD}
            )
            assert login.status_code == 200
    finally:
        set_database(committed_db)
        await tiny.dispose()


async def test_guesses_queued_on_one_key_leave_connections_for_others(
    app, production_pool, committed_db, make_user
):
    """Another API process is in the middle of counting an attempt on this IP (its counter
    row is locked) when 200 guesses from the IP arrive: they must wait for it without taking
    every database connection from the other users."""
    _, bystander_headers = await make_user()
    capacity = 30  # production_pool: 10 + 20 overflow
    async with committed_db.engine.connect() as other_process:
        await other_process.execute(
            text(
                "INSERT INTO shared.rate_limit_buckets (key, window_start, hits, expires_at) "
                "VALUES ('login:ip:127.0.0.1', extract(epoch FROM now())::bigint, 1, now())"
            )
        )
        async with client_for(app) as attacker, client_for(app, "10.9.9.9") as other:
            body = {"username": "someone", "password": "guess"}
            tasks = [
                asyncio.create_task(attacker.post("/api/v1/auth/login", json=body))
                for _ in range(STORM)
            ]
            loop = asyncio.get_running_loop()
            # Hang guard only: with waiters that hold no connection the pool never fills.
            guard = loop.time() + 5
            while production_pool.engine.pool.checkedout() < capacity and loop.time() < guard:
                await asyncio.sleep(0.01)
            me = await other.get("/api/v1/users/me", headers=bystander_headers)
            await other_process.rollback()
            answers = await asyncio.gather(*tasks)
    assert me.status_code == 200, me.text
    assert all(r.status_code < 500 for r in answers)
