"""The public side: opening, views, passwords, and what a link can (not) reach."""

from __future__ import annotations

import uuid

from sqlalchemy import select, text

from revenge.core.security import keyed_digest
from revenge.share_links.models import MediaGrantAccess


async def test_unknown_token_is_404(client):
    response = await client.get("/api/v1/share/" + "x" * 43)
    assert response.status_code == 404
    assert response.json()["code"] == "share_link.not_found"
    assert (await client.get("/api/v1/share/nope/stream")).status_code == 404


async def test_expired_link_answers_410(client, make_user, media, share, session):
    movie, _ = await media.movie()
    _, headers = await make_user()
    created = await share(headers, "movie", movie.id)
    await session.execute(
        text(
            "UPDATE shared.media_grants SET expires_at = now() - interval '1 minute' WHERE id = :id"
        ),
        {"id": created["id"]},
    )
    for path in ("", "/stream", "/artwork"):
        response = await client.get(
            f"/api/v1/share/{created['token']}{path}", headers={"Accept-Language": "es"}
        )
        assert response.status_code == 410, path
        assert response.json()["code"] == "share_link.expired"
        assert response.json()["title"] == "Enlace caducado"
    state = (await client.get("/api/v1/users/me/grants", headers=headers)).json()["items"][0][
        "state"
    ]
    assert state == "expired"


async def test_views_are_counted_per_opening_not_per_request(client, make_user, media, share):
    movie, _ = await media.movie()
    _, headers = await make_user()
    token = (await share(headers, "movie", movie.id, max_views=2))["token"]

    first = await client.get(f"/api/v1/share/{token}")
    assert first.status_code == 200
    assert first.json()["views_left"] == 1
    # The same viewer (cookie set by the first open) reloads and streams: no more views used.
    assert (await client.get(f"/api/v1/share/{token}")).json()["views_left"] == 1
    for _ in range(3):
        assert (
            await client.get(f"/api/v1/share/{token}/stream", headers={"Range": "bytes=0-9"})
        ).status_code == 206

    client.cookies.clear()
    second = await client.get(f"/api/v1/share/{token}")
    assert second.json()["views_left"] == 0
    client.cookies.clear()
    third = await client.get(f"/api/v1/share/{token}")
    assert third.status_code == 410
    assert third.json()["code"] == "share_link.used_up"
    # A viewer who still holds access keeps watching.
    assert (
        await client.get(
            f"/api/v1/share/{token}/stream", params={"access": second.json()["access_token"]}
        )
    ).status_code == 200
    listed = (await client.get("/api/v1/users/me/grants", headers=headers)).json()["items"][0]
    assert listed["current_views"] == 2 and listed["state"] == "used_up"


async def test_password_protected_link(client, make_user, media, share):
    movie, _ = await media.movie("Secret Film")
    _, headers = await make_user()
    token = (await share(headers, "movie", movie.id, password="open sesame", max_views=5))["token"]

    locked = await client.get(f"/api/v1/share/{token}")
    assert locked.status_code == 200
    body = locked.json()
    assert body["requires_password"] is True and body["unlocked"] is False
    assert body["item"] is None and "Secret Film" not in locked.text
    assert body["views_left"] == 5  # looking at the lock screen uses no view

    refused = await client.get(f"/api/v1/share/{token}/stream")
    assert refused.status_code == 403 and refused.json()["code"] == "share_link.password_required"
    wrong = await client.post(f"/api/v1/share/{token}/unlock", json={"password": "guess"})
    assert wrong.status_code == 403 and wrong.json()["code"] == "share_link.wrong_password"

    unlocked = await client.post(f"/api/v1/share/{token}/unlock", json={"password": "open sesame"})
    assert unlocked.status_code == 200
    access_token = unlocked.json()["access_token"]
    assert "revenge_share_access" in unlocked.headers["set-cookie"]
    assert f"Path=/api/v1/share/{token}" in unlocked.headers["set-cookie"]
    client.cookies.clear()
    page = (await client.get(f"/api/v1/share/{token}", params={"access": access_token})).json()
    assert page["unlocked"] is True and page["item"]["title"] == "Secret Film"
    assert page["views_left"] == 4
    stream = await client.get(f"/api/v1/share/{token}/stream", params={"access": access_token})
    assert stream.status_code == 200


