"""Jellyfin, Plex and Emby webhooks posted as the servers post them, through the drain job to
plays in the linked user's history: duplicates, out-of-order events, unknown items that match
after a scan, unlinked users linked later, marked-played items, refused events."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from revenge.core.clock import utcnow
from revenge.ingest.models import InboxEntry, PendingEvent
from revenge.playback.models import PlayEvent, PlaySession
from tests.factories import make_episode, make_movie, make_track
from tests.fakes.media_servers import (
    FakeItem,
    FakeUser,
    emby_event,
    jellyfin_item_added,
    jellyfin_playback,
    jellyfin_user_data_saved,
    plex_event,
    post_webhook,
)
from tests.ingest.conftest import API, add_source, history, source_state, unmatched

MIN = 60 * 1000


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


async def post_all(client, url, requests) -> None:
    for request in requests:
        answer = await post_webhook(client, url, request)
        assert answer.status_code == 202, answer.text


async def test_jellyfin_start_progress_stop_becomes_a_counted_play_in_history(
    client, jobs, make_user, admin
):
    _, alice = await make_user("alice")
    movie = await make_movie("Heat", duration_ms=120 * MIN, tmdb_id=949)
    source = await add_source(client, admin, "jellyfin")
    user = FakeUser("Alice")  # the same name, another case: linked automatically
    item = FakeItem("movie", "Heat", year=1995, tmdb_id=949, duration_ms=120 * MIN)
    t0 = utcnow() - timedelta(hours=3)
    await post_all(
        client,
        source["webhook_url"],
        [
            jellyfin_playback("PlaybackStart", user, item, at=t0),
            jellyfin_playback(
                "PlaybackProgress", user, item, at=t0 + minutes(10), position_ms=10 * MIN
            ),
            jellyfin_playback(
                "PlaybackProgress",
                user,
                item,
                at=t0 + minutes(20),
                position_ms=20 * MIN,
                paused=True,
            ),
            jellyfin_playback(
                "PlaybackProgress",
                user,
                item,
                at=t0 + minutes(25),
                position_ms=20 * MIN,
                paused=True,
            ),
            jellyfin_playback(
                "PlaybackProgress", user, item, at=t0 + minutes(50), position_ms=20 * MIN
            ),
            jellyfin_playback(
                "PlaybackStop", user, item, at=t0 + minutes(80), position_ms=50 * MIN
            ),
        ],
    )
    assert await history(client, alice) == []  # nothing is applied in the request

    await jobs.run("ingest.drain")

    [play] = await history(client, alice)
    assert play["media_id"] == str(movie.id)
    assert play["title"] == "Heat"
    # Playing 0–20 and 50–80: the half hour paused does not count.
    assert play["played_ms"] == 50 * MIN
    assert (play["client"], play["device"]) == ("Jellyfin Android TV", "Living Room TV")
    state = await source_state(client, admin, source["id"])
    assert (state["received"], state["applied"], state["duplicates"], state["unmatched"]) == (
        6,
        6,
        0,
        0,
    )
    assert state["waiting"] == 0 and state["last_error"] is None
    assert state["last_received_at"] is not None


async def test_the_same_webhook_twice_changes_nothing(client, jobs, make_user, admin, session):
    _, alice = await make_user("alice")
    await make_movie("Heat", duration_ms=120 * MIN, tmdb_id=949)
    source = await add_source(client, admin, "jellyfin")
    user, item = FakeUser("alice"), FakeItem("movie", "Heat", tmdb_id=949)
    t0 = utcnow() - timedelta(hours=3)
    start = jellyfin_playback("PlaybackStart", user, item, at=t0)
    stop = jellyfin_playback("PlaybackStop", user, item, at=t0 + minutes(90), position_ms=90 * MIN)
    await post_all(client, source["webhook_url"], [start, stop, stop])
    await jobs.run("ingest.drain")
    await post_all(client, source["webhook_url"], [start])  # and again, after it was applied
    await jobs.run("ingest.drain")

    [play] = await history(client, alice)
    assert play["played_ms"] == 90 * MIN
    events = await session.scalar(select(func.count()).select_from(PlayEvent))
    assert events == 2
    state = await source_state(client, admin, source["id"])
    assert (state["received"], state["applied"], state["duplicates"]) == (4, 2, 2)


async def test_plex_stop_after_scrobble_is_one_play(client, jobs, make_user, admin, move_clock):
    _, bob = await make_user("bob")
    episode = await make_episode("Dark", 1, 2, duration_ms=50 * MIN)
    source = await add_source(client, admin, "plex", "Plex")
    account = FakeUser("bob", id="7152643")
    item = FakeItem("episode", "Lies", series="Dark", season=1, episode=2, duration_ms=50 * MIN)
    t0 = utcnow() - timedelta(hours=2)
    for at, request in (
        (t0, plex_event("media.play", account, item, position_ms=0)),  # with its thumb
        (t0 + minutes(46), plex_event("media.scrobble", account, item, position_ms=46 * MIN)),
        (t0 + minutes(50), plex_event("media.stop", account, item, position_ms=50 * MIN)),
    ):
        move_clock(at)  # Plex does not say when: the event is dated when it arrives
        await post_all(client, source["webhook_url"], [request])
    await jobs.run("ingest.drain")

    [play] = await history(client, bob)
    assert play["media_id"] == str(episode.id)
    assert play["played_ms"] == 50 * MIN
    assert play["device"] == "Plex Web (Chrome)"
    sessions = await client.get(f"{API}/users/me/history", headers=bob)
    assert sessions.json()["total"] == 1


async def test_out_of_order_emby_events_make_the_play_they_describe(
    client, jobs, make_user, admin, session
):
    _, carol = await make_user("carol")
    track = await make_track("Teardrop", "Massive Attack", duration_ms=330_000)
    source = await add_source(client, admin, "emby")
    user = FakeUser("carol", id="aac3a78d9f184ea480fb1629e76aad57")
    item = FakeItem(
        "track", "Teardrop", artist="Massive Attack", album="Mezzanine", duration_ms=330_000
    )
    t0 = utcnow() - timedelta(hours=1)
    # As a flaky network delivers them: the stop first, the pause last.
    await post_all(
        client,
        source["webhook_url"],
        [
            emby_event("playback.stop", user, item, at=t0 + minutes(5), position_ms=270_000),
            emby_event(
                "playback.unpause",
                user,
                item,
                at=t0 + minutes(2),
                position_ms=60_000,
                encoding="urlencoded",
            ),
            emby_event("playback.start", user, item, at=t0, position_ms=0, encoding="json"),
            emby_event("playback.pause", user, item, at=t0 + minutes(1), position_ms=60_000),
        ],
    )
    await jobs.run("ingest.drain")

    [play] = await history(client, carol)
    assert play["media_id"] == str(track.id)
    assert play["played_ms"] == 4 * MIN  # 0–1 and 2–5
    assert (play["client"], play["device"]) == ("Emby Web", "Chrome Windows")
    assert await session.scalar(select(func.count()).select_from(PlaySession)) == 1


async def test_an_unknown_item_waits_and_matches_after_a_library_scan(
    client, jobs, make_user, admin, tree
):
    _, dave = await make_user("dave")
    t = tree("movies")
    t.add("Inception (2010) [tmdbid-27205]/Inception (2010).mkv", t.media.mkv)
    source = await add_source(client, admin, "jellyfin")
    user = FakeUser("dave")
    item = FakeItem("movie", "Inception", year=2010, tmdb_id=27205, duration_ms=2000)
    t0 = utcnow() - timedelta(hours=3)
    await post_all(
        client,
        source["webhook_url"],
        [
            jellyfin_playback("PlaybackStart", user, item, at=t0),
            jellyfin_playback("PlaybackStop", user, item, at=t0 + minutes(1), position_ms=2000),
        ],
    )
    await jobs.run("ingest.drain")
    assert await history(client, dave) == []
    [group] = await unmatched(client, admin)
    assert group["reason"] == "item"
    assert group["description"] == "Inception (2010) [tmdb=27205]"
    assert (group["count"], group["source_id"], group["source_name"]) == (
        2,
        source["id"],
        "jellyfin at home",
    )
    assert (await source_state(client, admin, source["id"]))["unmatched"] == 2

    from tests.ingest.conftest import create_and_scan

    await create_and_scan(client, jobs, admin, name="Movies", kind="movies", path=str(t.root))
    await jobs.run("ingest.rematch")

    [play] = await history(client, dave)
    assert play["title"] == "Inception"
    assert await unmatched(client, admin) == []
    state = await source_state(client, admin, source["id"])
    assert (state["applied"], state["unmatched"]) == (2, 0)


async def test_path_map_finds_the_file_and_a_corrected_map_matches_waiting_events(
    client, jobs, make_user, admin, tree
):
    _, erin = await make_user("erin")
    t = tree("movies")
    t.add("Heat (1995)/Heat (1995).mkv", t.media.mkv)
    from tests.ingest.conftest import create_and_scan

    await create_and_scan(client, jobs, admin, name="Films", kind="movies", path=str(t.root))
    # A wrong map first: the events wait, their path shown as the sender gave it.
    source = await add_source(
        client, admin, "jellyfin", path_map=[{"from": "/data/films", "to": "/nowhere"}]
    )
    user = FakeUser("erin")
    # No ids and another title: only the file can tell which movie this is.
    item = FakeItem(
        "movie",
        "Heat – Director's Definitive Edition",
        path="/data/films/Heat (1995)/Heat (1995).mkv",
    )
    t0 = utcnow() - timedelta(hours=3)
    await post_all(
        client,
        source["webhook_url"],
        [
            jellyfin_playback("PlaybackStart", user, item, at=t0),
            jellyfin_playback("PlaybackStop", user, item, at=t0 + minutes(1), position_ms=2000),
        ],
    )
    await jobs.run("ingest.drain")
    [group] = await unmatched(client, admin)
    assert group["description"].endswith(" /data/films/Heat (1995)/Heat (1995).mkv")

    fixed = await client.patch(
        f"{API}/admin/sources/{source['id']}",
        json={
            "path_map": [
                {"from": "/data/films/", "to": str(t.root) + "/"},
                {"from": "/data", "to": "/nope"},
            ]
        },
        headers=admin,
    )
    assert fixed.status_code == 200, fixed.text
    assert fixed.json()["path_map"][0] == {"from": "/data/films/", "to": str(t.root) + "/"}
    assert fixed.json()["token"] is None and fixed.json()["webhook_url"] is None
    await jobs.run("ingest.rematch")

    [play] = await history(client, erin)
    assert play["title"] == "Heat"
    assert await unmatched(client, admin) == []


async def test_an_unlinked_user_is_applied_once_an_admin_links_them(client, jobs, make_user, admin):
    frank_user, frank = await make_user("frank")
    await make_movie("Heat", duration_ms=120 * MIN, tmdb_id=949)
    source = await add_source(client, admin, "jellyfin")
    stranger = FakeUser("Francis (living room)")
    item = FakeItem("movie", "Heat", tmdb_id=949)
    t0 = utcnow() - timedelta(hours=3)
    await post_all(
        client,
        source["webhook_url"],
        [
            jellyfin_playback("PlaybackStart", stranger, item, at=t0),
            jellyfin_playback(
                "PlaybackStop", stranger, item, at=t0 + minutes(95), position_ms=95 * MIN
            ),
        ],
    )
    await jobs.run("ingest.drain")
    [group] = await unmatched(client, admin)
    assert group["reason"] == "user"
    assert group["description"] == f"Francis (living room) [{stranger.id}]"
    users = (await client.get(f"{API}/admin/sources/{source['id']}/users", headers=admin)).json()
    assert [(u["name"], u["user_id"], u["linked_by"], u["pending"]) for u in users] == [
        ("Francis (living room)", None, None, 2)
    ]

    linked = await client.put(
        f"{API}/admin/sources/{source['id']}/users",
        json=[{"external_id": stranger.id, "user_id": str(frank_user.id)}],
        headers=admin,
    )
    assert linked.status_code == 200, linked.text
    [row] = linked.json()
    assert (row["user_id"], row["username"], row["linked_by"]) == (
        str(frank_user.id),
        "frank",
        "admin",
    )
    await jobs.run("ingest.apply_user")

    [play] = await history(client, frank)
    assert play["played_ms"] == 95 * MIN
    assert await unmatched(client, admin) == []
    # Later events of that user go straight through.
    await post_all(
        client,
        source["webhook_url"],
        [jellyfin_playback("PlaybackStart", stranger, item, at=t0 + minutes(150))],
    )
    await jobs.run("ingest.drain")
    assert (await source_state(client, admin, source["id"]))["applied"] == 3


async def test_unlinking_stops_linking_by_name(client, jobs, make_user, admin, session):
    await make_user("gina")
    await make_movie("Heat", duration_ms=120 * MIN, tmdb_id=949)
    source = await add_source(client, admin, "emby")
    gina = FakeUser("gina", id="77")
    item = FakeItem("movie", "Heat", tmdb_id=949)
    t0 = utcnow() - timedelta(hours=3)
    await post_all(client, source["webhook_url"], [emby_event("playback.start", gina, item, at=t0)])
    await jobs.run("ingest.drain")
    unlinked = await client.put(
        f"{API}/admin/sources/{source['id']}/users",
        json=[{"external_id": "77", "user_id": None}],
        headers=admin,
    )
    assert unlinked.status_code == 200, unlinked.text
    assert (unlinked.json()[0]["user_id"], unlinked.json()[0]["linked_by"]) == (None, "admin")
    await post_all(
        client,
        source["webhook_url"],
        [emby_event("playback.stop", gina, item, at=t0 + minutes(30), position_ms=30 * MIN)],
    )
    await jobs.run("ingest.drain")
    [group] = await unmatched(client, admin)
    assert (group["reason"], group["count"]) == ("user", 1)
    unknown = await client.put(
        f"{API}/admin/sources/{source['id']}/users",
        json=[{"external_id": "nobody", "user_id": None}],
        headers=admin,
    )
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "ingest.external_user_not_found"


async def test_new_names_get_accounts_when_the_setting_says_so(
    client, jobs, admin, test_settings, monkeypatch
):
    monkeypatch.setattr(test_settings.ingest, "create_users", True)
    await make_movie("Heat", duration_ms=120 * MIN, tmdb_id=949)
    source = await add_source(client, admin, "jellyfin")
    newcomer = FakeUser("José Díaz")
    item = FakeItem("movie", "Heat", tmdb_id=949)
    t0 = utcnow() - timedelta(hours=3)
    await post_all(
        client,
        source["webhook_url"],
        [
            jellyfin_playback("PlaybackStart", newcomer, item, at=t0),
            jellyfin_playback(
                "PlaybackStop", newcomer, item, at=t0 + minutes(60), position_ms=60 * MIN
            ),
        ],
    )
    await jobs.run("ingest.drain")
    [row] = (await client.get(f"{API}/admin/sources/{source['id']}/users", headers=admin)).json()
    assert (row["username"], row["linked_by"]) == ("Jose_Diaz", "created")
    users = (await client.get(f"{API}/admin/users", headers=admin)).json()["items"]
    created = next(u for u in users if u["username"] == "Jose_Diaz")
    assert (created["display_name"], created["is_admin"]) == ("José Díaz", False)
    login = await client.post(
        f"{API}/auth/login", json={"username": "Jose_Diaz", "password": "anything at all"}
    )
    assert login.status_code == 401
    assert (await source_state(client, admin, source["id"]))["applied"] == 2


async def test_marked_played_is_a_finished_play(client, jobs, make_user, admin):
    _, hana = await make_user("hana")
    track = await make_track("Angel", "Massive Attack", duration_ms=380_000)
    source = await add_source(client, admin, "jellyfin")
    user = FakeUser("hana")
    item = FakeItem("track", "Angel", artist="Massive Attack", album="Mezzanine")
    at = utcnow() - timedelta(hours=1)
    await post_all(
        client,
        source["webhook_url"],
        [
            jellyfin_user_data_saved(user, item, at=at),
            jellyfin_user_data_saved(user, item, at=at),  # sent twice
            # Not by hand, or unmarked: no plays.
            jellyfin_user_data_saved(user, item, at=at, save_reason="PlaybackFinished"),
            jellyfin_user_data_saved(user, item, at=at + minutes(1), played=False),
        ],
    )
    await jobs.run("ingest.drain")
    [play] = await history(client, hana)
    assert play["media_id"] == str(track.id)
    assert play["played_ms"] == 380_000
    assert play["ended_at"].startswith(at.strftime("%Y-%m-%dT%H:%M:%S"))
    state = await source_state(client, admin, source["id"])
    assert (state["received"], state["applied"], state["duplicates"]) == (4, 1, 1)


async def test_notifications_that_are_no_plays_are_accepted_and_counted(client, jobs, admin):
    source = await add_source(client, admin, "jellyfin")
    item = FakeItem("movie", "Heat")
    answer = await post_webhook(
        client, source["webhook_url"], jellyfin_item_added(item, at=utcnow())
    )
    assert (answer.status_code, answer.json()) == (202, {"events": 0})
    await jobs.run("ingest.drain")
    state = await source_state(client, admin, source["id"])
    assert (state["received"], state["applied"], state["waiting"]) == (1, 0, 0)


async def test_an_event_playback_refuses_is_recorded_not_raised(
    client, jobs, make_user, admin, session
):
    await make_user("ivan")
    await make_movie("Heat", duration_ms=120 * MIN, tmdb_id=949)
    source = await add_source(client, admin, "jellyfin")
    user, item = FakeUser("ivan"), FakeItem("movie", "Heat", tmdb_id=949)
    # The Jellyfin server's clock runs an hour ahead.
    await post_all(
        client,
        source["webhook_url"],
        [jellyfin_playback("PlaybackStart", user, item, at=utcnow() + timedelta(hours=1))],
    )
    await jobs.run("ingest.drain")
    state = await source_state(client, admin, source["id"])
    assert state["last_error"] == "playback.event_in_future: start of Heat [tmdb=949]"
    assert state["last_error_at"] is not None
    assert (state["received"], state["applied"], state["waiting"]) == (1, 0, 0)
    assert await session.scalar(select(func.count()).select_from(InboxEntry)) == 0


async def test_a_failing_row_keeps_its_place_and_the_others_go_through(
    client, jobs, make_user, admin, session, monkeypatch, move_clock
):
    from revenge.ingest import drain

    _, jill = await make_user("jill")
    await make_movie("Heat", duration_ms=120 * MIN, tmdb_id=949)
    await make_movie("Alien", duration_ms=110 * MIN, tmdb_id=348)
    source = await add_source(client, admin, "jellyfin")
    user = FakeUser("jill")
    heat, alien = FakeItem("movie", "Heat", tmdb_id=949), FakeItem("movie", "Alien", tmdb_id=348)
    t0 = utcnow() - timedelta(hours=3)
    real_apply = drain.apply_play

    async def broken_for_alien(session, user_id, ref, event, origin, settings, *args):
        if event.item.title == "Alien":
            raise RuntimeError("disk on fire")
        return await real_apply(session, user_id, ref, event, origin, settings, *args)

    monkeypatch.setattr(drain, "apply_play", broken_for_alien)
    await post_all(
        client,
        source["webhook_url"],
        [
            jellyfin_playback("PlaybackStart", user, heat, at=t0),
            jellyfin_playback("PlaybackStart", user, alien, at=t0 + minutes(1)),
            jellyfin_playback(
                "PlaybackStop", user, heat, at=t0 + minutes(100), position_ms=100 * MIN
            ),
        ],
    )
    await jobs.run("ingest.drain")

    [play] = await history(client, jill)
    assert play["title"] == "Heat"
    [left] = (await session.execute(select(InboxEntry))).scalars().all()
    assert left.attempts == 1
    state = await source_state(client, admin, source["id"])
    assert (state["received"], state["applied"], state["waiting"]) == (3, 2, 1)
    assert state["last_error"].endswith("RuntimeError: disk on fire")

    # Fixed: the sweeper finds the row left behind and a drain applies it.
    monkeypatch.setattr(drain, "apply_play", real_apply)
    move_clock(utcnow() + timedelta(minutes=2))
    from revenge.ingest.jobs import sweep_inbox

    assert await sweep_inbox(timestamp=0) == 1
    await jobs.run("ingest.drain")
    assert await session.scalar(select(func.count()).select_from(InboxEntry)) == 0
    state = await source_state(client, admin, source["id"])
    assert (state["received"], state["applied"], state["waiting"]) == (3, 3, 0)


async def test_deleting_a_source_takes_its_inbox_and_waiting_events_and_keeps_plays(
    client, jobs, make_user, admin, session
):
    _, kim = await make_user("kim")
    await make_movie("Heat", duration_ms=120 * MIN, tmdb_id=949)
    source = await add_source(client, admin, "jellyfin")
    t0 = utcnow() - timedelta(hours=3)
    kim_there, item = FakeUser("kim"), FakeItem("movie", "Heat", tmdb_id=949)
    await post_all(
        client,
        source["webhook_url"],
        [
            jellyfin_playback("PlaybackStart", kim_there, item, at=t0),
            jellyfin_playback(
                "PlaybackStop", kim_there, item, at=t0 + minutes(90), position_ms=90 * MIN
            ),
            jellyfin_playback("PlaybackStart", FakeUser("nobody here"), item, at=t0),
        ],
    )
    await jobs.run("ingest.drain")
    await post_all(
        client, source["webhook_url"], [jellyfin_playback("PlaybackStart", kim_there, item, at=t0)]
    )
    deleted = await client.delete(f"{API}/admin/sources/{source['id']}", headers=admin)
    assert deleted.status_code == 204
    assert await session.scalar(select(func.count()).select_from(PendingEvent)) == 0
    assert await session.scalar(select(func.count()).select_from(InboxEntry)) == 0
    assert len(await history(client, kim)) == 1
    await jobs.run("ingest.drain")  # the drain of a source that is gone does nothing
    gone = await post_webhook(
        client, source["webhook_url"], jellyfin_playback("PlaybackStart", kim_there, item, at=t0)
    )
    assert gone.status_code == 401
