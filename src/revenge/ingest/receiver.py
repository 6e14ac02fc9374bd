"""The webhook door: check, store, answer.

Media servers do not retry a webhook, so the body is stored (``ingest_inbox``) before the 2xx,
and everything slow (users, matching, playback) happens in the drain job. Receipts that arrive
together share one transaction and one INSERT (``_GroupCommit``), which checks each token and
tells whether a drain job is waiting already; only where none is, a drain is deferred
(coalesced per source). The source's kind, which never changes, is remembered per process, so
the parser is known without asking the database.

A body is parsed once here, so that a malformed one is refused (400) and never stored. A wrong
source id and a wrong token look the same (401), whichever it was.
"""

from __future__ import annotations

import asyncio
import uuid
import weakref
from datetime import datetime

from revenge.core import clock
from revenge.core.db import session_scope
from revenge.core.errors import BadRequest, Unauthorized
from revenge.core.security import token_digest
from revenge.ingest import pressure, tasks
from revenge.ingest import repository as repo
from revenge.ingest.incoming import MalformedPayload
from revenge.ingest.senders.base import SourceKind
from revenge.ingest.senders.registry import sender_for

# No token we issue is longer; a longer one is refused without hashing it.
MAX_TOKEN = 128
MAX_CONTENT_TYPE = 200
_KINDS_REMEMBERED = 4096
_kinds: dict[uuid.UUID, SourceKind] = {}


def _refused() -> Unauthorized:
    return Unauthorized("ingest.webhook_refused")


async def receive_webhook(
    source_ref: str,
    token: str | None,
    content_type: str,
    body: bytes,
    received_at: datetime | None = None,
) -> int:
    """Store one webhook body of a source; returns how many play events it holds. Returns
    once the body is committed (the 2xx is never sent for a body that could still be lost)."""
    try:
        source_id = uuid.UUID(source_ref)
    except ValueError:
        raise _refused() from None
    if not token or len(token) > MAX_TOKEN:
        raise _refused()
    digest = token_digest(token)
    kind = _kinds.get(source_id)
    verified = False
    if kind is None:
        found = await _kind_of(source_id, digest)
        if found is None:
            raise _refused()
        kind = _remember(source_id, SourceKind(found))
        verified = True
    received_at = received_at or clock.utcnow()
    content_type = content_type[:MAX_CONTENT_TYPE]
    try:
        events = sender_for(kind).parse(content_type, body, received_at)
    except MalformedPayload as exc:
        # Say "malformed" only to a caller who holds the token.
        if not verified and await _kind_of(source_id, digest) is None:
            raise _refused() from None
        raise BadRequest("ingest.malformed_payload", reason=str(exc)[:200]) from None
    receipt = repo.Receipt(
        source_id=source_id,
        token_hash=digest,
        received_at=received_at,
        content_type=content_type,
        body=body,
    )
    with pressure.receiving():
        if not await _group_commit().store(receipt):
            raise _refused()
    return len(events)


async def _kind_of(source_id: uuid.UUID, digest: str) -> str | None:
    async with session_scope() as session:
        return await repo.source_kind(session, source_id, digest)


class _GroupCommit:
    """Webhooks that arrive together are stored together: one transaction and one INSERT for
    all the bodies waiting when the previous commit ended, with the drain jobs the batch
    needs. Each request still waits for the commit of its own body before it is answered, so
    nothing acknowledged can be lost; what is shared is the round trips and the commit, which
    cost more than the rest of a receipt (``bench/ingest.py``)."""

    MAX_BATCH = 500

    def __init__(self) -> None:
        self._waiting: list[tuple[repo.Receipt, asyncio.Future[bool]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def store(self, receipt: repo.Receipt) -> bool:
        """True once stored; False when the token is not the source's (nothing stored)."""
        stored = asyncio.get_running_loop().create_future()
        self._waiting.append((receipt, stored))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())
        # A client that hangs up does not cancel the write of its body (shield).
        return await asyncio.shield(stored)

    async def _write(self) -> None:
        while self._waiting:
            batch = self._waiting[: self.MAX_BATCH]
            del self._waiting[: self.MAX_BATCH]
            try:
                async with session_scope() as session:
                    outcomes = await repo.store_webhooks(
                        session, [receipt for receipt, _ in batch], tasks.drain_lock
                    )
                    idle = {
                        receipt.source_id
                        for (receipt, _), outcome in zip(batch, outcomes, strict=True)
                        if outcome is repo.Stored.no_drain_waiting
                    }
                    for source_id in sorted(idle):
                        await tasks.schedule_drain(session, source_id)
            except BaseException as exc:
                for _, stored in batch:
                    if not stored.done():
                        stored.set_exception(exc)
                if not isinstance(exc, Exception):
                    raise
                continue
            for (_, stored), outcome in zip(batch, outcomes, strict=True):
                if not stored.done():
                    stored.set_result(outcome is not repo.Stored.refused)


# One writer per event loop (tests run each in a loop of its own).
_writers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _GroupCommit] = (
    weakref.WeakKeyDictionary()
)


def _group_commit() -> _GroupCommit:
    loop = asyncio.get_running_loop()
    writer = _writers.get(loop)
    if writer is None:
        writer = _writers[loop] = _GroupCommit()
    return writer


def _remember(source_id: uuid.UUID, kind: SourceKind) -> SourceKind:
    if len(_kinds) >= _KINDS_REMEMBERED:
        _kinds.clear()
    _kinds[source_id] = kind
    return kind