async def test_wrong_passwords_are_rate_limited_per_link_and_per_ip(
    client, make_user, media, share, test_settings, monkeypatch
):
    monkeypatch.setattr(test_settings.share, "unlock_max_attempts", 3)
    monkeypatch.setattr(test_settings.share, "unlock_ip_max_attempts", 5)
    movie, _ = await media.movie()
    _, headers = await make_user()
    first = (await share(headers, "movie", movie.id, password="right one"))["token"]
    second = (await share(headers, "movie", movie.id, password="other one"))["token"]

    for _ in range(3):
        assert (
            await client.post(f"/api/v1/share/{first}/unlock", json={"password": "nope"})
        ).status_code == 403
    blocked = await client.post(f"/api/v1/share/{first}/unlock", json={"password": "right one"})
    assert blocked.status_code == 429
    assert blocked.json()["code"] == "share_link.too_many_attempts"
    assert int(blocked.headers["retry-after"]) >= 1

    # The other link still has its own budget, but this IP has only 2 attempts left overall.
    for _ in range(2):
        assert (
            await client.post(f"/api/v1/share/{second}/unlock", json={"password": "nope"})
        ).status_code == 403
    assert (
        await client.post(f"/api/v1/share/{second}/unlock", json={"password": "other one"})
    ).status_code == 429


async def test_unlock_with_unknown_link_is_404_not_wrong_password(client):
    response = await client.post(
        "/api/v1/share/" + "y" * 43 + "/unlock", json={"password": "whatever"}
    )
    assert response.status_code == 404
    assert response.json()["code"] == "share_link.not_found"


async def test_public_metadata_leaks_no_paths_or_user_data(client, make_user, media, share):
    series, episodes = await media.series("Dark", episodes=2)
    user, headers = await make_user("carla")
    token = (await share(headers, "series", series.id, description="private note"))["token"]
    page = await client.get(f"/api/v1/share/{token}")
    assert page.status_code == 200
    body = page.json()
    assert body["item"]["title"] == "Dark" and body["item"]["year"] == 2017
    assert [i["title"] for i in body["items"]] == ["Episode 1", "Episode 2"]
    assert [i["id"] for i in body["items"]] == [str(e.id) for e in episodes]
    for secret in (str(media.root), ".mp4", "carla", str(user.id), "private note", token):
        assert secret not in page.text.replace(body["access_token"], "")


async def test_link_for_one_item_cannot_reach_another(client, make_user, media, share):
    movie_a, _ = await media.movie("A")
    movie_b, _ = await media.movie("B")
    series, episodes = await media.series("S1")
    _, other_episodes = await media.series("S2")
    _, headers = await make_user()
    token_a = (await share(headers, "movie", movie_a.id))["token"]
    token_s = (await share(headers, "series", series.id))["token"]

    assert (
        await client.get(f"/api/v1/share/{token_a}/stream", params={"item": str(movie_b.id)})
    ).status_code == 404
    ok = await client.get(f"/api/v1/share/{token_s}/stream", params={"item": str(episodes[1].id)})
    assert ok.status_code == 200 and len(ok.content) == 4002
    outside = await client.get(
        f"/api/v1/share/{token_s}/stream", params={"item": str(other_episodes[0].id)}
    )
    assert outside.status_code == 404 and outside.json()["code"] == "share_link.item_not_found"
    need_item = await client.get(f"/api/v1/share/{token_s}/stream")
    assert need_item.status_code == 400 and need_item.json()["code"] == "share_link.item_required"
    assert (
        await client.get(f"/api/v1/share/{token_s}/stream", params={"item": str(uuid.uuid4())})
    ).status_code == 404


async def test_access_token_of_one_link_does_not_open_another(client, make_user, media, share):
    movie, _ = await media.movie()
    _, headers = await make_user()
    open_token = (await share(headers, "movie", movie.id))["token"]
    locked_token = (await share(headers, "movie", movie.id, password="pw-pw-pw"))["token"]
    access_token = (await client.get(f"/api/v1/share/{open_token}")).json()["access_token"]
    refused = await client.get(
        f"/api/v1/share/{locked_token}/stream", params={"access": access_token}
    )
    assert refused.status_code == 403
    tampered = access_token[:-4] + "0000"
    assert (
        await client.get(f"/api/v1/share/{locked_token}/stream", params={"access": tampered})
    ).status_code == 403


async def test_share_tokens_are_not_bearer_tokens(client, make_user, media, share):
    movie, _ = await media.movie()
    _, headers = await make_user()
    created = await share(headers, "movie", movie.id)
    access_token = (await client.get(f"/api/v1/share/{created['token']}")).json()["access_token"]
    for credential in (created["token"], access_token):
        for path in ("/api/v1/users/me", "/api/v1/users/me/grants", "/api/v1/users/me/history"):
            response = await client.get(path, headers={"Authorization": f"Bearer {credential}"})
            assert response.status_code == 401, path


