"""The ListenBrainz-compatible API over raw HTTP: the real server's checks, order and messages,
its error shape and headers, the body limit, and listens becoming plays."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from revenge.ingest.models import PendingEvent
from revenge.playback.models import PlayEvent, PlaySession
from tests.factories import make_track

SUBMIT = "/1/submit-listens"
RECORDING = "3e8e4b3c-91c4-4f47-9b1e-1a7e3f1c0b6d"


async def api_key(client, headers, name: str = "navidrome") -> str:
    created = await client.post("/api/v1/users/me/api-keys", json={"name": name}, headers=headers)
    assert created.status_code == 201, created.text
    return str(created.json()["key"])


def token(key: str) -> dict[str, str]:
    return {"Authorization": f"Token {key}"}


def listen(
    listened_at: int | None = None,
    *,
    track: str = "Teardrop",
    artist: str = "Massive Attack",
    release: str | None = "Mezzanine",
    **info: Any,
) -> dict[str, Any]:
    metadata: dict[str, Any] = {"artist_name": artist, "track_name": track}
    if release is not None:
        metadata["release_name"] = release
    if info:
        metadata["additional_info"] = info
    body: dict[str, Any] = {"track_metadata": metadata}
    if listened_at is not None:
        body["listened_at"] = listened_at
    return body


def submission(listen_type: str, *listens: dict[str, Any]) -> dict[str, Any]:
    return {"listen_type": listen_type, "payload": list(listens)}


def an_hour_ago() -> int:
    return int(time.time()) - 3600


async def plays_of(session, user_id) -> list[PlaySession]:
    rows = await session.execute(
        select(PlaySession)
        .where(PlaySession.user_id == user_id)
        .order_by(PlaySession.started_at)
        .execution_options(populate_existing=True)
    )
    return list(rows.scalars())


# --- errors: the real server's checks, in its order, with its messages -------------------------

NOW = int(time.time())
OK = listen(NOW - 600)
TOO_LOW = (
    "Value for key listened_at is too low. listened_at timestamp should be greater than "
    "1033410600 (2002-10-01 00:00:00 UTC)."
)


def _meta(**fields: Any) -> dict[str, Any]:
    return {"listened_at": NOW - 600, "track_metadata": fields}


def _info(**info: Any) -> dict[str, Any]:
    return listen(NOW - 600, **info)


BAD_BODIES: list[tuple[str, Any, str]] = [
    (
        "top level not an object",
        [],
        "Invalid JSON document submitted. Top level of JSON document should be a json object.",
    ),
    ("no payload", {"listen_type": "single"}, "Invalid JSON document submitted."),
    (
        "payload not a list",
        {"listen_type": "single", "payload": {}},
        "The payload in the JSON document should be a list of listens.",
    ),
    ("empty payload", submission("import"), "JSON document does not contain any listens"),
    (
        "too many",
        submission("import", *[OK] * 1001),
        "Too many listens. You may not submit more than 1000 listens at once.",
    ),
    ("no listen_type", {"payload": [OK]}, "Invalid JSON document submitted."),
    (
        "bad listen_type",
        submission("scrobble", OK),
        "JSON document requires a valid listen_type key.",
    ),
    (
        "listen_type not a string",
        {"listen_type": ["single"], "payload": [OK]},
        "JSON document requires a valid listen_type key.",
    ),
    (
        "two singles",
        submission("single", OK, OK),
        "JSON document contains more than listen for a single/playing_now. It should contain only one.",
    ),
    (
        "two playing_now",
        submission("playing_now", listen(), listen()),
        "JSON document contains more than listen for a single/playing_now. It should contain only one.",
    ),
    ("null listen", submission("single", None), "Listen is empty and cannot be validated."),
    (
        "no listened_at",
        submission("single", listen()),
        "JSON document must contain the key listened_at at the top level.",
    ),
    (
        "listened_at not an int",
        submission("import", listen("yesterday")),
        "JSON document must contain an int value for listened_at.",
    ),  # type: ignore[arg-type]
    (
        "listened_at too high",
        submission("single", listen(NOW + 7200)),
        "Value for key listened_at is too high.",
    ),
    ("listened_at too low", submission("single", listen(1_033_410_599)), TOO_LOW),
    (
        "no track_metadata",
        submission("single", {"listened_at": NOW}),
        "JSON document must contain the key track_metadata at the top level.",
    ),
    (
        "extra top-level key",
        submission("single", {**OK, "user": "x"}),
        "JSON document may only contain listened_at and track_metadata top level keys",
    ),
    (
        "playing_now with listened_at",
        submission("playing_now", OK),
        "JSON document must not contain listened_at while submitting playing_now.",
    ),
    (
        "playing_now extra key",
        submission("playing_now", {**listen(), "x": 1}),
        "JSON document may only contain track_metadata as top level key when submitting playing_now.",
    ),
    (
        "playing_now without metadata",
        submission("playing_now", {}),
        "JSON document must contain the key track_metadata at the top level.",
    ),
    (
        "null track_metadata",
        submission("single", {"listened_at": NOW, "track_metadata": None}),
        "JSON document may not have track_metadata with null value.",
    ),
    (
        "no track_name",
        submission("single", _meta(artist_name="A")),
        "JSON document does not contain required field track_metadata.track_name.",
    ),
    (
        "no artist_name",
        submission("single", _meta(track_name="T")),
        "JSON document does not contain required field track_metadata.artist_name.",
    ),
    (
        "artist_name not a string",
        submission("single", _meta(track_name="T", artist_name=["A"])),
        "track_metadata.artist_name must be a single string.",
    ),
    (
        "blank track_name",
        submission("single", _meta(track_name="  ", artist_name="A")),
        "field track_metadata.track_name is empty.",
    ),
    (
        "release_name not a string",
        submission("single", _meta(track_name="T", artist_name="A", release_name=3)),
        "track_metadata.release_name must be a single string.",
    ),
    (
        "51 tags",
        submission("single", _info(tags=["x"] * 51)),
        "JSON document may not contain more than 50 items in track_metadata.additional_info.tags.",
    ),
    (
        "long tag",
        submission("single", _info(tags=["x" * 65])),
        "JSON document may not contain track_metadata.additional_info.tags longer than 64 characters.",
    ),
    (
        "both durations",
        submission("single", _info(duration=300, duration_ms=300_000)),
        "JSON document should not contain both duration and duration_ms.",
    ),
    (
        "negative duration_ms",
        submission("single", _info(duration_ms=-1)),
        "Value for duration_ms is invalid, should be a positive integer.",
    ),
    (
        "duration_ms not a number",
        submission("single", _info(duration_ms="long")),
        "Value for duration_ms is invalid, should be a positive integer.",
    ),
    (
        "duration too long",
        submission("single", _info(duration=2_073_601)),
        "Value for duration is too large, max permitted value is 2073600",
    ),
    (
        "duration_ms too long",
        submission("single", _info(duration_ms=2_073_600_001)),
        "Value for duration_ms is too large, max permitted value is 2073600000",
    ),
    (
        "bad recording_mbid",
        submission("single", _info(recording_mbid="not-a-uuid")),
        "recording_mbid MBID format invalid.",
    ),
    (
        "bad release_mbid",
        submission("single", _info(release_mbid=42)),
        "release_mbid MBID format invalid.",
    ),
    (
        "bad artist_mbids",
        submission("single", _info(artist_mbids=[RECORDING, "x"])),
        "artist_mbids MBID format invalid.",
    ),
    (
        "bad work_mbids",
        submission("single", _info(work_mbids="x")),
        "work_mbids MBID format invalid.",
    ),
    (
        "unicode null",
        submission("single", listen(NOW - 600, track="Tear\x00drop")),
        "Tear\x00drop contains a unicode null",
    ),
    (
        "unicode null in a list",
        submission("single", _info(tags=["ok", "b\x00d"])),
        "b\x00d contains a unicode null",
    ),
]


@pytest.mark.parametrize(("case", "body", "message"), BAD_BODIES, ids=[b[0] for b in BAD_BODIES])
async def test_a_refused_submission_answers_like_listenbrainz_and_stores_nothing(
    client, make_user, session, case, body, message
):
    user, headers = await make_user()
    key = await api_key(client, headers)
    await make_track(musicbrainz_recording_id=RECORDING)
    response = await client.post(SUBMIT, content=json.dumps(body), headers=token(key))
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"code": 400, "error": message}
    assert int(response.headers["x-ratelimit-remaining"]) > 0
    assert await plays_of(session, user.id) == []
    pending = await session.execute(select(func.count()).select_from(PendingEvent))
    assert pending.scalar_one() == 0


async def test_unparsable_json_says_where(client, make_user):
    _, headers = await make_user()
    key = await api_key(client, headers)
    for raw in (b'{"listen_type": "single",', b"\xff\xfe", b'{"payload": [NaN]}'):
        response = await client.post(SUBMIT, content=raw, headers=token(key))
        assert response.status_code == 400
        assert response.json()["code"] == 400
        assert response.json()["error"].startswith("Cannot parse JSON document: ")


async def test_a_listen_larger_than_10240_bytes_on_average_is_refused(client, make_user):
    _, headers = await make_user()
    key = await api_key(client, headers)
    big = listen(NOW - 600, comment="x" * 10_300)
    response = await client.post(SUBMIT, json=submission("single", big), headers=token(key))
    assert response.json() == {
        "code": 400,
        "error": "JSON document is too large. Each listens may not be larger than 10240 bytes.",
    }
    # In aggregate, as the real server counts: a big listen beside small ones passes.
    small = [listen(NOW - 600 - i, track=f"T{i}") for i in range(3)]
    response = await client.post(SUBMIT, json=submission("import", big, *small), headers=token(key))
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "You need to provide an Authorization header."),
        ({"Authorization": "Token"}, "Provided Authorization header is invalid."),
        ({"Authorization": "Token nope"}, "Invalid authorization token."),
        ({"Authorization": "Token  rvk_two_spaces"}, "Invalid authorization token."),
    ],
)
async def test_a_missing_or_bad_token_is_401_before_the_body_is_read(client, headers, message):
    response = await client.post(SUBMIT, content=b"not even json", headers=headers)
    assert response.status_code == 401
    assert response.json() == {"code": 401, "error": message}
    assert "x-ratelimit-limit" in response.headers


async def test_a_login_token_is_not_a_listenbrainz_token(client, make_user):
    _, headers = await make_user()
    bearer = headers["Authorization"].split(" ")[1]
    response = await client.post(SUBMIT, json=submission("single", OK), headers=token(bearer))
    assert response.json() == {"code": 401, "error": "Invalid authorization token."}


async def test_any_scheme_word_carries_the_token_as_the_real_server_splits_it(client, make_user):
    _, headers = await make_user()
    key = await api_key(client, headers)
    for scheme in ("Token", "token", "Bearer"):
        response = await client.post(
            SUBMIT, json=submission("single", OK), headers={"Authorization": f"{scheme} {key}"}
        )
        assert response.json() == {"status": "ok"}, scheme


async def test_the_body_limit_is_10240000_bytes_in_listenbrainz_words(client, make_user):
    _, headers = await make_user()
    key = await api_key(client, headers)
    too_large = {
        "code": 400,
        "error": "Payload too large. Payload cannot exceed 10240000 bytes",
    }
    # Declared: refused before a byte is read, after the token was checked.
    body = b" " * 10_240_001
    response = await client.post(SUBMIT, content=body, headers=token(key))
    assert response.status_code == 400
    assert response.json() == too_large
    anonymous = await client.post(SUBMIT, content=body)
    assert anonymous.status_code == 401

    # Streamed without a length: refused when the count passes the limit.
    async def chunks():
        for _ in range(11):
            yield b" " * 1_000_000

    streamed = await client.post(SUBMIT, content=chunks(), headers=token(key))
    assert streamed.json() == too_large

    # Up to the limit, the real server's other checks answer (here: whitespace is no JSON).
    at_limit = await client.post(SUBMIT, content=b" " * 10_240_000, headers=token(key))
    assert at_limit.json()["error"].startswith("Cannot parse JSON document")


def test_other_paths_keep_their_limits_and_webhooks_get_theirs(test_settings):
    from revenge.main import _body_limits

    limit_for = _body_limits(test_settings)
    assert limit_for({"path": "/1/submit-listens"}) == 10_240_000
    assert limit_for({"path": "/api/v1/ingest/abc/token"}) == test_settings.ingest.max_payload_bytes
    assert limit_for({"path": "/api/v1/users/me"}) == test_settings.max_body_bytes
    assert limit_for({"path": "/1/validate-token"}) == test_settings.max_body_bytes


async def test_unknown_paths_and_methods_answer_in_listenbrainz_shape(client):
    missing = await client.get("/1/no-such-endpoint")
    assert missing.status_code == 404
    assert missing.json() == {"code": 404, "error": "Not Found"}
    wrong = await client.get(SUBMIT)
    assert wrong.status_code == 405
    assert wrong.json() == {"code": 405, "error": "Method Not Allowed"}


async def test_the_listenbrainz_api_is_not_in_the_openapi_document(client):
    document = (await client.get("/api/v1/openapi.json")).json()
    assert not [path for path in document["paths"] if path.startswith("/1/")]


# --- validate-token ------------------------------------------------------------------------------


async def test_validate_token_by_header_or_query(client, make_user):
    user, headers = await make_user()
    key = await api_key(client, headers)
    valid = {"code": 200, "message": "Token valid.", "valid": True, "user_name": user.username}
    by_header = await client.get("/1/validate-token", headers=token(key))
    assert by_header.status_code == 200 and by_header.json() == valid
    by_query = await client.get("/1/validate-token", params={"token": key})
    assert by_query.json() == valid
    invalid = await client.get("/1/validate-token", params={"token": "rvk_nope"})
    assert invalid.status_code == 200
    assert invalid.json() == {"code": 200, "message": "Token invalid.", "valid": False}
    missing = await client.get("/1/validate-token")
    assert missing.status_code == 400
    assert missing.json() == {"code": 400, "error": "You need to provide an Authorization token."}
    for name in ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset-in"):
        assert int(missing.headers[name]) > 0


async def test_a_deleted_key_is_no_longer_valid(client, make_user):
    _, headers = await make_user()
    key = await api_key(client, headers)
    [row] = (await client.get("/api/v1/users/me/api-keys", headers=headers)).json()
    await client.delete(f"/api/v1/users/me/api-keys/{row['id']}", headers=headers)
    response = await client.get("/1/validate-token", headers=token(key))
    assert response.json()["valid"] is False
    refused = await client.post(SUBMIT, json=submission("single", OK), headers=token(key))
    assert refused.status_code == 401


# --- listens become plays ----------------------------------------------------------------------


async def test_a_single_listen_is_a_finished_counted_play_at_listened_at(
    client, make_user, session
):
    user, headers = await make_user()
    key = await api_key(client, headers)
    track = await make_track(musicbrainz_recording_id=RECORDING, duration_ms=330_000)
    at = an_hour_ago()
    body = submission(
        "single",
        # Other names than the library's: the recording id decides.
        listen(
            at,
            track="Teardrop (Remastered)",
            recording_mbid=RECORDING,
            duration_ms=329_000,
            submission_client="Navidrome",
            submission_client_version="0.53",
        ),
    )
    response = await client.post(SUBMIT, json=body, headers=token(key))
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    [play] = await plays_of(session, user.id)
    assert play.media_type == "track" and play.media_id == track.id
    assert play.started_at == datetime.fromtimestamp(at, UTC)
    assert play.ended_at == play.started_at + timedelta(milliseconds=329_000)
    assert play.played_ms == 329_000 and play.item_duration_ms == 330_000
    assert play.counted and play.state == "stopped"
    assert play.source == "listenbrainz" and play.source_name == "Navidrome"
    assert play.client == "Navidrome"
    assert play.origin_digest == hashlib.sha256(key.encode()).hexdigest()
    events = await session.execute(
        select(PlayEvent.event, PlayEvent.position_ms).where(PlayEvent.session_id == play.id)
    )
    assert sorted(events.all()) == [("start", 0), ("stop", 329_000)]

    # In the user's history like any other play.
    history = (await client.get("/api/v1/users/me/history", headers=headers)).json()
    assert [entry["session_id"] for entry in history["items"]] == [str(play.id)]

    # The client retries: still one play.
    again = await client.post(SUBMIT, json=body, headers=token(key))
    assert again.json() == {"status": "ok"}
    assert len(await plays_of(session, user.id)) == 1


async def test_matching_by_artist_and_title_and_the_librarys_duration(client, make_user, session):
    user, headers = await make_user()
    key = await api_key(client, headers)
    track = await make_track("Jóga", "Björk", duration_ms=305_000)
    at = an_hour_ago()
    response = await client.post(
        SUBMIT,
        json=submission("single", listen(at, track="JOGA", artist="bjork", release=None)),
        headers=token(key),
    )
    assert response.json() == {"status": "ok"}
    [play] = await plays_of(session, user.id)
    assert play.media_id == track.id
    assert play.played_ms == 305_000  # no duration given: the library's
    assert play.ended_at == datetime.fromtimestamp(at, UTC) + timedelta(milliseconds=305_000)


async def test_an_import_records_every_listen_once(client, make_user, session, jobs):
    user, headers = await make_user()
    key = await api_key(client, headers)
    tracks = [
        await make_track(f"Song {i}", "Portishead", musicbrainz_recording_id=str(uuid.uuid4()))
        for i in range(3)
    ]
    start = an_hour_ago() - 86_400
    listens = [
        listen(
            start + 600 * i,
            track=f"Song {i % 3}",
            artist="Portishead",
            recording_mbid=tracks[i % 3].musicbrainz_recording_id,
            duration=200,
        )
        for i in range(30)
    ]
    # A listen twice in the batch, and one the library does not have.
    listens.append(listens[4])
    listens.append(listen(start + 99, track="Unknown Song", artist="Nobody"))
    response = await client.post(SUBMIT, json=submission("import", *listens), headers=token(key))
    assert response.json() == {"status": "ok"}
    plays = await plays_of(session, user.id)
    assert len(plays) == 30
    assert [int(p.started_at.timestamp()) for p in plays] == [start + 600 * i for i in range(30)]
    assert all(p.counted and p.played_ms == 200_000 for p in plays)
    kept = (await session.execute(select(PendingEvent))).scalars().all()
    assert [(k.reason, k.user_id, k.source_id) for k in kept] == [("item", user.id, None)]
    assert kept[0].description.startswith("Nobody – Unknown Song")

    # Sent again, partly overlapping with new ones: only the new ones are added.
    more = [listen(start + 600 * 30 + i, track="Song 0", artist="Portishead") for i in range(2)]
    response = await client.post(
        SUBMIT, json=submission("import", *listens, *more), headers=token(key)
    )
    assert response.json() == {"status": "ok"}
    assert len(await plays_of(session, user.id)) == 32
    assert (await session.execute(select(func.count()).select_from(PendingEvent))).scalar_one() == 1

    # Statistics see them: the analytics jobs run on the batch's events.
    await jobs.run()
    stats = (await client.get("/api/v1/users/me/stats", headers=headers)).json()
    # (each factory track has an artist row of its own)
    assert sum(a["plays"] for a in stats["top_artists"] if a["name"] == "Portishead") == 32


async def test_a_listen_of_an_unknown_track_counts_once_the_track_is_scanned(
    client, make_user, session
):
    from revenge.core.config import get_settings
    from revenge.ingest.pending import rematch_pending

    user, headers = await make_user()
    key = await api_key(client, headers)
    at = an_hour_ago()
    body = submission(
        "single",
        listen(at, track="Roads", artist="Portishead", release="Dummy", duration_ms=305_000),
    )
    assert (await client.post(SUBMIT, json=body, headers=token(key))).json() == {"status": "ok"}
    # Retried before the scan: kept once.
    assert (await client.post(SUBMIT, json=body, headers=token(key))).json() == {"status": "ok"}
    assert await plays_of(session, user.id) == []
    assert (await session.execute(select(func.count()).select_from(PendingEvent))).scalar_one() == 1

    track = await make_track("Roads", "Portishead", duration_ms=305_000)
    report = await rematch_pending(get_settings())
    assert report.applied == 1
    [play] = await plays_of(session, user.id)
    assert play.media_id == track.id
    assert play.started_at == datetime.fromtimestamp(at, UTC)
    assert play.counted and play.source == "listenbrainz"
    assert play.origin_digest == hashlib.sha256(key.encode()).hexdigest()
    assert (await session.execute(select(func.count()).select_from(PendingEvent))).scalar_one() == 0

    # The client retries once more, now that the track is known: still one play.
    assert (await client.post(SUBMIT, json=body, headers=token(key))).json() == {"status": "ok"}
    assert len(await plays_of(session, user.id)) == 1


async def test_playing_now_opens_a_session_that_the_next_report_ends(client, make_user, session):
    user, headers = await make_user()
    key = await api_key(client, headers)
    first = await make_track("Teardrop", "Massive Attack", duration_ms=330_000)
    second = await make_track("Angel", "Massive Attack", duration_ms=380_000)
    now_playing = submission(
        "playing_now", listen(track="Teardrop", artist="Massive Attack", media_player="Feishin")
    )
    assert (await client.post(SUBMIT, json=now_playing, headers=token(key))).json() == {
        "status": "ok"
    }
    [open_play] = await plays_of(session, user.id)
    assert open_play.media_id == first.id
    assert open_play.state == "playing" and open_play.ended_at is None
    assert open_play.source == "listenbrainz" and open_play.source_name == "Feishin"

    read = await client.get(f"/1/user/{user.username}/playing-now", headers=token(key))
    payload = read.json()["payload"]
    assert payload["count"] == 1 and payload["playing_now"] is True
    assert payload["user_id"] == user.username
    [shown] = payload["listens"]
    assert shown["playing_now"] is True
    assert shown["track_metadata"]["track_name"] == "Teardrop"
    assert shown["track_metadata"]["artist_name"] == "Massive Attack"

    # The same track reported again changes nothing; the next one replaces it.
    await client.post(SUBMIT, json=now_playing, headers=token(key))
    assert [p.id for p in await plays_of(session, user.id)] == [open_play.id]
    following = submission("playing_now", listen(track="Angel", artist="Massive Attack"))
    await client.post(SUBMIT, json=following, headers=token(key))
    [play] = await plays_of(session, user.id)
    assert play.media_id == second.id and play.ended_at is None

    # The listen of that track arrives: the notice becomes the play.
    at = int(play.started_at.timestamp())
    single = submission("single", listen(at, track="Angel", artist="Massive Attack"))
    await client.post(SUBMIT, json=single, headers=token(key))
    [play] = await plays_of(session, user.id)
    assert play.counted and play.ended_at is not None
    assert play.started_at == datetime.fromtimestamp(at, UTC)
    empty = (await client.get(f"/1/user/{user.username}/playing-now", headers=token(key))).json()
    assert empty["payload"]["count"] == 0 and empty["payload"]["listens"] == []


async def test_playing_now_of_an_unknown_track_is_not_kept(client, make_user, session):
    user, headers = await make_user()
    key = await api_key(client, headers)
    body = submission("playing_now", listen(track="Nothing", artist="Nobody"))
    assert (await client.post(SUBMIT, json=body, headers=token(key))).json() == {"status": "ok"}
    assert await plays_of(session, user.id) == []
    assert (await session.execute(select(func.count()).select_from(PendingEvent))).scalar_one() == 0


# --- reading back --------------------------------------------------------------------------------


async def test_reading_listens_pages_like_listenbrainz(client, make_user):
    user, headers = await make_user()
    key = await api_key(client, headers)
    await make_track(musicbrainz_recording_id=RECORDING, duration_ms=330_000)
    start = an_hour_ago() - 86_400
    stamps = [start + 1000 * i for i in range(5)]
    body = submission(
        "import", *[listen(at, recording_mbid=RECORDING, media_player="Feishin") for at in stamps]
    )
    await client.post(SUBMIT, json=body, headers=token(key))

    url = f"/1/user/{user.username}/listens"
    newest = (await client.get(url, headers=token(key))).json()["payload"]
    assert newest["count"] == 5 and newest["user_id"] == user.username
    assert [item["listened_at"] for item in newest["listens"]] == stamps[::-1]
    assert newest["latest_listen_ts"] == stamps[-1] and newest["oldest_listen_ts"] == stamps[0]
    first = newest["listens"][0]
    assert first["user_name"] == user.username
    assert first["track_metadata"]["track_name"] == "Teardrop"
    assert first["track_metadata"]["artist_name"] == "Massive Attack"
    assert first["track_metadata"]["release_name"] == "Mezzanine"
    info = first["track_metadata"]["additional_info"]
    assert info["recording_mbid"] == RECORDING and info["duration_ms"] == 330_000
    assert info["media_player"] == "Feishin"

    async def page(**params: Any) -> list[int]:
        answer = await client.get(url, params=params, headers=token(key))
        assert answer.status_code == 200, answer.text
        return [item["listened_at"] for item in answer.json()["payload"]["listens"]]

    # Exclusive bounds, newest first; with min_ts alone, the ones just after it.
    assert await page(max_ts=stamps[3]) == stamps[:3][::-1]
    assert await page(max_ts=stamps[3], count=2) == [stamps[2], stamps[1]]
    assert await page(min_ts=stamps[1]) == stamps[2:][::-1]
    assert await page(min_ts=stamps[0], count=2) == [stamps[2], stamps[1]]
    assert await page(min_ts=stamps[0], max_ts=stamps[3]) == [stamps[2], stamps[1]]
    assert await page(count=0) == []
    assert await page(count=5000) == stamps[::-1]  # capped at 1,000, as the real server does

    for params, message in (
        ({"count": "many"}, "Invalid count argument: many"),
        ({"count": "-1"}, "Number of items requested should be positive"),
        ({"max_ts": "soon"}, "Incorrect max_ts timestamp argument: soon"),
        ({"min_ts": "5", "max_ts": "5"}, "max_ts should be greater than min_ts"),
    ):
        refused = await client.get(url, params=params, headers=token(key))
        assert refused.status_code == 400
        assert refused.json() == {"code": 400, "error": message}


async def test_listens_are_private_to_the_user_and_admins(client, make_user):
    owner, owner_headers = await make_user()
    _, other_headers = await make_user()
    _, admin_headers = await make_user(is_admin=True)
    owner_key = await api_key(client, owner_headers)
    other_key = await api_key(client, other_headers)
    admin_key = await api_key(client, admin_headers)
    url = f"/1/user/{owner.username}/listens"

    anonymous = await client.get(url)
    assert anonymous.status_code == 401
    assert anonymous.json() == {
        "code": 401,
        "error": "You need to provide an Authorization header.",
    }
    forbidden = {"code": 403, "error": "You are not allowed to read this user's listens."}
    for path in (url, f"/1/user/{owner.username}/playing-now", "/1/user/nobody-here/listens"):
        refused = await client.get(path, headers=token(other_key))
        assert refused.status_code == 403, path
        assert refused.json() == forbidden
    assert (await client.get(url, headers=token(owner_key))).status_code == 200
    shouted = f"/1/user/{owner.username.upper()}/listens"  # names are case-insensitive
    assert (await client.get(shouted, headers=token(owner_key))).status_code == 200
    assert (await client.get(url, headers=token(admin_key))).status_code == 200
    unknown = await client.get("/1/user/nobody-here/listens", headers=token(admin_key))
    assert unknown.status_code == 404
    assert unknown.json() == {"code": 404, "error": "Cannot find user: nobody-here"}
