"""The webhook door: a wrong source or token is 401 without saying which, a malformed body is
400, and neither stores anything or defers a job; a good one is stored and answered 202."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
from sqlalchemy import func, select

from revenge.core.clock import utcnow
from revenge.ingest.models import InboxEntry
from tests.fakes.media_servers import (
    FakeItem,
    FakeUser,
    WebhookRequest,
    emby_event,
    jellyfin_playback,
    plex_event,
    post_webhook,
)
from tests.ingest.conftest import API, add_source, source_state

ITEM = FakeItem("movie", "Heat", year=1995, tmdb_id=949)
USER = FakeUser("alice")


async def stored(session) -> int:
    return int(await session.scalar(select(func.count()).select_from(InboxEntry)) or 0)


def jellyfin() -> WebhookRequest:
    return jellyfin_playback("PlaybackStart", USER, ITEM, at=utcnow())


async def test_a_webhook_is_stored_and_one_drain_job_waits_for_many(client, jobs, admin, session):
    source = await add_source(client, admin, "jellyfin")
    for _ in range(3):
        answer = await post_webhook(client, source["webhook_url"], jellyfin())
        assert (answer.status_code, answer.json()) == (202, {"events": 1})
    assert await stored(session) == 3
    drains = await jobs.pending("ingest.drain")
    assert [job["args"] for job in drains] == [{"source_id": source["id"]}]
    state = await source_state(client, admin, source["id"])
    # Counted before any drain ran: what the inbox holds is shown.
    assert (state["received"], state["waiting"]) == (3, 3)


async def test_jellyfin_may_send_the_token_as_a_header(client, admin, session):
    source = await add_source(client, admin, "jellyfin")
    request = jellyfin()
    answer = await client.post(
        f"{API}/ingest/{source['id']}",
        content=request.body,
        headers={**request.headers, "X-Revenge-Token": source["token"]},
    )
    assert answer.status_code == 202, answer.text
    wrong = await client.post(
        f"{API}/ingest/{source['id']}",
        content=request.body,
        headers={**request.headers, "X-Revenge-Token": "nope"},
    )
    missing = await client.post(
        f"{API}/ingest/{source['id']}", content=request.body, headers=request.headers
    )
    assert wrong.status_code == missing.status_code == 401
    assert await stored(session) == 1


async def test_a_wrong_source_or_token_is_401_and_says_not_which(client, jobs, admin, session):
    source = await add_source(client, admin, "jellyfin")
    other = await add_source(client, admin, "plex")
    request = jellyfin()
    answers = [
        await client.post(f"{API}/ingest/{source['id']}/wrong-token", content=request.body),
        await client.post(f"{API}/ingest/{uuid.uuid4()}/{source['token']}", content=request.body),
        await client.post(f"{API}/ingest/{other['id']}/{source['token']}", content=request.body),
        await client.post(f"{API}/ingest/not-a-uuid/{source['token']}", content=request.body),
        await client.post(f"{API}/ingest/{source['id']}/{'x' * 500}", content=request.body),
        # Malformed with a wrong token: still 401, nothing told about the body.
        await client.post(f"{API}/ingest/{source['id']}/wrong-token", content=b"{nope"),
    ]
    bodies = [(a.status_code, a.json()["code"], a.json()["detail"]) for a in answers]
    assert len(set(bodies)) == 1
    assert bodies[0][:2] == (401, "ingest.webhook_refused")
    assert await stored(session) == 0
    assert await jobs.pending("ingest.drain") == []
    # Once the kind of a source is remembered, a wrong token is refused all the same.
    assert (await post_webhook(client, source["webhook_url"], request)).status_code == 202
    again = await client.post(f"{API}/ingest/{source['id']}/wrong-token", content=request.body)
    assert (again.status_code, again.json()["code"]) == (401, "ingest.webhook_refused")
    assert await stored(session) == 1


def _jellyfin_json(**changes) -> WebhookRequest:
    data = json.loads(jellyfin().body)
    data.update(changes)
    return WebhookRequest(headers={"Content-Type": "text/plain"}, body=json.dumps(data).encode())


def _without(key: str) -> WebhookRequest:
    data = json.loads(jellyfin().body)
    del data[key]
    return WebhookRequest(headers={"Content-Type": "text/plain"}, body=json.dumps(data).encode())


MALFORMED = {
    "jellyfin": [
        WebhookRequest({"Content-Type": "text/plain"}, b"PlaybackStart for Heat"),
        WebhookRequest({"Content-Type": "application/json"}, b"[1, 2, 3]"),
        WebhookRequest({"Content-Type": "text/plain"}, b'{"NotificationType": NaN}'),
        WebhookRequest({"Content-Type": "text/plain"}, b"\xff\xfe{}"),
        _jellyfin_json(Name="Heat\u0000"),
        _jellyfin_json(PlaybackPositionTicks=10**30),
        _jellyfin_json(PlaybackPositionTicks="soon"),
        _jellyfin_json(UtcTimestamp="yesterday"),
        _jellyfin_json(UtcTimestamp="0001-01-01T00:00:00.0000000Z"),
        _jellyfin_json(NotificationUsername="x" * 5000),
        _without("UserId"),
        _without("ItemId"),
        _without("NotificationType"),
    ],
    "plex": [
        WebhookRequest({"Content-Type": "multipart/form-data"}, b"no boundary"),
        WebhookRequest(
            {"Content-Type": "multipart/form-data; boundary=abc"},
            b'--abc\r\nContent-Disposition: form-data; name="thumb"\r\n\r\nJPEG\r\n--abc--\r\n',
        ),
        WebhookRequest(
            {"Content-Type": "multipart/form-data; boundary=abc"},
            b'--abc\r\nContent-Disposition: form-data; name="payload"\r\n\r\n{"event": "media.play"}\r\n--abc--\r\n',
        ),
        WebhookRequest({"Content-Type": "text/html"}, b"<html>"),
    ],
    "emby": [
        WebhookRequest({"Content-Type": "application/x-www-form-urlencoded"}, b"other=1"),
        WebhookRequest({"Content-Type": "application/x-www-form-urlencoded"}, b"data=%7B"),
        WebhookRequest(
            {"Content-Type": "application/json"},
            json.dumps(
                {"Event": "playback.start", "User": {"Name": "x"}, "Item": {"Id": "1"}}
            ).encode(),
        ),
    ],
}


@pytest.mark.parametrize(
    ("kind", "index"), [(kind, i) for kind, cases in MALFORMED.items() for i in range(len(cases))]
)
async def test_a_malformed_body_is_400_and_nothing_is_stored(
    client, jobs, admin, session, kind, index
):
    source = await add_source(client, admin, kind)
    answer = await post_webhook(client, source["webhook_url"], MALFORMED[kind][index])
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == "ingest.malformed_payload"
    assert await stored(session) == 0
    assert await jobs.pending("ingest.drain") == []
    assert (await source_state(client, admin, source["id"]))["received"] == 0


async def test_each_kind_reads_only_its_own_server(client, admin, session):
    jellyfin_source = await add_source(client, admin, "jellyfin")
    plex_source = await add_source(client, admin, "plex")
    emby_source = await add_source(client, admin, "emby")
    plex_request = plex_event("media.play", FakeUser("bob", id="1"), ITEM)
    emby_request = emby_event("playback.start", USER, ITEM, at=utcnow())
    assert (
        await post_webhook(client, jellyfin_source["webhook_url"], plex_request)
    ).status_code == 400
    assert (await post_webhook(client, plex_source["webhook_url"], emby_request)).status_code == 400
    assert (await post_webhook(client, emby_source["webhook_url"], jellyfin())).status_code == 400
    assert (await post_webhook(client, plex_source["webhook_url"], plex_request)).status_code == 202
    assert (await post_webhook(client, emby_source["webhook_url"], emby_request)).status_code == 202
    assert await stored(session) == 2


async def test_the_body_limit_for_webhooks_is_the_ingest_setting(
    client, admin, session, test_settings
):
    source = await add_source(client, admin, "plex")
    limit = test_settings.ingest.max_payload_bytes
    account = FakeUser("bob", id="1")
    too_big = plex_event("media.play", account, ITEM, thumb_data=b"\xff" * limit)
    answer = await post_webhook(client, source["webhook_url"], too_big)
    assert (answer.status_code, answer.json()["code"]) == (413, "request.too_large")
    assert await stored(session) == 0
    just_fits = plex_event("media.play", account, ITEM, thumb_data=b"\xff" * (limit - 4096))
    assert len(just_fits.body) <= limit
    assert (await post_webhook(client, source["webhook_url"], just_fits)).status_code == 202
    assert await stored(session) == 1


async def test_webhooks_that_arrive_together_are_stored_together_each_checked(
    client, jobs, admin, session, monkeypatch
):
    """The group commit: concurrent receipts share statements, yet each answer is its own (a
    wrong token among good ones is refused alone) and each source gets one drain job."""
    from revenge.ingest import repository

    batches: list[int] = []
    store = repository.store_webhooks

    async def counting(session, receipts, drain_lock):
        batches.append(len(receipts))
        return await store(session, receipts, drain_lock)

    first = await add_source(client, admin, "jellyfin")
    second = await add_source(client, admin, "jellyfin")
    # A source's first webhook reads its kind; after that only the writer touches the database
    # (the test's sessions share one connection, which cannot take concurrent statements).
    for source in (first, second):
        assert (await post_webhook(client, source["webhook_url"], jellyfin())).status_code == 202
    monkeypatch.setattr(repository, "store_webhooks", counting)
    wrong = f"{API}/ingest/{second['id']}/not-the-token"
    urls = [first["webhook_url"]] * 20 + [second["webhook_url"]] * 10 + [wrong] * 5
    answers = await asyncio.gather(*(post_webhook(client, url, jellyfin()) for url in urls))
    assert [a.status_code for a in answers] == [202] * 30 + [401] * 5
    assert await stored(session) == 32
    assert sum(batches) == len(urls) and len(batches) < len(urls)
    drains = await jobs.pending("ingest.drain")
    assert sorted(job["args"]["source_id"] for job in drains) == sorted([first["id"], second["id"]])
