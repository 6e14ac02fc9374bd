"""Importing history, watchlist and ratings: paged, resumable, visible to the user."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from revenge.core.config import get_settings
from revenge.scrobbling.sync import sync_provider
from tests.scrobbling.conftest import API, connect_lastfm, connect_listenbrainz, connect_trakt


def trakt_history(n: int) -> list[dict]:
    base = datetime(2026, 1, 1, tzinfo=UTC)
    rows = []
    for i in range(n):
        watched = (base + timedelta(hours=i)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        if i % 2:
            rows.append(
                {
                    "id": 1000 + i,
                    "watched_at": watched,
                    "action": "scrobble",
                    "type": "movie",
                    "movie": {
                        "title": f"Movie {i}",
                        "year": 1990,
                        "ids": {"trakt": i, "tmdb": 500 + i},
                    },
                }
            )
        else:
            rows.append(
                {
                    "id": 1000 + i,
                    "watched_at": watched,
                    "action": "watch",
                    "type": "episode",
                    "episode": {
                        "season": 1,
                        "number": i,
                        "title": "Ep",
                        "ids": {"trakt": 9000 + i},
                    },
                    "show": {"title": "Dark", "year": 2017, "ids": {"trakt": 77}},
                }
            )
    return rows


async def test_trakt_sync_imports_every_page_resumes_after_a_crash_and_shows_progress(
    client, make_user, jobs, trakt
):
    user, headers = await make_user()
    await connect_trakt(client, headers, trakt, "syncer")
    trakt.history["syncer"] = trakt_history(230)  # 3 pages of 100
    trakt.watchlist["syncer"] = [
        {
            "rank": 1,
            "id": 5,
            "listed_at": "2026-02-01T10:00:00.000Z",
            "type": "movie",
            "movie": {"title": "Thief", "year": 1981, "ids": {"trakt": 55}},
        }
    ]
    trakt.ratings["syncer"] = [
        {
            "rated_at": "2026-02-02T10:00:00.000Z",
            "rating": 9,
            "type": "movie",
            "movie": {"title": "Heat", "year": 1995, "ids": {"trakt": 66}},
        }
    ]
    started = await client.post(f"{API}/trakt/sync", headers=headers)
    assert started.status_code == 202 and started.json()["sync_status"] == "queued"

    # The worker dies after the first page; the progress and cursor survive.
    assert await sync_provider(user.id, "trakt", get_settings(), max_pages=1) == "running"
    [status] = [
        c
        for c in (await client.get(f"{API}/connections", headers=headers)).json()
        if c["provider"] == "trakt"
    ]
    assert (status["sync_status"], status["sync_items"], status["sync_pages_done"]) == (
        "running",
        100,
        1,
    )

    await jobs.run("scrobbling.sync")  # the job resumes from page 2
    [status] = [
        c
        for c in (await client.get(f"{API}/connections", headers=headers)).json()
        if c["provider"] == "trakt"
    ]
    assert status["sync_status"] == "done" and status["last_sync_at"]
    assert status["sync_items"] == 232  # 230 plays + 1 watchlist + 1 rating, none twice
    history = (await client.get(f"{API}/trakt/history?limit=500", headers=headers)).json()
    assert history["total"] == 230
    assert [i["title"] for i in history["items"][:2]] == [
        "Movie 229",
        "Dark S1E228",
    ]  # newest first
    watchlist = (await client.get(f"{API}/trakt/watchlist", headers=headers)).json()
    assert [i["title"] for i in watchlist["items"]] == ["Thief"]
    ratings = (await client.get(f"{API}/trakt/ratings", headers=headers)).json()
    assert [(i["title"], i["rating"]) for i in ratings["items"]] == [("Heat", 9)]

    # A second sync imports nothing twice.
    await client.post(f"{API}/trakt/sync", headers=headers)
    await jobs.run("scrobbling.sync")
    assert (await client.get(f"{API}/trakt/history", headers=headers)).json()["total"] == 230


async def test_lastfm_sync_pages_recent_tracks_and_skips_now_playing(
    client, make_user, jobs, lastfm
):
    _, headers = await make_user()
    await connect_lastfm(client, headers, lastfm, "hist")
    base = int(datetime(2026, 3, 1, tzinfo=UTC).timestamp())
    lastfm.recent["hist"] = [
        {
            "name": "Now",
            "artist": {"#text": "X"},
            "album": {"#text": ""},
            "@attr": {"nowplaying": "true"},
        }
    ] + [
        {
            "name": f"T{i}",
            "artist": {"#text": "Air"},
            "album": {"#text": "Moon Safari"},
            "mbid": "",
            "date": {"uts": str(base - i * 300), "#text": ""},
        }
        for i in range(450)
    ]
    await client.post(f"{API}/lastfm/sync", headers=headers)
    await jobs.run("scrobbling.sync")
    history = (await client.get(f"{API}/lastfm/history?limit=5", headers=headers)).json()
    assert history["total"] == 450
    assert [i["title"] for i in history["items"]][:2] == ["T0", "T1"]


async def test_listenbrainz_sync_walks_back_with_max_ts(client, make_user, jobs, listenbrainz):
    _, headers = await make_user()
    await connect_listenbrainz(client, headers, listenbrainz, "lbhist")
    base = int(datetime(2026, 3, 1, tzinfo=UTC).timestamp())
    listenbrainz.history["lbhist"] = [
        {
            "listened_at": base - i * 60,
            "recording_msid": f"msid-{i}",
            "user_name": "lbhist",
            "track_metadata": {"artist_name": "Moderat", "track_name": f"L{i}"},
        }
        for i in range(1500)
    ]
    await client.post(f"{API}/listenbrainz/sync", headers=headers)
    await jobs.run("scrobbling.sync")
    history = (await client.get(f"{API}/listenbrainz/history", headers=headers)).json()
    assert history["total"] == 1500


async def test_recommendations_from_listenbrainz_handle_204(client, make_user, listenbrainz):
    _, headers = await make_user()
    await connect_listenbrainz(client, headers, listenbrainz, "recs")
    empty = await client.get(f"{API}/listenbrainz/recommendations", headers=headers)
    assert empty.status_code == 200 and empty.json()["items"] == []
    listenbrainz.recommendations["recs"] = [
        {"recording_mbid": "8f3471b5-7e6a-48da-86a9-c1c07a0f47ae", "score": 0.9}
    ]
    body = (await client.get(f"{API}/listenbrainz/recommendations", headers=headers)).json()
    assert body["items"][0]["ids"] == {"recording_mbid": "8f3471b5-7e6a-48da-86a9-c1c07a0f47ae"}
