"""Downloader settings (admin): add, change, remove, and test a Radarr, Sonarr or Lidarr.

The API key is sealed at rest and never shown again; the webhook URL carries a token of which
only the SHA-256 is stored (shown once, at creation or when renewed). One downloader per kind
is the default: approved requests of that kind go to it.
"""

from __future__ import annotations

import uuid
from typing import Any

import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core import crypto
from revenge.core.config import Settings
from revenge.core.errors import AppError, Conflict, NotFound, Unprocessable
from revenge.core.http import ProviderError
from revenge.core.security import new_token, token_digest
from revenge.downloaders import repository as repo
from revenge.downloaders.clients.base import (
    Choices,
    DownloaderConfig,
    DownloaderKind,
    DownloaderRejected,
    FailureCode,
)
from revenge.downloaders.clients.registry import KIND_FIELDS, client_for, kind_label
from revenge.downloaders.models import Downloader
from revenge.downloaders.schemas import (
    ChoiceRead,
    DownloaderCreate,
    DownloaderCreated,
    DownloaderRead,
    DownloaderTestBody,
    DownloaderTestResult,
    DownloaderUpdate,
    PathMapping,
    RootFolderRead,
    WebhookUrl,
)

log = structlog.get_logger(__name__)
KEY_PURPOSE = "downloader-api-key"
WEBHOOK_PATH = "/api/v1/ingest/downloader"
_KIND_ONLY = frozenset().union(*KIND_FIELDS.values())


class BadGateway(AppError):
    status = 502
    default_code = "downloaders.unreachable"


# --- reading -------------------------------------------------------------------------------------


