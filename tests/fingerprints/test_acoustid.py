"""AcoustID look-ups: compressed fingerprints, filling missing recording ids, thresholds,
errors (refused key, 503, 429) and the shared 3 requests/second limit."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pydantic import SecretStr
from sqlalchemy import select, text, update

from revenge.core import ratelimit
from revenge.core.clock import utcnow
from revenge.core.config import Settings
from revenge.core.db import session_scope
from revenge.core.http import PermanentError
from revenge.fingerprints import jobs as fingerprint_jobs
from revenge.fingerprints import recording_ids
from revenge.fingerprints.acoustid import AcoustidClient, AcoustidRecording
from revenge.fingerprints.engines import chromaprint as cp
from revenge.fingerprints.models import AcoustidLookup, MediaFingerprint
from revenge.library.models import Track
from tests.fakes.acoustid import API_KEY, FakeAcoustid, build_app, decode_fingerprint, recording
from tests.fingerprints.conftest import add_library, add_track
from tests.helpers import serve_asgi

BASE = "/api/v1/admin/fingerprint"
LOOKUP = "fingerprints.acoustid_lookup"
MBID = "b1a9c0e9-d987-4042-ae91-78d6a3267d69"
OTHER_MBID = "0f9c6a1e-27a4-4d0c-9b69-1b2c6f0d5a11"


def fpcalc(path: Any, *raw: str) -> dict[str, Any]:
    out = subprocess.run(["fpcalc", "-json", *raw, str(path)], capture_output=True, check=False)
    return json.loads(out.stdout)


@pytest.fixture
async def acoustid(
    test_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[FakeAcoustid]:
    state = FakeAcoustid()
    async with serve_asgi(build_app(state)) as url:
        monkeypatch.setattr(test_settings.metadata, "acoustid_api_url", f"{url}/v2")
        monkeypatch.setattr(test_settings.metadata, "acoustid_api_key", SecretStr(API_KEY))
        yield state


@pytest.fixture(scope="module")
def song_fingerprint(audio: dict[str, Any]) -> tuple[list[int], int]:
    """What AcoustID holds for the song: the WAV's raw fingerprint and duration."""
    parsed = fpcalc(audio["wav"], "-raw")
    return parsed["fingerprint"], round(parsed["duration"])


async def _lookup(track_id: uuid.UUID) -> AcoustidLookup:
    async with session_scope() as s:
        row = await s.get(AcoustidLookup, track_id)
        assert row is not None
        return row


async def _recording_id(track_id: uuid.UUID) -> str | None:
    async with session_scope() as s:
        return await s.scalar(select(Track.musicbrainz_recording_id).where(Track.id == track_id))


