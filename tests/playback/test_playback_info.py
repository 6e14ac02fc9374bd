"""What the web player is told about an item: file facts, a stream URL, and where the caller
(only the caller) stands with it."""

from __future__ import annotations

import os
import uuid
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import update

from revenge.core import artwork_urls, clock
from revenge.core.db import session_scope
from revenge.library.models import Movie
from tests.playback.conftest import T0, watch

MOVIE_MS = 170 * 60_000  # the fixture movie's length


async def _info(client, headers, media_type, media_id):
    response = await client.get(f"/api/v1/playback/info/{media_type}/{media_id}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_movie_info(client, make_user, media, test_settings):
    user, headers = await make_user()
    movie, media_file = await media.movie(size=4096)
    await media.describe_file(
        media_file.id,
        container="mp4",
        video_codec="h264",
        audio_codec="aac",
        width=1920,
        height=1080,
    )
    body = await _info(client, headers, "movie", movie.id)
    assert body["media_type"] == "movie" and body["media_id"] == str(movie.id)
    assert body["title"] == "Heat" and body["subtitle"] is None
    assert body["duration_ms"] == MOVIE_MS
    assert body["file"] == {
        "mime_type": "video/mp4",
        "container": "mp4",
        "video_codec": "h264",
        "audio_codec": "aac",
        "width": 1920,
        "height": 1080,
        "size_bytes": 4096,
    }
    token = parse_qs(urlsplit(body["stream_url"]).query)["t"][0]
    assert token.split(".")[:2] == [user.id.hex, media_file.id.hex]
    assert body["resume_position_ms"] is None
    assert body["played"] is False and body["play_count"] == 0
    assert body["artwork"] is None  # no poster, nothing to fall back to


async def test_artwork_urls_are_signed_for_the_item(client, make_user, media, test_settings):
    _, headers = await make_user()
    movie, _ = await media.movie()
    await media.image("movie", movie.id)
    artwork = (await _info(client, headers, "movie", movie.id))["artwork"]
    assert artwork == artwork_urls.urls_for(test_settings.secret, "movie", movie.id).model_dump()


async def test_episode_and_track_titles(client, make_user, media):
    _, headers = await make_user()
    series, episodes = await media.series()
    await media.image("series", series.id)
    episode = await _info(client, headers, "episode", episodes[1].id)
    assert (episode["title"], episode["subtitle"]) == ("Episode 2", "Dark S01E02")
    # An episode without a poster shows its series'.
    assert episode["artwork"]["poster"].startswith(f"/api/v1/artwork/episode/{episodes[1].id}/")
    _, tracks = await media.album()
    track = await _info(client, headers, "track", tracks[0].id)
    assert (track["title"], track["subtitle"]) == ("Track 1", "Massive Attack – Mezzanine")
    assert track["file"]["mime_type"] == "audio/flac"
    assert track["duration_ms"] == 300_000


async def test_unknown_item_is_404_and_other_kinds_422(client, make_user, media):
    _, headers = await make_user()
    unknown = await client.get(f"/api/v1/playback/info/movie/{uuid.uuid4()}", headers=headers)
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "library.item_not_found"
    series, _ = await media.series()
    wrong_kind = await client.get(f"/api/v1/playback/info/series/{series.id}", headers=headers)
    assert wrong_kind.status_code == 422
    assert (await client.get(f"/api/v1/playback/info/movie/{uuid.uuid4()}")).status_code == 401


async def test_file_gone_is_409(client, make_user, media):
    _, headers = await make_user()
    movie, media_file = await media.movie()
    os.remove(media_file.path)
    response = await client.get(f"/api/v1/playback/info/movie/{movie.id}", headers=headers)
    assert response.status_code == 409
    assert response.json()["code"] == "playback.file_missing"
    async with session_scope() as s:
        await s.execute(update(Movie).where(Movie.id == movie.id).values(file_id=None))
    response = await client.get(f"/api/v1/playback/info/movie/{movie.id}", headers=headers)
    assert response.status_code == 409


@pytest.mark.parametrize(
    ("stop_at_ms", "expected"),
    [
        (20 * 60_000, 20 * 60_000),  # part-way: resume there
        (30_000, 30_000),  # 30 s is enough
        (29_999, None),  # under 30 s: start over
        (int(MOVIE_MS * 0.95) - 1, int(MOVIE_MS * 0.95) - 1),
        (int(MOVIE_MS * 0.95), None),  # the last 5 %: finished
        (MOVIE_MS, None),
    ],
)
async def test_resume_position_rules(client, make_user, media, stop_at_ms, expected):
    _, headers = await make_user()
    movie, _ = await media.movie()
    # Seeked close to the point and played a little: the position is what counts.
    await watch(
        client,
        headers,
        "movie",
        movie.id,
        start_minutes=0,
        from_ms=max(0, stop_at_ms - 10_000),
        stop_at_ms=stop_at_ms,
    )
    assert (await _info(client, headers, "movie", movie.id))["resume_position_ms"] == expected


async def test_resume_follows_the_latest_session(client, make_user, media):
    _, headers = await make_user()
    movie, _ = await media.movie()
    await watch(client, headers, "movie", movie.id, start_minutes=0, stop_at_ms=50 * 60_000)
    # The next evening, started over and stopped early.
    await watch(client, headers, "movie", movie.id, start_minutes=24 * 60, stop_at_ms=5 * 60_000)
    body = await _info(client, headers, "movie", movie.id)
    assert body["resume_position_ms"] == 5 * 60_000
    assert body["play_count"] == 1  # the 50 minutes count; 5 minutes do not
    assert body["played"] is True


async def test_unplayed_mark_resets_resume_until_the_next_play(
    client, make_user, media, monkeypatch
):
    _, headers = await make_user()
    movie, _ = await media.movie()
    await watch(client, headers, "movie", movie.id, start_minutes=0, stop_at_ms=40 * 60_000)
    real_now = clock.utcnow
    monkeypatch.setattr(clock, "utcnow", lambda: T0 + timedelta(hours=2))
    assert (
        await client.delete(f"/api/v1/users/me/played/movie/{movie.id}", headers=headers)
    ).status_code == 200
    monkeypatch.setattr(clock, "utcnow", real_now)
    body = await _info(client, headers, "movie", movie.id)
    assert body["resume_position_ms"] is None
    assert body["played"] is False and body["play_count"] == 1  # history stays
    await watch(
        client, headers, "movie", movie.id, start_minutes=180, from_ms=0, stop_at_ms=2 * 60_000
    )
    body = await _info(client, headers, "movie", movie.id)
    assert body["resume_position_ms"] == 2 * 60_000
    assert body["played"] is False  # two minutes are not a play


async def test_another_users_plays_are_not_mine(client, make_user, media):
    _, mine = await make_user()
    _, theirs = await make_user()
    movie, _ = await media.movie()
    await watch(client, theirs, "movie", movie.id, start_minutes=0, stop_at_ms=60 * 60_000)
    body = await _info(client, mine, "movie", movie.id)
    assert body["resume_position_ms"] is None
    assert body["played"] is False and body["play_count"] == 0
    assert (await _info(client, theirs, "movie", movie.id))["play_count"] == 1
