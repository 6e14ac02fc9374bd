"""Secrets at rest, ownership, unknown and unavailable providers."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import text

from revenge.scrobbling.jobs import process_scrobbles
from tests.scrobbling.conftest import (
    API,
    connect_lastfm,
    connect_listenbrainz,
    connect_trakt,
    queue_tracks,
)


async def test_tokens_are_not_readable_in_a_database_dump(
    client, make_user, session, trakt, lastfm, listenbrainz
):
    user, headers = await make_user()
    await connect_trakt(client, headers, trakt, "t")
    await connect_lastfm(client, headers, lastfm, "l")
    await connect_listenbrainz(client, headers, listenbrainz, "b")
    secrets = (
        list(trakt.tokens)
        + list(trakt.refresh_tokens)
        + list(lastfm.sessions)
        + list(listenbrainz.tokens)
    )
    assert len(secrets) == 4
    dump = "\n".join(
        (await session.execute(text("SELECT t::text FROM shared.scrobble_connections t"))).scalars()
    )
    assert dump.count(str(user.id)) == 3
    for secret in secrets:
        assert secret not in dump
    # ...yet the server can still use them.
    await queue_tracks(user.id, "lastfm", 1)
    assert (await process_scrobbles(str(user.id), "lastfm"))["sent"] == 1


async def test_another_users_queue_item_answers_404(client, make_user, lastfm):
    owner, owner_headers = await make_user()
    _, other_headers = await make_user()
    await connect_lastfm(client, owner_headers, lastfm, "owner")
    lastfm.failures.set("error6")  # a permanent error: the item fails at once
    await queue_tracks(owner.id, "lastfm", 1)
    await process_scrobbles(str(owner.id), "lastfm")
    [item] = (await client.get(f"{API}/queue?status=failed", headers=owner_headers)).json()["items"]
    assert (await client.get(f"{API}/queue", headers=other_headers)).json()["total"] == 0
    stolen = await client.post(f"{API}/queue/{item['id']}/retry", headers=other_headers)
    assert stolen.status_code == 404
    assert stolen.json()["code"] == "scrobbling.queue_item_not_found"


async def test_unknown_provider_is_a_translated_validation_problem(client, make_user):
    _, headers = await make_user(locale="fr")
    response = await client.post(f"{API}/connect/myspace", headers=headers)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "request.validation_failed"
    assert response.headers["content-language"] == "fr"


async def test_provider_without_app_credentials_is_listed_unavailable(
    client, make_user, test_settings, monkeypatch
):
    monkeypatch.setattr(test_settings.trakt, "client_id", None)
    _, headers = await make_user()
    listed = (await client.get(f"{API}/connections", headers=headers)).json()
    by_name = {c["provider"]: c for c in listed}
    assert by_name["trakt"]["available"] is False
    assert by_name["listenbrainz"]["available"] is True
    response = await client.post(f"{API}/connect/trakt", headers=headers)
    assert response.status_code == 409
    assert response.json()["code"] == "scrobbling.provider_unavailable"


async def test_invalid_listenbrainz_token_and_settings_of_unconnected_provider(
    client, make_user, listenbrainz
):
    _, headers = await make_user()
    bad = await client.post(f"{API}/connect/listenbrainz", json={"token": "nope"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["code"] == "scrobbling.provider_refused"
    settings = await client.patch(
        f"{API}/listenbrainz/settings", json={"enabled": False}, headers=headers
    )
    assert settings.status_code == 404 and settings.json()["code"] == "scrobbling.not_connected"


@pytest.mark.parametrize(
    "token",
    [
        "abc\x00def",  # NUL
        "abc\r\nX-Injected: 1",  # a header of our own making
        "tökén-with-umlauts",  # httpx cannot encode it as a header (was a 500)
        "abc\x7fdef",
        "abc def",
    ],
)
async def test_listenbrainz_token_that_cannot_be_a_header_is_a_422(
    client, make_user, listenbrainz, token
):
    _, headers = await make_user()
    response = await client.post(
        f"{API}/connect/listenbrainz", json={"token": token}, headers=headers
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    # The request schema may refuse NUL on its own; everything else is ours to name.
    expected = {"scrobbling.invalid_token"}
    if "\x00" in token:
        expected.add("request.validation_failed")
    assert response.json()["code"] in expected
    listed = (await client.get(f"{API}/connections", headers=headers)).json()
    assert not next(c for c in listed if c["provider"] == "listenbrainz")["connected"]


async def test_listenbrainz_token_pasted_with_a_line_break_still_connects(
    client, make_user, listenbrainz
):
    _, headers = await make_user()
    token = listenbrainz.add_user("paster")
    response = await client.post(
        f"{API}/connect/listenbrainz", json={"token": f"  {token}\n"}, headers=headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["connection"]["username"] == "paster"


@pytest.mark.parametrize("value", ["\x00", "a\r\nb", "tökén"])
async def test_trakt_and_lastfm_callbacks_refuse_odd_values_without_a_5xx(
    client, make_user, trakt, lastfm, value
):
    """Their connect takes nothing from the user; the callback's values go into a digest, a
    JSON body or a percent-encoded query, never a header."""
    _, headers = await make_user()
    started = (await client.post(f"{API}/connect/trakt", headers=headers)).json()
    back = trakt.authorize(started["authorize_url"], "odd")
    forged_state = await client.get(
        f"{API}/callback/trakt", params={"state": value, "code": "x"}, headers=headers
    )
    assert forged_state.status_code == 400
    assert forged_state.json()["code"] == "scrobbling.invalid_state"
    odd_code = await client.get(
        f"{API}/callback/trakt", params={**back, "code": value}, headers=headers
    )
    assert odd_code.status_code == 422
    assert odd_code.json()["code"] == "scrobbling.provider_refused"

    started = (await client.post(f"{API}/connect/lastfm", headers=headers)).json()
    token = parse_qs(urlparse(started["authorize_url"]).query)["token"][0]
    forged_token = await client.get(
        f"{API}/callback/lastfm", params={"token": value}, headers=headers
    )
    assert forged_token.status_code == 400
    refused = await client.get(
        f"{API}/callback/lastfm", params={"token": token, "error": value}, headers=headers
    )
    assert refused.status_code == 422
    assert refused.json()["code"] == "scrobbling.provider_refused"