async def _generate(client: Any, headers: dict[str, str], track: Track) -> None:
    response = await client.post(f"{BASE}/generate/track/{track.id}", headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["outcomes"][0]["status"] == "generated"


# --- the compressed fingerprint ---------------------------------------------------------------


@pytest.mark.parametrize("kind", ["wav", "mp3", "ogg", "silence", "other"])
def test_compressed_form_is_exactly_what_fpcalc_prints(audio, kind):
    plain, raw = fpcalc(audio[kind]), fpcalc(audio[kind], "-raw")
    values = cp.to_array(raw["fingerprint"])
    assert cp.compress(values) == plain["fingerprint"]
    algorithm, decoded = decode_fingerprint(cp.compress(values))
    assert (algorithm, decoded) == (1, raw["fingerprint"])


def test_compression_keeps_large_bit_gaps_and_edge_values():
    # Gaps of 7 and more go to the 5-bit stream; 0 and all-ones are the extremes.
    values = np.array([0, 1 << 31, 0xFFFFFFFF, 1, 1 << 20, 0x80000001, 0], dtype=np.uint32)
    assert decode_fingerprint(cp.compress(values)) == (1, [int(v) for v in values])


# --- filling recording ids ---------------------------------------------------------------------


async def test_fills_a_missing_recording_id_from_the_real_fingerprint(
    client, admin_headers, audio, song_fingerprint, acoustid, jobs
):
    fingerprint, duration = song_fingerprint
    acoustid.add_track(fingerprint, duration, [recording(MBID, "Song", "The Band")])
    library = await add_library()
    track = await add_track(library, audio["mp3"], "Song")

    await _generate(client, admin_headers, track)
    assert [j["task_name"] for j in await jobs.pending(LOOKUP)] == [LOOKUP]
    await jobs.run()

    assert await _recording_id(track.id) == MBID
    (call,) = acoustid.calls
    # POSTed gzip-compressed form data, as AcoustID recommends for long fingerprints.
    assert call["method"] == "POST" and call["content_encoding"] == "gzip"
    assert call["params"]["duration"] == str(duration)
    assert "recordings" in call["params"]["meta"].split()
    row = await _lookup(track.id)
    assert (row.status, row.recording_id, row.recording_artist) == ("matched", MBID, "The Band")
    assert row.score is not None and row.score >= 0.9

    # Visible to users on the track, and to admins with the score.
    shown = await client.get(f"/api/v1/library/tracks/{track.id}", headers=admin_headers)
    assert shown.status_code == 200, shown.text
    assert shown.json()["musicbrainz_recording_id"] == MBID
    listed = await client.get(f"{BASE}/acoustid/lookups?status=matched", headers=admin_headers)
    assert listed.status_code == 200, listed.text
    (item,) = listed.json()["items"]
    assert (item["track_title"], item["recording_id"]) == ("Song", MBID)


async def test_a_tagged_recording_id_is_kept_and_not_looked_up(
    client, admin_headers, audio, song_fingerprint, acoustid, jobs
):
    acoustid.add_track(*song_fingerprint, [recording(OTHER_MBID)])
    library = await add_library()
    track = await add_track(library, audio["flac"])
    async with session_scope() as s:
        await s.execute(
            update(Track).where(Track.id == track.id).values(musicbrainz_recording_id=MBID)
        )

    await _generate(client, admin_headers, track)
    assert await jobs.pending(LOOKUP) == []
    await jobs.run()
    assert acoustid.calls == []
    assert await _recording_id(track.id) == MBID


async def test_an_id_tagged_while_waiting_is_not_overwritten(
    client, admin_headers, audio, song_fingerprint, acoustid, jobs
):
    acoustid.add_track(*song_fingerprint, [recording(OTHER_MBID)])
    library = await add_library()
    track = await add_track(library, audio["ogg"])
    await _generate(client, admin_headers, track)
    async with session_scope() as s:  # a rescan read a tag meanwhile
        await s.execute(
            update(Track).where(Track.id == track.id).values(musicbrainz_recording_id=MBID)
        )
    await jobs.run()
    assert acoustid.calls == []
    assert await _recording_id(track.id) == MBID
    assert (await _lookup(track.id)).status == "tagged"


async def test_a_low_score_is_recorded_but_not_filled(
    client, admin_headers, audio, song_fingerprint, acoustid, jobs
):
    acoustid.add_track(*song_fingerprint, [recording(MBID)], score=0.55)
    library = await add_library()
    track = await add_track(library, audio["wav"])
    await _generate(client, admin_headers, track)
    await jobs.run()
    assert len(acoustid.calls) == 1
    assert await _recording_id(track.id) is None
    row = await _lookup(track.id)
    assert (row.status, row.score, row.recording_id) == ("low_score", 0.55, MBID)
    assert "below 0.80" in (row.reason or "")


async def test_unknown_audio_is_a_no_match(
    client, admin_headers, audio, song_fingerprint, acoustid, jobs
):
    acoustid.add_track(*song_fingerprint, [recording(MBID)])
    library = await add_library()
    track = await add_track(library, audio["other"], "Other")
    await _generate(client, admin_headers, track)
    await jobs.run()
    assert len(acoustid.calls) == 1
    assert (await _lookup(track.id)).status == "no_match"
    assert await _recording_id(track.id) is None


def test_several_recordings_are_filled_only_when_the_title_singles_one_out():
    a = AcoustidRecording(MBID, "Song", "Band")
    b = AcoustidRecording(OTHER_MBID, "Song (live)", "Band")
    assert recording_ids.choose_recording([a], "Whatever") == a
    assert recording_ids.choose_recording([a, b], "  song ") == a
    assert recording_ids.choose_recording([a, b], "Another") is None
    assert (
        recording_ids.choose_recording([a, AcoustidRecording(OTHER_MBID, "Song", None)], "Song")
        is None
    )


async def test_without_a_key_nothing_is_queued(client, admin_headers, audio, jobs, session):
    library = await add_library()
    track = await add_track(library, audio["wav"])
    await _generate(client, admin_headers, track)
    assert await jobs.pending(LOOKUP) == []
    assert (await session.execute(select(AcoustidLookup))).first() is None
    summary = await client.get(f"{BASE}/acoustid", headers=admin_headers)
    assert summary.json()["enabled"] is False


async def test_tracks_fingerprinted_before_the_key_was_set_are_backfilled(
    client, admin_headers, audio, song_fingerprint, acoustid, jobs, test_settings, monkeypatch
):
    acoustid.add_track(*song_fingerprint, [recording(MBID)])
    library = await add_library()
    track = await add_track(library, audio["flac"])
    monkeypatch.setattr(test_settings.metadata, "acoustid_api_key", None)
    await _generate(client, admin_headers, track)
    monkeypatch.setattr(test_settings.metadata, "acoustid_api_key", SecretStr(API_KEY))
    assert await jobs.pending(LOOKUP) == []

    await fingerprint_jobs.acoustid_sweep.func(timestamp=0)
    await jobs.run()
    assert await _recording_id(track.id) == MBID


# --- errors ------------------------------------------------------------------------------------


async def _queue_tracks(client, headers, audio, tmp_path, count: int) -> list[Track]:
    library = await add_library()
    tracks = []
    for i in range(count):  # one file per track: the same song, copied
        copy = shutil.copy(audio["wav"], tmp_path / f"song-{i}.wav")
        tracks.append(await add_track(library, Path(copy), f"Song {i}"))
    for track in tracks:
        await _generate(client, headers, track)
    return tracks


async def test_a_refused_key_is_recorded_once_and_not_retried(
    client, admin_headers, audio, song_fingerprint, acoustid, jobs, tmp_path
):
    acoustid.add_track(*song_fingerprint, [recording(MBID)])
    acoustid.api_key = "the-key-acoustid-knows"
    tracks = await _queue_tracks(client, admin_headers, audio, tmp_path, 3)
    await jobs.run()

    assert len(acoustid.calls) == 1  # the first answer stops the rest
    rows = [await _lookup(t.id) for t in tracks]
    assert sorted(r.status for r in rows) == ["failed", "pending", "pending"]
    (failed,) = [r for r in rows if r.status == "failed"]
    assert "error 4" in (failed.reason or "") and "invalid API key" in (failed.reason or "")
    assert await jobs.pending() == []
    summary = (await client.get(f"{BASE}/acoustid", headers=admin_headers)).json()
    assert "invalid API key" in summary["api_key_rejected"]
    assert summary["counts"]["failed"] == 1 and summary["counts"]["pending"] == 2

    # The sweep does not start again while the same key is configured.
    assert await fingerprint_jobs.acoustid_sweep.func(timestamp=0) is False
    await jobs.run()
    assert len(acoustid.calls) == 1

    # A new key (here: AcoustID now accepts ours) brings everything back.
    acoustid.api_key = API_KEY
    async with session_scope() as s:
        await s.execute(text("UPDATE acoustid_lookups SET api_key_hash = 'an-older-key'"))
    assert await fingerprint_jobs.acoustid_sweep.func(timestamp=0) is True
    await jobs.run()
    assert [await _recording_id(t.id) for t in tracks] == [MBID] * 3
    assert len(acoustid.calls) == 4


async def test_a_503_is_retried_with_backoff_then_delivered(
    client, admin_headers, audio, song_fingerprint, acoustid, jobs, tmp_path
):
    acoustid.add_track(*song_fingerprint, [recording(MBID)])
    acoustid.fail_next(503)
    (track,) = await _queue_tracks(client, admin_headers, audio, tmp_path, 1)
    await jobs.run()

    row = await _lookup(track.id)
    assert (row.status, row.attempts, row.status_code) == ("pending", 1, 503)
    assert "503" in (row.reason or "")
    assert row.next_attempt_at > utcnow() + timedelta(seconds=10)
    # Not due yet: the sweep leaves it alone.
    assert await fingerprint_jobs.acoustid_sweep.func(timestamp=0) is False

    async with session_scope() as s:  # the backoff has passed
        await s.execute(
            update(AcoustidLookup)
            .where(AcoustidLookup.track_id == track.id)
            .values(next_attempt_at=utcnow() - timedelta(seconds=1))
        )
    assert await fingerprint_jobs.acoustid_sweep.func(timestamp=0) is True
    await jobs.run()
    assert await _recording_id(track.id) == MBID
    assert len(acoustid.calls) == 2


async def test_a_429_holds_every_worker_for_its_retry_after(
    client, admin_headers, audio, song_fingerprint, acoustid, jobs, tmp_path
):
    acoustid.add_track(*song_fingerprint, [recording(MBID)])
    acoustid.fail_next(429, retry_after=40)
    tracks = await _queue_tracks(client, admin_headers, audio, tmp_path, 2)
    await jobs.run()

    assert len(acoustid.calls) == 1
    first = await _lookup(tracks[0].id)
    assert (first.status, first.status_code) == ("pending", 429)
    assert first.next_attempt_at >= utcnow() + timedelta(seconds=39)
    # No worker may call before then.
    assert await ratelimit.next_call_in(recording_ids.RATE_KEY, limit=3) > 35


async def test_a_rejected_fingerprint_fails_for_good(acoustid, test_settings):
    async with AcoustidClient(test_settings.metadata.acoustid_api_url, API_KEY) as api:
        with pytest.raises(PermanentError) as raised:
            await api.lookup("AQAAnot-a-fingerprint", 30)
    assert "error 3" in raised.value.reason


async def test_acoustid_admin_views_are_for_admins(client, make_user):
    _, headers = await make_user()
    assert (await client.get(f"{BASE}/acoustid", headers=headers)).status_code == 403
    assert (await client.get(f"{BASE}/acoustid/lookups", headers=headers)).status_code == 403


# --- the shared rate limit ---------------------------------------------------------------------


async def test_three_workers_stay_within_three_requests_per_second(
    committed_db, test_settings, monkeypatch
):
    """Many queued look-ups, three workers pulling them at once: AcoustID never sees more than
    3 requests within any one second, and every look-up is answered."""
    state = FakeAcoustid()
    rng = np.random.default_rng(7)
    count = 12
    async with serve_asgi(build_app(state)) as url:
        monkeypatch.setattr(test_settings.metadata, "acoustid_api_url", f"{url}/v2")
        monkeypatch.setattr(test_settings.metadata, "acoustid_api_key", SecretStr(API_KEY))
        library = await add_library()
        track_ids = []
        for i in range(count):
            track = await add_track(library, None, f"Track {i}")
            values = rng.integers(0, 2**32, 240, dtype=np.uint64).astype(np.uint32)
            state.add_track([int(v) for v in values], 30, [recording(str(uuid.uuid4()))])
            async with committed_db.transaction() as s:
                s.add(
                    MediaFingerprint(
                        media_type="track",
                        media_id=track.id,
                        subject_type="track",
                        subject_id=track.id,
                        source_kind="audio",
                        fingerprint_type="chromaprint",
                        fingerprint_data=cp.to_bytes(values),
                        duration_ms=30_000,
                        algorithm=cp.ALGORITHM,
                        algorithm_version=cp.ALGORITHM_VERSION,
                        source_path=f"/music/{i}.flac",
                        source_size=1,
                        source_mtime=0.0,
                    )
                )
            track_ids.append(track.id)
        async with committed_db.transaction() as s:
            assert len(await recording_ids.queue_lookups(s, test_settings, track_ids)) == count
        # Three drain jobs at once, as three workers (or three machines) would run them; each
        # has its own database connections, so only PostgreSQL coordinates them.
        reports = await asyncio.gather(*(fingerprint_jobs.acoustid_lookup.func() for _ in range(3)))
        async with committed_db.transaction() as s:
            left = await s.scalar(
                text("SELECT count(*) FROM acoustid_lookups WHERE status = 'pending'")
            )

    assert state.rate_limited == 0
    assert state.most_in_one_second() <= 3
    assert sorted(r["looked_up"] for r in reports) != [0, 0, count]  # they shared the work
    assert sum(r["looked_up"] for r in reports) == count
    assert left == 0
    assert len(state.calls) == count
    async with committed_db.transaction() as s:
        filled = await s.scalar(
            text("SELECT count(*) FROM tracks WHERE musicbrainz_recording_id IS NOT NULL")
        )
    assert filled == count
