"""Live activity: what plays now from every door, for admins, as a list and as a stream."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from PIL import Image
from sqlalchemy import event

from revenge.core import clock
from revenge.core.config import Settings
from revenge.core.db import session_scope
from revenge.library.models import MediaImage
from revenge.playback import activity, service
from revenge.playback.schemas import PlaybackEventCreate
from revenge.users.models import User
from tests.factories import make_episode, make_movie, make_track
from tests.helpers import serve_asgi

ACTIVITY = "/api/v1/admin/activity"
STREAM = "/api/v1/admin/activity/stream"
# Whole seconds: the database keeps microseconds, the wire what Pydantic writes.
NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def frozen_now(monkeypatch: pytest.MonkeyPatch) -> datetime:
    monkeypatch.setattr(clock, "utcnow", lambda: NOW)
    return NOW


def ago(**delta: float) -> str:
    return (NOW - timedelta(**delta)).isoformat()


async def native(http, headers, item, event_kind, occurred, position_ms=0, **extra):
    """An event from this server's own players."""
    media_type = extra.pop("media_type", "movie")
    response = await http.post(
        "/api/v1/playback/events",
        json={
            "media_type": media_type,
            "media_id": str(item.id),
            "event": event_kind,
            "position_ms": position_ms,
            "occurred_at": occurred,
            **extra,
        },
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return response.json()


async def from_source(user_id, item, media_type, event_kind, occurred, position_ms, origin):
    """A play applied the way the webhook and ListenBrainz doors apply theirs."""
    async with session_scope() as s:
        await service.apply_event(
            s,
            user_id,
            PlaybackEventCreate(
                media_type=media_type,
                media_id=item.id,
                event=event_kind,
                position_ms=position_ms,
                occurred_at=datetime.fromisoformat(occurred),
                client="Jellyfin Web",
                device="Living room TV",
            ),
            _settings(),
            origin,
        )


def _settings() -> Settings:
    from revenge.core.config import get_settings

    return get_settings()


async def add_poster(item, media_type: str, kind: str, folder: Path) -> Path:
    path = folder / f"{uuid.uuid4().hex}.jpg"
    Image.new("RGB", (20, 30), (200, 30, 30)).save(path, "JPEG")
    async with session_scope() as s:
        s.add(
            MediaImage(
                media_type=media_type,
                media_id=item.id,
                kind=kind,
                path=str(path),
                size_bytes=path.stat().st_size,
                mtime=path.stat().st_mtime,
                width=20,
                height=30,
            )
        )
    return path


async def test_lists_what_plays_now_from_every_door(client, make_user, frozen_now, tmp_path):
    _, admin = await make_user(is_admin=True)
    anna, anna_headers = await make_user("anna")
    bert, _ = await make_user("bert")
    async with session_scope() as s:
        (await s.get(User, bert.id)).display_name = "Bert Brecht"
    movie = await make_movie("Heat", duration_ms=170 * 60_000)
    poster = await add_poster(movie, "movie", "poster", tmp_path)
    track = await make_track("Teardrop", duration_ms=330_000)
    episode = await make_episode("Dark", 1, 2)

    # Anna watches Heat on this server's own player: playing, 10 minutes in.
    await native(
        client, anna_headers, movie, "start", ago(minutes=10), client="Revenge Web", device="Laptop"
    )
    # Bert listens through Jellyfin, paused after 2 minutes.
    origin = service.PlayOrigin(source="jellyfin", source_name="Wohnzimmer")
    await from_source(bert.id, track, "track", "start", ago(minutes=5), 0, origin)
    await from_source(bert.id, track, "track", "pause", ago(minutes=3), 120_000, origin)
    # And an episode through a ListenBrainz-style door, started last, playing.
    lb = service.PlayOrigin(source="listenbrainz", origin_digest="d" * 64)
    await from_source(anna.id, episode, "episode", "start", ago(minutes=1), 60_000, lb)

    response = await client.get(ACTIVITY, headers=admin)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == 3
    assert body["as_of"].startswith(NOW.isoformat()[:19])
    heat, teardrop, dark = body["items"]  # oldest start first

    assert heat["user"] == {"id": str(anna.id), "name": "anna"}
    assert heat["item"]["title"] == "Heat"
    assert heat["item"]["media_type"] == "movie"
    assert heat["source"] == "native" and heat["source_name"] is None
    assert (heat["client"], heat["device"]) == ("Revenge Web", "Laptop")
    assert heat["state"] == "playing"
    assert heat["position_ms"] == 10 * 60_000  # moved on since the start event
    assert heat["duration_ms"] == 170 * 60_000
    assert heat["progress"] == pytest.approx(10 / 170, abs=1e-4)
    assert heat["started_at"].startswith(ago(minutes=10)[:19])
    assert heat["item"]["image_url"] == f"{ACTIVITY}/{heat['session_id']}/artwork"
    artwork = await client.get(heat["item"]["image_url"], headers=admin)
    assert artwork.status_code == 200
    assert artwork.content == poster.read_bytes()
    assert artwork.headers["content-type"] == "image/jpeg"

    assert teardrop["user"]["name"] == "Bert Brecht"
    assert teardrop["item"]["title"] == "Massive Attack – Teardrop"
    assert teardrop["item"]["parent_title"] == "Mezzanine"
    assert teardrop["item"]["year"] == 1998
    assert teardrop["item"]["image_url"] is None
    assert (teardrop["source"], teardrop["source_name"]) == ("jellyfin", "Wohnzimmer")
    assert (teardrop["client"], teardrop["device"]) == ("Jellyfin Web", "Living room TV")
    assert teardrop["state"] == "paused"
    assert teardrop["position_ms"] == 120_000  # paused: stays where it stopped
    assert teardrop["progress"] == pytest.approx(120 / 330, abs=1e-4)

    assert dark["item"]["title"] == "Dark S01E02"
    assert dark["item"]["parent_title"] == "Season 1"
    assert dark["source"] == "listenbrainz"
    assert dark["position_ms"] == 2 * 60_000


async def test_a_playing_position_stops_at_the_end_and_an_unknown_length_has_no_progress(
    client, make_user, frozen_now
):
    _, admin = await make_user(is_admin=True)
    _, headers = await make_user()
    track = await make_track(duration_ms=200_000)
    movie = await make_movie("No Length", duration_ms=None)
    await native(client, headers, track, "start", ago(minutes=10), 30_000, media_type="track")
    await native(client, headers, movie, "start", ago(minutes=2), 5_000)

    items = (await client.get(ACTIVITY, headers=admin)).json()["items"]
    by_title = {entry["item"]["title"]: entry for entry in items}
    song = by_title["Massive Attack – Teardrop"]
    assert song["position_ms"] == 200_000
    assert song["progress"] == 1.0
    unknown = by_title["No Length"]
    assert unknown["duration_ms"] is None
    assert unknown["progress"] is None
    assert unknown["position_ms"] == 125_000


async def test_stale_and_ended_sessions_are_not_listed(client, make_user, frozen_now):
    _, admin = await make_user(is_admin=True)
    _, headers = await make_user()
    stale = _settings().ingest.activity_stale_seconds
    quiet = await make_movie("Quiet but there")
    gone = await make_movie("Vanished player")
    over = await make_movie("Finished")
    await native(client, headers, quiet, "start", ago(seconds=stale + 60))
    await native(client, headers, quiet, "pause", ago(seconds=stale - 30), 90_000)
    await native(client, headers, gone, "start", ago(seconds=stale + 90))
    await native(client, headers, gone, "pause", ago(seconds=stale + 30), 60_000)
    started = await native(client, headers, over, "start", ago(minutes=3))
    await native(
        client, headers, over, "stop", ago(minutes=1), 120_000, session_id=started["session_id"]
    )

    titles = [
        e["item"]["title"] for e in (await client.get(ACTIVITY, headers=admin)).json()["items"]
    ]
    assert titles == ["Quiet but there"]


async def test_a_playing_session_without_news_stays_listed_until_its_item_would_have_ended(
    client, make_user, frozen_now
):
    """Plex and Emby webhooks send no progress: silence while playing is no sign of a gone
    player until the item should have ended."""
    _, admin = await make_user(is_admin=True)
    _, headers = await make_user()
    stale = _settings().ingest.activity_stale_seconds
    film = await make_movie("Long film", duration_ms=3 * 3600_000)
    paused_film = await make_movie("Paused film", duration_ms=3 * 3600_000)
    song = await make_track("Long over", duration_ms=300_000)
    await native(client, headers, film, "start", ago(minutes=90), 0)
    await native(client, headers, paused_film, "pause", ago(minutes=90), 60_000)
    # Ended five minutes in, plus the stale window, plus a minute.
    await native(
        client, headers, song, "start", ago(seconds=300 + stale + 60), 0, media_type="track"
    )

    [entry] = (await client.get(ACTIVITY, headers=admin)).json()["items"]
    assert entry["item"]["title"] == "Long film"
    assert entry["position_ms"] == 90 * 60_000


async def test_an_item_removed_from_the_library_is_still_listed(client, make_user, frozen_now):
    _, admin = await make_user(is_admin=True)
    _, headers = await make_user()
    movie = await make_movie("Short-lived")
    await native(client, headers, movie, "start", ago(minutes=1))
    async with session_scope() as s:
        await s.delete(await s.get(type(movie), movie.id))

    [entry] = (await client.get(ACTIVITY, headers=admin)).json()["items"]
    assert entry["item"]["title"] is None
    assert entry["item"]["image_url"] is None
    assert entry["duration_ms"] == movie.duration_ms  # the session remembers it


async def test_the_list_costs_the_same_statements_for_one_session_or_many(
    client, make_user, frozen_now, db
):
    _, admin = await make_user(is_admin=True)
    _, headers = await make_user()
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    async def statements_for_list() -> int:
        statements.clear()
        event.listen(db.engine.sync_engine, "before_cursor_execute", count)
        try:
            assert (await client.get(ACTIVITY, headers=admin)).status_code == 200
        finally:
            event.remove(db.engine.sync_engine, "before_cursor_execute", count)
        return len(statements)

    await native(client, headers, await make_movie("One"), "start", ago(minutes=1))
    one = await statements_for_list()
    for n in range(6):
        _, listener = await make_user()
        await native(client, listener, await make_movie(f"Movie {n}"), "start", ago(minutes=2))
        await native(
            client, listener, await make_track(f"Song {n}"), "start", ago(minutes=2),
            media_type="track",
        )  # fmt: skip
    many = await statements_for_list()
    # The movie statement runs either way; tracks add the one statement of their own type.
    assert many == one + 1
    assert (await client.get(ACTIVITY, headers=admin)).json()["total"] == 13


async def test_only_admins_see_activity(client, make_user, frozen_now):
    _, headers = await make_user()
    _, admin = await make_user(is_admin=True)
    movie = await make_movie()
    played = await native(client, headers, movie, "start", ago(minutes=1))
    artwork = f"{ACTIVITY}/{played['session_id']}/artwork"
    for path in (ACTIVITY, STREAM, artwork):
        assert (await client.get(path)).status_code == 401
        refused = await client.get(path, headers=headers)
        assert refused.status_code == 403, path
        assert refused.json()["code"] == "auth.admin_required"
    missing = await client.get(artwork, headers=admin)
    assert missing.status_code == 404
    assert missing.json()["code"] == "playback.no_artwork"
    unknown = await client.get(f"{ACTIVITY}/{uuid.uuid4()}/artwork", headers=admin)
    assert unknown.json()["code"] == "playback.session_not_found"


# --- the stream, against a real server with committed data ---------------------------------------


async def next_frame(lines, *, comments: bool = False) -> tuple[str, Any]:
    """The next event (name, parsed data), or with ``comments`` also the next comment
    (":", text)."""
    name, data = None, None
    async for line in lines:
        if line.startswith(":"):
            if comments:
                return ":", line[1:].strip()
            continue
        if line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: "):
            data = json.loads(line[6:])
        elif line == "" and name is not None:
            return name, data
    raise AssertionError("the stream ended")


@pytest.fixture
def fast_stream(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Polls every 50 ms, heartbeat after 0.4 s; returns a list that grows with each poll."""
    monkeypatch.setattr(activity, "POLL_SECONDS", 0.05)
    monkeypatch.setattr(activity, "HEARTBEAT_SECONDS", 0.4)
    polls: list[int] = []
    real = activity.snapshot

    async def counted(*args, **kwargs):
        polls.append(1)
        return await real(*args, **kwargs)

    monkeypatch.setattr(activity, "snapshot", counted)
    return polls


async def test_the_stream_sends_the_list_then_each_change_then_ends_with_the_client(
    app, committed_db, make_user, fast_stream, monkeypatch
):
    _, admin = await make_user(is_admin=True)
    _, headers = await make_user("carla")
    movie = await make_movie("Heat")
    now = datetime.now(UTC)
    async with (
        serve_asgi(app) as base,
        httpx.AsyncClient(base_url=base, timeout=10) as http,
    ):
        async with http.stream("GET", STREAM, headers=admin) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            lines = response.aiter_lines()
            name, data = await asyncio.wait_for(next_frame(lines), 5)
            assert (name, data["items"]) == ("activity", [])

            started = await native(
                http, headers, movie, "start", (now - timedelta(seconds=30)).isoformat()
            )
            name, data = await asyncio.wait_for(next_frame(lines), 5)
            assert name == "activity"
            [entry] = data["items"]
            assert entry["session_id"] == started["session_id"]
            assert entry["user"]["name"] == "carla"
            assert entry["state"] == "playing"

            # A playing bar moving on is no change: only heartbeats until the next event.
            name, text = await asyncio.wait_for(next_frame(lines, comments=True), 5)
            assert (name, text) == (":", "keep-alive")

            await native(
                http, headers, movie, "pause", now.isoformat(), 30_000,
                session_id=started["session_id"],
            )  # fmt: skip
            name, data = await asyncio.wait_for(next_frame(lines), 5)
            assert [e["state"] for e in data["items"]] == ["paused"]
            assert data["items"][0]["position_ms"] == 30_000

            # What the list says at the same moment is what the stream sent.
            listed = (await http.get(ACTIVITY, headers=admin)).json()
            assert listed["items"] == data["items"]

            await native(
                http, headers, movie, "stop", now.isoformat(), 30_000,
                session_id=started["session_id"],
            )  # fmt: skip
            name, data = await asyncio.wait_for(next_frame(lines), 5)
            assert (data["items"], data["total"]) == ([], 0)
            # From here on no heartbeat would reveal a lost client: the server must notice.
            monkeypatch.setattr(activity, "HEARTBEAT_SECONDS", 3600)

        # The client went away: the stream stops polling.
        await asyncio.sleep(0.3)
        settled = len(fast_stream)
        await asyncio.sleep(0.5)
        assert len(fast_stream) == settled


async def test_a_stream_ends_when_its_login_ends(
    app, committed_db, make_user, fast_stream, monkeypatch
):
    monkeypatch.setattr(activity, "REAUTH_SECONDS", 0.2)
    _, admin = await make_user(is_admin=True)
    async with (
        serve_asgi(app) as base,
        httpx.AsyncClient(base_url=base, timeout=10) as http,
        http.stream("GET", STREAM, headers=admin) as response,
    ):
        lines = response.aiter_lines()
        name, _ = await asyncio.wait_for(next_frame(lines), 5)
        assert name == "activity"
        assert (await http.post("/api/v1/auth/logout", headers=admin)).status_code == 204

        async def drain() -> None:
            async for _line in lines:
                pass

        await asyncio.wait_for(drain(), 5)  # ends by itself
