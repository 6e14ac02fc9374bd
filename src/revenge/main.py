"""create_app(): the one place that gathers every feature's routes, errors and start-up."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import structlog
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, Response
from psycopg_pool import AsyncConnectionPool
from starlette.types import Scope

from revenge import worker  # noqa: F401  (registers every job and event subscriber)
from revenge.analytics.api import router as analytics_router
from revenge.content_requests.api import router as content_requests_router
from revenge.core import deps
from revenge.core.compression import CompressionMiddleware, FileCompressionCache, PrecompressedFiles
from revenge.core.config import Settings, get_settings
from revenge.core.db import (
    Database,
    get_database,
    release_embedded_postgres,
    resolve_database_url,
    set_database,
    to_libpq_url,
)
from revenge.core.errors import NotFound, install_error_handlers
from revenge.core.jobs import job_app
from revenge.core.logging import configure_logging
from revenge.core.middleware import BodyLimitMiddleware, RequestContextMiddleware, path_limits
from revenge.core.migrate import upgrade
from revenge.core.openapi import install_openapi
from revenge.downloaders.api import router as downloaders_router
from revenge.fingerprints.api import router as fingerprints_router
from revenge.i18n.api import router as i18n_router
from revenge.ingest.api import admin_router as ingest_admin_router
from revenge.ingest.api import webhook_router as ingest_webhook_router
from revenge.ingest.listenbrainz import api as listenbrainz_api
from revenge.ingest.listenbrainz.validation import MAX_LISTEN_PAYLOAD_SIZE
from revenge.library.api import admin_router as library_admin_router
from revenge.library.api import artwork_router as library_artwork_router
from revenge.library.api import read_router as library_read_router
from revenge.library.watcher import FolderWatcher
from revenge.notifications.api import router as notifications_router
from revenge.notifications.api import webpush_router
from revenge.playback.api import router as playback_router
from revenge.scrobbling.api import router as scrobbling_router
from revenge.share_links.api import router as share_links_router
from revenge.system.api import ops_router
from revenge.system.api import router as system_router
from revenge.users import service as users_service
from revenge.users.api import router as users_router

log = structlog.get_logger(__name__)
WEB_DIST = Path(__file__).resolve().parents[2] / "web" / "dist"
API_PREFIX = "/api/v1"


FEATURE_ROUTERS = [
    # First: media servers' webhooks are the busiest route, and routes are matched in order.
    ingest_webhook_router,
    users_router,
    playback_router,
    scrobbling_router,
    i18n_router,
    system_router,
    notifications_router,
    webpush_router,
    analytics_router,
    library_admin_router,
    library_read_router,
    library_artwork_router,
    share_links_router,
    fingerprints_router,
    content_requests_router,
    # Before the ingest routers: /ingest/downloader/{id}/{token} is the downloaders' door.
    downloaders_router,
    ingest_admin_router,
]


def api_router() -> APIRouter:
    router = APIRouter(prefix=API_PREFIX)
    for feature_router in FEATURE_ROUTERS:
        router.include_router(feature_router)
    return router


FirstAdminAnnouncer = Callable[[str, str], None]


def print_first_admin(username: str, password: str) -> None:
    """The generated first password, on the console only (never in a log line). `revenge serve`
    shows it in its start-up banner instead; other commands that happen to start first print
    it here."""
    print(
        f"First start: sign in as {username} with the password {password}\n"
        "(you will be asked to choose your own at the first sign-in)",
        file=sys.stderr,
        flush=True,
    )


async def prepare_database(
    settings: Settings, on_first_admin: FirstAdminAnnouncer = print_first_admin
) -> Database:
    """Resolve (or start) the database, migrate it and create the first admin."""
    _ = settings.secret  # generated and stored on the first start, before anything needs it
    _ = settings.vapid_key_file  # likewise the Web Push key (unless configured or switched off)
    database = Database(
        resolve_database_url(settings.database_url, settings.data_dir),
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_max_overflow,
        pool_timeout=settings.db_pool_timeout_seconds,
    )
    await upgrade(database.engine)
    async with database.transaction() as session:
        generated = await users_service.ensure_first_admin(session, settings)
    if generated is not None:
        username = settings.admin_username or "admin"
        log.warning(
            "first_admin.created", username=username, hint="its password is printed on the console"
        )
        # Shown once, on purpose: there is no other way to learn the first password.
        on_first_admin(username, generated)
    return database


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    owns_database = app.state.manage_database
    if owns_database:
        set_database(await prepare_database(settings, on_first_admin=app.state.on_first_admin))
    pool = AsyncConnectionPool(to_libpq_url(get_database().url), min_size=1, max_size=4, open=False)
    await pool.open()
    await job_app.open_async(pool)
    worker_task: asyncio.Task[None] | None = None
    watcher_task: asyncio.Task[None] | None = None
    if app.state.run_workers and settings.workers > 0:
        worker_task = asyncio.create_task(
            job_app.run_worker_async(concurrency=settings.workers, install_signal_handlers=False)
        )
        log.info("workers.started", concurrency=settings.workers)
        # Libraries with folder watching on: changes become targeted scans (library.watcher).
        watcher_task = asyncio.create_task(FolderWatcher().run())
    # Everything loaded at start-up (modules, routes, models) lives as long as the process:
    # moved out of the collector's sight, a full collection no longer walks it, which kept the
    # loop (and every request waiting on it) still for a tenth of a second at a time while a
    # drain job allocated (bench/ingest.py: webhook ack p99).
    gc.freeze()
    try:
        yield
    finally:
        if watcher_task is not None:
            watcher_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher_task
        if worker_task is not None:
            # Graceful: the worker finishes the jobs it holds, then stops.
            worker_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker_task
        await job_app.close_async()
        await pool.close()
        if owns_database:
            await get_database().dispose()
            set_database(None)
            release_embedded_postgres(settings.data_dir)


def create_app(
    settings: Settings | None = None, *, manage_database: bool = True, run_workers: bool = True
) -> FastAPI:
    """The ASGI app. Tests pass ``manage_database=False`` after installing their own database."""
    settings = settings or get_settings()
    configure_logging(json=settings.log_json, level=settings.log_level)
    app = FastAPI(
        title="Revenge",
        version="0.8.0",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
        lifespan=_lifespan,
    )
    app.state.settings = settings
    app.state.manage_database = manage_database
    app.state.run_workers = run_workers
    # `revenge serve` swaps in its own, to show the password in its start-up banner.
    app.state.on_first_admin = print_first_admin
    deps.set_authenticator(users_service.authenticate)
    install_error_handlers(app)
    app.add_middleware(BodyLimitMiddleware, limit_for=_body_limits(settings))
    app.add_middleware(CompressionMiddleware)
    # Added last = outermost: the locale and request id are set before a 413 is written.
    app.add_middleware(RequestContextMiddleware, default_locale=settings.default_locale)
    app.include_router(ops_router)
    app.include_router(api_router())
    # The ListenBrainz-compatible API: its own errors and headers, outside the OpenAPI document.
    app.mount(listenbrainz_api.PREFIX, listenbrainz_api.listenbrainz_app())
    install_openapi(app, api_prefix=API_PREFIX)
    _mount_web_ui(app)
    return app


# Multipart framing around an upload's bytes.
_MULTIPART_SLACK = 64 * 1024


def _body_limits(settings: Settings) -> Callable[[Scope], int]:
    """Request bodies are capped at ``max_body_bytes``; uploads, ListenBrainz imports and
    media server webhooks have their own limits."""
    return path_limits(
        lambda: settings.max_body_bytes,
        paths={
            f"{API_PREFIX}/admin/fingerprint/match": settings.fingerprint.max_upload_bytes
            + _MULTIPART_SLACK,
            f"{listenbrainz_api.PREFIX}/submit-listens": MAX_LISTEN_PAYLOAD_SIZE,
        },
        prefixes={f"{API_PREFIX}/ingest/": lambda: settings.ingest.max_payload_bytes},
    )


def _mount_web_ui(app: FastAPI) -> None:
    """Serve the built Svelte app at ``/`` (client-side routes fall back to index.html), its
    text files compressed once (core.compression)."""
    if not (WEB_DIST / "index.html").exists():
        return
    compressed = FileCompressionCache()
    # Vite names assets by their content: a new build has new names, so a year is safe.
    app.mount(
        "/assets",
        PrecompressedFiles(
            directory=WEB_DIST / "assets", cache=compressed, immutable=True, check_dir=False
        ),
        name="assets",
    )

    @app.get("/{path:path}", include_in_schema=False)
    async def spa(path: str, request: Request) -> Response:
        # An unknown API path is a 404 problem, not the app's page; a NUL names no file.
        if path.startswith("api/") or "\x00" in path:
            raise NotFound()
        candidate = (WEB_DIST / path).resolve()
        if path and candidate.is_file() and WEB_DIST.resolve() in candidate.parents:
            return await compressed.respond(FileResponse(candidate), request.scope)
        # no-cache: a new build must reach browsers at once (assets are content-hashed).
        return await compressed.respond(
            FileResponse(WEB_DIST / "index.html"), request.scope, cache_control="no-cache"
        )
