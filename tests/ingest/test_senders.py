"""What each server's webhook says, read field by field: kinds, times, positions, users and the
hints an item is found by; notifications that are no plays are none."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from revenge.ingest.incoming import IncomingKind, MalformedPayload
from revenge.ingest.senders.registry import sender_for
from tests.fakes.media_servers import (
    FakeItem,
    FakeUser,
    WebhookRequest,
    emby_event,
    jellyfin_item_added,
    jellyfin_playback,
    jellyfin_user_data_saved,
    plex_event,
)

AT = datetime(2026, 11, 1, 20, 0, 0, 123456, tzinfo=UTC)
ARRIVED = datetime(2026, 11, 1, 20, 0, 5, tzinfo=UTC)
MBID = "f1b2c3d4-1111-4222-8333-944455556666"
RELEASE = "5dd5d3cc-3a1a-4fa1-8a63-3b1c9a2fc6a0"
MOVIE = FakeItem(
    "movie",
    "Heat",
    year=1995,
    tmdb_id=949,
    imdb_id="tt0113277",
    path="/media/Movies/Heat (1995)/Heat.mkv",
    duration_ms=170 * 60_000,
)
EPISODE = FakeItem(
    "episode", "Lies", series="Dark", season=1, episode=2, tvdb_id=6354721, duration_ms=45 * 60_000
)
TRACK = FakeItem(
    "track",
    "Teardrop",
    artist="Massive Attack",
    album="Mezzanine",
    track_number=3,
    musicbrainz_track=MBID,
    musicbrainz_album=RELEASE,
    recording_mbid=MBID,
    duration_ms=330_000,
)


def parse(kind: str, request: WebhookRequest):
    return sender_for(kind).parse(request.headers["Content-Type"], request.body, ARRIVED)


def test_jellyfin_playback_is_read_whatever_the_content_type():
    user = FakeUser('Anna "the boss"')
    [event] = parse(
        "jellyfin", jellyfin_playback("PlaybackStop", user, MOVIE, at=AT, position_ms=90_000)
    )
    assert event.kind is IncomingKind.stop
    assert event.occurred_at == AT  # UtcTimestamp, 7 fraction digits
    assert event.position_ms == 90_000  # from 100 ns ticks
    assert (event.user.external_id, event.user.name) == (user.id, 'Anna "the boss"')
    assert (event.client, event.device) == ("Jellyfin Android TV", "Living Room TV")
    assert event.external_item_id == MOVIE.server_id
    hints = event.item
    assert (hints.media_type, hints.title, hints.year) == ("movie", "Heat", 1995)
    assert (hints.tmdb_id, hints.imdb_id, hints.path) == (949, "tt0113277", MOVIE.path)
    assert hints.duration_ms == 170 * 60_000


def test_jellyfin_progress_is_a_pause_or_a_resume():
    user = FakeUser("anna")
    paused = jellyfin_playback("PlaybackProgress", user, MOVIE, at=AT, paused=True)
    playing = jellyfin_playback("PlaybackProgress", user, MOVIE, at=AT, position_ms=5)
    assert [e.kind for e in parse("jellyfin", paused)] == [IncomingKind.pause]
    assert [e.kind for e in parse("jellyfin", playing)] == [IncomingKind.resume]
    start = jellyfin_playback("PlaybackStart", user, MOVIE, at=AT)
    assert [e.kind for e in parse("jellyfin", start)] == [IncomingKind.start]


def test_jellyfin_episode_and_track_hints():
    [episode] = parse("jellyfin", jellyfin_playback("PlaybackStart", FakeUser("a"), EPISODE, at=AT))
    hints = episode.item
    assert (hints.series_title, hints.season_number, hints.episode_number) == ("Dark", 1, 2)
    # The provider ids of an episode are its own, not its series'.
    assert (hints.tvdb_id, hints.series_tvdb_id) == (6354721, None)
    [track] = parse("jellyfin", jellyfin_playback("PlaybackStart", FakeUser("a"), TRACK, at=AT))
    hints = track.item
    assert (hints.artist, hints.album, hints.title) == ("Massive Attack", "Mezzanine", "Teardrop")
    # Jellyfin's "track" id names a track on a release, not a recording.
    assert (hints.track_mbid, hints.recording_mbid, hints.release_mbid) == (MBID, None, RELEASE)


def test_jellyfin_marked_played_and_what_is_no_play():
    user = FakeUser("a")
    [played] = parse("jellyfin", jellyfin_user_data_saved(user, MOVIE, at=AT))
    assert (played.kind, played.position_ms, played.occurred_at) == (IncomingKind.played, None, AT)
    for request in (
        jellyfin_user_data_saved(user, MOVIE, at=AT, played=False),
        jellyfin_user_data_saved(user, MOVIE, at=AT, save_reason="PlaybackFinished"),
        jellyfin_user_data_saved(user, MOVIE, at=AT, save_reason="UpdateUserRating"),
        jellyfin_item_added(MOVIE, at=AT),
        _with(jellyfin_playback("PlaybackStart", user, MOVIE, at=AT), ItemType="Trailer"),
        _with(
            jellyfin_playback("PlaybackStart", user, MOVIE, at=AT), NotificationType="SessionStart"
        ),
    ):
        assert parse("jellyfin", request) == []


def _with(request: WebhookRequest, **changes) -> WebhookRequest:
    data = json.loads(request.body)
    data.update(changes)
    return WebhookRequest(request.headers, json.dumps(data).encode())


def test_jellyfin_without_a_time_or_with_odd_ids():
    request = _with(
        jellyfin_playback("PlaybackStart", FakeUser("a"), MOVIE, at=AT),
        UtcTimestamp=None,
        Provider_tmdb="not-a-number",
        Provider_imdb="0113277",
        Username="old-plugin",
        NotificationUsername=None,
    )
    [event] = parse("jellyfin", request)
    assert event.occurred_at == ARRIVED
    assert (event.item.tmdb_id, event.item.imdb_id) == (None, None)  # dropped, not refused
    assert event.user.name == "old-plugin"


def test_plex_multipart_with_a_thumbnail():
    account = FakeUser("bob", id="7152643")
    request = plex_event("media.play", account, EPISODE, position_ms=1_000)
    assert b'name="thumb"; filename="image.jpg"' in request.body
    [event] = parse("plex", request)
    assert event.kind is IncomingKind.start
    assert event.occurred_at == ARRIVED  # Plex does not say when
    assert (event.user.external_id, event.user.name) == ("7152643", "bob")
    assert (event.device, event.external_item_id) == ("Plex Web (Chrome)", EPISODE.plex_rating_key)
    hints = event.item
    assert (hints.series_title, hints.season_number, hints.episode_number) == ("Dark", 1, 2)
    assert (hints.title, hints.tvdb_id, hints.duration_ms) == ("Lies", 6354721, 45 * 60_000)


@pytest.mark.parametrize(
    ("event", "kind"),
    [
        ("media.play", IncomingKind.start),
        ("media.pause", IncomingKind.pause),
        ("media.resume", IncomingKind.resume),
        ("media.stop", IncomingKind.stop),
        ("media.scrobble", IncomingKind.progress),
        ("media.rate", None),
        ("library.new", None),
        ("admin.database.backup", None),
    ],
)
def test_plex_events(event, kind):
    events = parse("plex", plex_event(event, FakeUser("bob", id="1"), MOVIE, position_ms=7))
    assert [e.kind for e in events] == ([kind] if kind else [])
    if kind:
        assert events[0].position_ms == 7
        assert (events[0].item.imdb_id, events[0].item.tmdb_id) == ("tt0113277", 949)


def test_plex_track_and_legacy_agent_ids():
    [track] = parse("plex", plex_event("media.stop", FakeUser("bob", id="1"), TRACK))
    assert (track.item.artist, track.item.album, track.item.track_number) == (
        "Massive Attack",
        "Mezzanine",
        3,
    )
    assert track.item.recording_mbid == MBID
    request = plex_event("media.stop", FakeUser("bob", id="1"), FakeItem("episode", "Lies"))
    old = request.body.replace(
        b'"guid": "plex://episode/',
        b'"guid": "com.plexapp.agents.thetvdb://81189/1/2?lang=en", "x": "',
    )
    [episode] = sender_for("plex").parse(request.headers["Content-Type"], old, ARRIVED)
    assert episode.item.series_tvdb_id == 81189


@pytest.mark.parametrize("encoding", ["multipart", "urlencoded", "json"])
def test_emby_data_in_every_encoding(encoding):
    user = FakeUser("carol", id="aac3a78d9f184ea480fb1629e76aad57")
    request = emby_event(
        "playback.pause", user, TRACK, at=AT, position_ms=60_000, encoding=encoding
    )
    [event] = parse("emby", request)
    assert (event.kind, event.occurred_at, event.position_ms) == (IncomingKind.pause, AT, 60_000)
    assert (event.user.external_id, event.user.name) == (user.id, "carol")
    assert (event.client, event.device) == ("Emby Web", "Chrome Windows")
    assert (event.item.artist, event.item.track_mbid, event.item.track_number) == (
        "Massive Attack",
        MBID,
        3,
    )


@pytest.mark.parametrize(
    ("event", "kind"),
    [
        ("playback.start", IncomingKind.start),
        ("playback.pause", IncomingKind.pause),
        ("playback.unpause", IncomingKind.resume),
        ("playback.stop", IncomingKind.stop),
        ("item.markplayed", IncomingKind.played),
        ("item.rate", None),
        ("library.new", None),
        ("system.notificationtest", None),
    ],
)
def test_emby_events(event, kind):
    events = parse("emby", emby_event(event, FakeUser("c"), EPISODE, at=AT))
    assert [e.kind for e in events] == ([kind] if kind else [])
    if kind:
        hints = events[0].item
        assert (hints.series_title, hints.season_number, hints.episode_number) == ("Dark", 1, 2)


@pytest.mark.parametrize(
    "changes",
    [
        {"Date": "3999-01-01T00:00:00Z"},
        {"User": None},
        {"Item": {"Id": "1", "Type": "Movie", "Name": "x\u0000"}},
        {"Item": {"Id": "1", "Type": "Movie", "ProductionYear": 123456}},
        {"PlaybackInfo": {"PositionTicks": -(10**40)}},
        {"Item": "Heat"},
    ],
)
def test_emby_malformed(changes):
    data = json.loads(
        emby_event("playback.start", FakeUser("c"), MOVIE, at=AT, encoding="json").body
    )
    data.update(changes)
    with pytest.raises(MalformedPayload):
        sender_for("emby").parse("application/json", json.dumps(data).encode(), ARRIVED)
