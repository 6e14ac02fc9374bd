"""Last.fm specifics: signing, ignored scrobbles, retryable and session errors, love, similar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pydantic import SecretStr

from revenge.scrobbling.jobs import process_scrobbles
from revenge.scrobbling.providers.lastfm_auth import api_signature
from tests.factories import make_track
from tests.scrobbling.conftest import API, connect_lastfm, queue_tracks


def test_api_sig_is_md5_of_sorted_pairs_without_format_and_callback():
    params = {"method": "auth.getSession", "api_key": "KEY", "token": "TOKEN", "format": "json"}
    # The example string of the spec: api_key<KEY>methodauth.getSessiontoken<TOKEN><SECRET>
    import hashlib

    expected = hashlib.md5(b"api_keyKEYmethodauth.getSessiontokenTOKENSECRET").hexdigest()  # noqa: S324
    assert api_signature(params, "SECRET") == expected
    # artist[10] sorts before artist[1]: byte order, as Last.fm computes it.
    assert (
        api_signature({"artist[1]": "a", "artist[10]": "b"}, "s")
        == hashlib.md5(  # noqa: S324
            b"artist[10]bartist[1]as"
        ).hexdigest()
    )


async def test_wrong_shared_secret_is_refused_with_a_clear_problem(
    client, make_user, lastfm, test_settings, monkeypatch
):
    _, headers = await make_user()
    monkeypatch.setattr(test_settings.lastfm, "api_secret", SecretStr("not-the-secret"))
    response = await client.post(f"{API}/connect/lastfm", headers=headers)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "scrobbling.provider_refused"
    assert "Invalid method signature" in body["detail"]


async def test_callback_before_the_user_approved_is_refused(client, make_user, lastfm):
    _, headers = await make_user()
    started = (await client.post(f"{API}/connect/lastfm", headers=headers)).json()
    token = started["authorize_url"].split("token=")[1]
    response = await client.get(f"{API}/callback/lastfm", params={"token": token}, headers=headers)
    assert response.status_code == 422
    assert "not been authorized" in response.json()["detail"]


async def test_ignored_scrobbles_are_skipped_with_lastfm_reason(client, make_user, lastfm):
    user, headers = await make_user()
    await connect_lastfm(client, headers, lastfm, "ign")
    lastfm.ignored_artists.add("Unknown Artist")
    await queue_tracks(user.id, "lastfm", 2, artist="Unknown Artist")
    await queue_tracks(user.id, "lastfm", 1, artist="Björk")
    await process_scrobbles(str(user.id), "lastfm")
    skipped = (await client.get(f"{API}/queue?status=skipped", headers=headers)).json()
    assert skipped["total"] == 2
    assert {i["last_error"] for i in skipped["items"]} == {
        "Last.fm ignored it (1): Artist was ignored"
    }
    assert [s["artist"] for s in lastfm.accepted("ign")] == ["Björk"]


async def test_retryable_errors_back_off_then_fail_with_reason_and_can_be_retried(
    client, make_user, lastfm, clock_at, test_settings, monkeypatch
):
    user, headers = await make_user()
    await connect_lastfm(client, headers, lastfm, "flaky")
    monkeypatch.setattr(test_settings.scrobble, "max_attempts", 3)
    await queue_tracks(user.id, "lastfm", 1)
    now = datetime.now(UTC)
    for attempt, code in enumerate((11, 16, 29), start=1):
        lastfm.failures.set(f"error{code}")
        clock_at(now)
        report = await process_scrobbles(str(user.id), "lastfm")
        assert report["postponed"] == 1
        [item] = (await client.get(f"{API}/queue", headers=headers)).json()["items"]
        assert item["retry_count"] == attempt
        assert item["last_error"].startswith(f"Last.fm error {code}")
        if attempt < 3:
            assert item["status"] == "pending"
            wait = datetime.fromisoformat(item["next_attempt_at"]) - now
            assert wait >= timedelta(seconds=test_settings.scrobble.backoff_base_seconds / 2)
            # Not due yet: nothing is sent.
            lastfm.failures.set(None)
            assert (await process_scrobbles(str(user.id), "lastfm"))["sent"] == 0
            now += timedelta(hours=7)
    failed = (await client.get(f"{API}/queue?status=failed", headers=headers)).json()
    assert failed["total"] == 1
    assert failed["items"][0]["last_error"] == "Last.fm error 29: Rate Limit Exceeded"

    lastfm.failures.set(None)
    retried = await client.post(f"{API}/queue/{failed['items'][0]['id']}/retry", headers=headers)
    assert retried.status_code == 200 and retried.json()["status"] == "pending"
    # Error 29 is a rate limit: a retry by hand waits out the back-off too.
    held = await process_scrobbles(str(user.id), "lastfm")
    assert (held["sent"], held["stopped_because"]) == (0, "rate_limited")
    assert lastfm.requests.count("track.scrobble") == 3
    clock_at(now + timedelta(hours=7))
    assert (await process_scrobbles(str(user.id), "lastfm"))["sent"] == 1
    assert len(lastfm.accepted("flaky")) == 1
    again = await client.post(f"{API}/queue/{failed['items'][0]['id']}/retry", headers=headers)
    assert again.status_code == 409
    assert again.json()["code"] == "scrobbling.queue_item_not_retryable"


async def test_invalid_session_marks_connection_for_reconnect_and_keeps_the_plays(
    client, make_user, lastfm
):
    user, headers = await make_user(locale="de")
    await connect_lastfm(client, headers, lastfm, "gone")
    await queue_tracks(user.id, "lastfm", 3)
    lastfm.revoke_all()  # the user removed the app on last.fm
    report = await process_scrobbles(str(user.id), "lastfm")
    assert report["stopped_because"] == "needs_reconnect"
    [status] = [
        c
        for c in (await client.get(f"{API}/connections", headers=headers)).json()
        if c["provider"] == "lastfm"
    ]
    assert status["status"] == "needs_reconnect"
    assert "Invalid session key" in status["status_reason"]
    assert status["status_message"].startswith("Last.fm muss neu verbunden werden")
    assert status["pending"] == 3  # nothing lost
    # The user is told, once, in their language.
    inbox = (await client.get("/api/v1/users/me/notifications", headers=headers)).json()
    reconnect = [n for n in inbox["items"] if n["type"] == "scrobble_reconnect"]
    assert [n["title"] for n in reconnect] == ["Last.fm neu verbinden"]
    assert (await process_scrobbles(str(user.id), "lastfm"))["stopped_because"] == "needs_reconnect"
    inbox = (await client.get("/api/v1/users/me/notifications", headers=headers)).json()
    assert len([n for n in inbox["items"] if n["type"] == "scrobble_reconnect"]) == 1

    await connect_lastfm(client, headers, lastfm, "gone")  # the user reconnects
    assert (await process_scrobbles(str(user.id), "lastfm"))["sent"] == 3


async def test_love_unlove_and_similar(client, make_user, lastfm):
    _, headers = await make_user()
    await connect_lastfm(client, headers, lastfm, "lover")
    track = await make_track("Roads", "Portishead")
    loved = await client.post(f"{API}/lastfm/love/{track.id}", headers=headers)
    assert loved.status_code == 200 and loved.json()["loved"] is True
    assert ("lover", "Portishead", "Roads") in lastfm.loved
    unloved = await client.delete(f"{API}/lastfm/love/{track.id}", headers=headers)
    assert unloved.status_code == 200
    assert lastfm.loved == set()
    similar = await client.get(
        f"{API}/lastfm/recommendations", params={"track_id": str(track.id)}, headers=headers
    )
    assert similar.status_code == 200
    kinds = [(i["kind"], i["artist"]) for i in similar.json()["items"]]
    assert ("track", "Portishead") in kinds and ("artist", "Portishead") in kinds
    missing = await client.post(
        f"{API}/lastfm/love/00000000-0000-0000-0000-000000000000", headers=headers
    )
    assert missing.status_code == 404
