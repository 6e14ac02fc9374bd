"""Kept events of every door are applied when their item turns up: a ListenBrainz listen kept
for a track the library did not have is a counted play, with its origin, after the track is
added; a row kept twice is kept once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from revenge.core.clock import utcnow
from revenge.core.db import session_scope
from revenge.ingest.incoming import ExternalUserRef, IncomingEvent, IncomingKind
from revenge.ingest.jobs import rematch_pending
from revenge.ingest.pending import PendingRow, keep_pending, keep_pending_many
from revenge.library.item_hints import ItemHints
from revenge.playback.models import PlaySession
from revenge.playback.service import PlayOrigin
from tests.factories import make_track
from tests.ingest.conftest import history, unmatched

DIGEST = "ab" * 32


def listen(user_id, *, title: str, at) -> PendingRow:
    hints = ItemHints(media_type="track", artist="Björk", title=title, album="Homogenic")
    return PendingRow(
        reason="item",
        hints=hints,
        event=IncomingEvent(
            kind=IncomingKind.played,
            occurred_at=at,
            position_ms=None,
            user=ExternalUserRef(external_id=str(user_id), name="listener"),
            item=hints,
        ),
        origin=PlayOrigin(source="listenbrainz", origin_digest=DIGEST),
        dedupe_key=f"{user_id}|{title}|{at.isoformat()}"[:64],
        user_id=user_id,
        duration_ms=200_000,
    )


async def test_a_kept_listen_is_applied_after_its_track_is_added(
    client, jobs, admin, make_user, session
):
    listener, headers = await make_user("listener")
    at = utcnow() - timedelta(hours=2)
    async with session_scope() as s:
        kept = await keep_pending_many(
            s,
            [
                listen(listener.id, title="Jóga", at=at),
                listen(listener.id, title="Bachelorette", at=at),
            ],
        )
    assert kept == 2
    assert {g["description"] for g in await unmatched(client, admin)} == {
        "Björk – Jóga (Homogenic)",
        "Björk – Bachelorette (Homogenic)",
    }
    track = await make_track("Jóga", "Björk", duration_ms=305_000)

    figures = await rematch_pending()
    assert (figures["applied"], figures["waiting"]) == (1, 1)

    [play] = await history(client, headers)
    assert (play["media_id"], play["played_ms"]) == (str(track.id), 200_000)
    assert play["ended_at"].startswith(at.strftime("%Y-%m-%dT%H:%M"))
    stored = await session.scalar(select(PlaySession))
    assert (stored.source, stored.origin_digest) == ("listenbrainz", DIGEST)
    [left] = await unmatched(client, admin)
    assert left["description"] == "Björk – Bachelorette (Homogenic)"
    # Again: nothing more to apply, and the applied one is not applied twice.
    assert (await rematch_pending())["applied"] == 0
    assert len(await history(client, headers)) == 1


async def test_the_same_event_is_kept_once(db, make_user):
    listener, _ = await make_user()
    row = listen(listener.id, title="Hunter", at=utcnow())
    async with session_scope() as s:
        first = await keep_pending(
            s,
            reason=row.reason,
            hints=row.hints,
            event=row.event,
            origin=row.origin,
            dedupe_key=row.dedupe_key,
            user_id=listener.id,
        )
        again = await keep_pending(
            s,
            reason=row.reason,
            hints=row.hints,
            event=row.event,
            origin=row.origin,
            dedupe_key=row.dedupe_key,
            user_id=listener.id,
        )
    assert (first, again) == (True, False)