def read(row: Downloader) -> DownloaderRead:
    return DownloaderRead(
        id=row.id,
        kind=DownloaderKind(row.kind),
        name=row.name,
        base_url=row.base_url,
        api_key_set=bool(row.api_key),
        quality_profile_id=row.quality_profile_id,
        root_folder=row.root_folder,
        metadata_profile_id=row.metadata_profile_id,
        minimum_availability=row.minimum_availability,
        series_type=row.series_type,
        season_folder=row.season_folder,
        tags=list(row.tags or []),
        search_on_add=row.search_on_add,
        is_default=row.is_default,
        path_map=[PathMapping.model_validate(entry) for entry in row.path_map or []],
        last_webhook_at=row.last_webhook_at,
        last_webhook_event=row.last_webhook_event,
        last_checked_at=row.last_checked_at,
        last_error=row.last_error,
        last_error_at=row.last_error_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


async def list_all(session: AsyncSession) -> list[DownloaderRead]:
    return [read(row) for row in await repo.list_downloaders(session)]


async def _get(
    session: AsyncSession, downloader_id: uuid.UUID, *, lock: bool = False
) -> Downloader:
    row = await repo.get_downloader(session, downloader_id, lock=lock)
    if row is None:
        raise NotFound("downloaders.not_found")
    return row


async def get_one(session: AsyncSession, downloader_id: uuid.UUID) -> DownloaderRead:
    return read(await _get(session, downloader_id))


# --- writing -------------------------------------------------------------------------------------


def _check_kind_fields(kind: DownloaderKind, values: dict[str, Any]) -> None:
    """Radarr's, Sonarr's and Lidarr's own settings are refused for the other kinds."""
    for name in sorted(_KIND_ONLY - KIND_FIELDS[kind]):
        if values.get(name) is not None:
            raise Unprocessable("downloaders.field_not_for_kind", field=name, kind=kind_label(kind))


def _path_map(values: list[Any]) -> list[dict[str, str]]:
    return [{"from": entry.from_, "to": entry.to} for entry in values]


def webhook_url(settings: Settings, downloader_id: uuid.UUID, token: str) -> str:
    return f"{settings.public_url.rstrip('/')}{WEBHOOK_PATH}/{downloader_id}/{token}"


async def _make_default(session: AsyncSession, row: Downloader) -> None:
    await repo.clear_default(session, row.kind, except_id=row.id)
    row.is_default = True


async def _flush(session: AsyncSession) -> None:
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:  # two admins at once: the indexes keep the rules
        raise Conflict("downloaders.changed_concurrently") from exc


async def create(
    session: AsyncSession, body: DownloaderCreate, settings: Settings
) -> DownloaderCreated:
    kind = DownloaderKind(body.kind)
    values = body.model_dump(exclude={"path_map"})
    _check_kind_fields(kind, values)
    if await repo.name_taken(session, body.name):
        raise Conflict("downloaders.name_taken", name=body.name)
    same_kind = await repo.lock_kind(session, kind)
    token = new_token(nbytes=32)
    row = Downloader(
        id=uuid.uuid4(),
        kind=kind.value,
        name=body.name,
        base_url=body.base_url,
        api_key=crypto.encrypt(settings.secret, body.api_key, purpose=KEY_PURPOSE),
        quality_profile_id=body.quality_profile_id,
        root_folder=body.root_folder,
        metadata_profile_id=body.metadata_profile_id,
        minimum_availability=body.minimum_availability,
        series_type=body.series_type,
        season_folder=body.season_folder,
        tags=list(body.tags),
        search_on_add=body.search_on_add,
        is_default=False,
        path_map=_path_map(body.path_map),
        webhook_token_hash=token_digest(token),
    )
    session.add(row)
    await _flush(session)
    wants_default = body.is_default if body.is_default is not None else not same_kind
    if wants_default:
        await _make_default(session, row)
        await _flush(session)
    await session.refresh(row)
    log.info("downloader.created", downloader_id=str(row.id), kind=row.kind)
    return DownloaderCreated(
        **read(row).model_dump(by_alias=True), webhook_url=webhook_url(settings, row.id, token)
    )


async def update(
    session: AsyncSession, downloader_id: uuid.UUID, body: DownloaderUpdate, settings: Settings
) -> DownloaderRead:
    row = await _get(session, downloader_id, lock=True)
    kind = DownloaderKind(row.kind)
    given = body.model_dump(exclude_unset=True, exclude={"path_map"})
    _check_kind_fields(kind, given)
    for required in ("name", "base_url", "api_key", "tags", "search_on_add", "is_default"):
        if required in given and given[required] is None:
            raise Unprocessable("downloaders.field_required", field=required)
    if "path_map" in body.model_fields_set and body.path_map is None:
        raise Unprocessable("downloaders.field_required", field="path_map")
    if "name" in given and await repo.name_taken(session, given["name"], other_than=row.id):
        raise Conflict("downloaders.name_taken", name=given["name"])
    if given.pop("is_default", None) is not None:
        await repo.lock_kind(session, kind)
        if body.is_default:
            await _make_default(session, row)
        else:
            row.is_default = False
    if "api_key" in given:
        row.api_key = crypto.encrypt(settings.secret, given.pop("api_key"), purpose=KEY_PURPOSE)
    if "tags" in given:
        given["tags"] = list(given["tags"])
    for name, value in given.items():
        setattr(row, name, value)
    if body.path_map is not None:
        row.path_map = _path_map(body.path_map)
    await _flush(session)
    await session.refresh(row)
    return read(row)


async def delete(session: AsyncSession, downloader_id: uuid.UUID) -> None:
    """Remove a downloader; nothing in the downloader itself is touched. Hand-offs waiting for
    it go to the kind's default when they are next tried."""
    row = await _get(session, downloader_id, lock=True)
    await session.delete(row)
    await session.flush()


async def renew_webhook(
    session: AsyncSession, downloader_id: uuid.UUID, settings: Settings
) -> WebhookUrl:
    """A new webhook URL; the old one stops working."""
    row = await _get(session, downloader_id, lock=True)
    token = new_token(nbytes=32)
    row.webhook_token_hash = token_digest(token)
    await session.flush()
    return WebhookUrl(webhook_url=webhook_url(settings, row.id, token))


# --- the test ------------------------------------------------------------------------------------


def config_of(row: Downloader, settings: Settings) -> DownloaderConfig:
    """The client's settings; raises ``DownloaderRejected(key_unreadable)`` when the stored key
    was sealed with another server secret."""
    try:
        api_key = crypto.decrypt(settings.secret, row.api_key, purpose=KEY_PURPOSE)
    except crypto.DecryptionError as exc:
        raise DownloaderRejected(
            FailureCode.key_unreadable,
            f"the stored API key of {row.name} cannot be read (the server secret changed)",
        ) from exc
    return DownloaderConfig(
        base_url=row.base_url,
        api_key=api_key,
        quality_profile_id=row.quality_profile_id,
        root_folder=row.root_folder,
        metadata_profile_id=row.metadata_profile_id,
        minimum_availability=row.minimum_availability,
        series_type=row.series_type,
        season_folder=row.season_folder,
        tags=tuple(row.tags or ()),
        search_on_add=row.search_on_add,
    )


def _problem(kind: DownloaderKind, exc: ProviderError) -> AppError:
    """A failed test as the admin sees it: a stable code and the downloader's own words."""
    code = getattr(exc, "code", FailureCode.bad_answer)
    label = kind_label(kind)
    if code in (FailureCode.unreachable, FailureCode.server_error, FailureCode.bad_answer):
        return BadGateway(f"downloaders.{code}", downloader=label, reason=exc.reason)
    return Unprocessable(f"downloaders.{code}", downloader=label, reason=exc.reason)


async def _run_test(
    kind: DownloaderKind, config: DownloaderConfig, settings: Settings
) -> DownloaderTestResult:
    client = client_for(kind, config, settings.downloaders)
    try:
        choices = await client.test()
    except ProviderError as exc:
        log.info("downloader.test_failed", kind=kind.value, reason=exc.reason)
        raise _problem(kind, exc) from exc
    finally:
        await client.aclose()
    return _test_result(choices)


def _test_result(choices: Choices) -> DownloaderTestResult:
    return DownloaderTestResult(
        app_name=choices.app_name,
        version=choices.version,
        quality_profiles=[ChoiceRead(id=c.id, name=c.name) for c in choices.quality_profiles],
        root_folders=[
            RootFolderRead(path=f.path, free_space=f.free_space, accessible=f.accessible)
            for f in choices.root_folders
        ],
        metadata_profiles=[ChoiceRead(id=c.id, name=c.name) for c in choices.metadata_profiles],
        tags=[ChoiceRead(id=c.id, name=c.name) for c in choices.tags],
    )


async def test_saved(
    session: AsyncSession, downloader_id: uuid.UUID, settings: Settings
) -> DownloaderTestResult:
    """Call the saved downloader: its profiles, root folders (and metadata profiles)."""
    row = await _get(session, downloader_id)
    kind = DownloaderKind(row.kind)
    try:
        config = config_of(row, settings)
    except DownloaderRejected as exc:
        raise _problem(kind, exc) from exc
    return await _run_test(kind, config, settings)


async def test_unsaved(
    session: AsyncSession, body: DownloaderTestBody, settings: Settings
) -> DownloaderTestResult:
    """Call a downloader from settings that are not saved (yet), e.g. while adding it."""
    kind = DownloaderKind(body.kind)
    api_key = body.api_key
    if api_key is None:
        if body.downloader_id is None:
            raise Unprocessable("downloaders.field_required", field="api_key")
        row = await _get(session, body.downloader_id)
        try:
            api_key = config_of(row, settings).api_key
        except DownloaderRejected as exc:
            raise _problem(kind, exc) from exc
    return await _run_test(
        kind, DownloaderConfig(base_url=body.base_url, api_key=api_key), settings
    )