async def test_access_log_keeps_only_a_keyed_hash_of_the_ip(
    client, make_user, media, share, session, test_settings
):
    movie, _ = await media.movie()
    _, headers = await make_user()
    token = (await share(headers, "movie", movie.id, password="pw-pw-pw"))["token"]
    await client.post(
        f"/api/v1/share/{token}/unlock", json={"password": "bad"}, headers={"User-Agent": "probe/1"}
    )
    await client.post(f"/api/v1/share/{token}/unlock", json={"password": "pw-pw-pw"})
    rows = (
        (await session.execute(select(MediaGrantAccess).order_by(MediaGrantAccess.at)))
        .scalars()
        .all()
    )
    assert [r.outcome for r in rows] == ["wrong_password", "unlocked"]
    assert rows[0].user_agent == "probe/1"
    assert {r.ip_hash for r in rows} == {keyed_digest(test_settings.secret, "127.0.0.1")}


async def test_artwork_of_the_granted_item_only(client, make_user, media, share):
    album, tracks = await media.album()
    cover = await media.image("album", album.id, kind="cover")
    movie, _ = await media.movie()
    _, headers = await make_user()
    track_token = (await share(headers, "track", tracks[0].id))["token"]
    art = await client.get(f"/api/v1/share/{track_token}/artwork")
    assert art.status_code == 200 and art.content == cover  # a track shows its album's cover
    movie_token = (await share(headers, "movie", movie.id))["token"]
    missing = await client.get(f"/api/v1/share/{movie_token}/artwork")
    assert missing.status_code == 404 and missing.json()["code"] == "share_link.no_artwork"
    locked = (await share(headers, "album", album.id, password="pw-pw-pw"))["token"]
    assert (await client.get(f"/api/v1/share/{locked}/artwork")).status_code == 403
    page = await client.post(f"/api/v1/share/{locked}/unlock", json={"password": "pw-pw-pw"})
    assert (
        await client.get(
            f"/api/v1/share/{locked}/artwork", params={"access": page.json()["access_token"]}
        )
    ).content == cover


async def test_page_shows_what_each_kind_of_share_needs(client, make_user, media, share):
    album, tracks = await media.album("Mezzanine", tracks=2)
    _, episodes = await media.series("Dark", episodes=1)
    _, headers = await make_user()

    album_page = (
        await client.get(f"/api/v1/share/{(await share(headers, 'album', album.id))['token']}")
    ).json()
    assert album_page["item"] == {
        "media_type": "album",
        "id": str(album.id),
        "title": "Mezzanine",
        "subtitle": "Massive Attack",
        "year": 1998,
        "duration_ms": 600_000,
        "season_number": None,
        "number": None,
        "overview": None,
    }
    assert [(t["title"], t["number"]) for t in album_page["items"]] == [
        ("Track 1", 1),
        ("Track 2", 2),
    ]

    track_token = (await share(headers, "track", tracks[1].id))["token"]
    track_page = (await client.get(f"/api/v1/share/{track_token}")).json()
    assert (
        track_page["item"]["title"] == "Track 2"
        and track_page["item"]["subtitle"] == "Massive Attack"
    )
    assert track_page["items"] == []
    stream = await client.get(f"/api/v1/share/{track_token}/stream")
    assert stream.headers["content-type"] == "audio/flac" and len(stream.content) == 3002

    episode_page = (
        await client.get(
            f"/api/v1/share/{(await share(headers, 'episode', episodes[0].id))['token']}"
        )
    ).json()
    item = episode_page["item"]
    assert (item["title"], item["subtitle"], item["season_number"], item["number"]) == (
        "Episode 1",
        "Dark",
        1,
        1,
    )


async def test_unlock_always_costs_exactly_one_argon2_verification(
    client, make_user, media, share, monkeypatch
):
    """Same work for a wrong link, a wrong password, a right password and a link without one,
    so response timing tells them apart no better than the status code does."""
    from revenge.core import security

    movie, _ = await media.movie()
    _, headers = await make_user()
    locked = (await share(headers, "movie", movie.id, password="pw-pw-pw"))["token"]
    open_link = (await share(headers, "movie", movie.id))["token"]
    hasher = security._hasher
    calls: list[str] = []

    class CountingHasher:
        def verify(self, stored: str, password: str) -> bool:
            calls.append(password)
            return hasher.verify(stored, password)

        def __getattr__(self, name: str):
            return getattr(hasher, name)

    monkeypatch.setattr(security, "_hasher", CountingHasher())
    attempts = [
        ("z" * 43, "pw-pw-pw", 404),  # right password, wrong link
        (locked, "wrong-one", 403),
        (locked, "pw-pw-pw", 200),
        (open_link, "anything", 200),
    ]
    for token, password, expected in attempts:
        before = len(calls)
        response = await client.post(f"/api/v1/share/{token}/unlock", json={"password": password})
        assert response.status_code == expected
        assert len(calls) - before == 1
