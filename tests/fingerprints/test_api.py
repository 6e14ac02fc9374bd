"""Admin endpoints: generate one item, match uploads and raw fingerprints, access rules."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from revenge.fingerprints.models import FingerprintFailure, MediaFingerprint
from tests.fingerprints import media
from tests.fingerprints.conftest import add_image, add_library, add_track

BASE = "/api/v1/admin/fingerprint"


async def test_generate_one_track_stores_its_chromaprint(client, admin_headers, audio, session):
    library = await add_library()
    track = await add_track(library, audio["flac"], "Song (FLAC)")
    response = await client.post(f"{BASE}/generate/track/{track.id}", headers=admin_headers)
    assert response.status_code == 200, response.text
    (outcome,) = response.json()["outcomes"]
    assert outcome["status"] == "generated"
    (fingerprint,) = outcome["fingerprints"]
    assert fingerprint["fingerprint_type"] == "chromaprint"
    assert fingerprint["length"] > 50
    assert fingerprint["source_path"] == str(audio["flac"])
    stored = (await session.execute(select(MediaFingerprint))).scalars().all()
    assert [(row.subject_type, row.subject_id) for row in stored] == [("track", track.id)]
    assert stored[0].match_terms  # the GIN-indexed terms were written


async def test_unchanged_file_is_not_fingerprinted_again(client, admin_headers, audio, jobs):
    library = await add_library()
    track = await add_track(library, audio["mp3"])
    await client.post(f"{BASE}/generate/track/{track.id}", headers=admin_headers)
    from revenge.core.config import get_settings
    from revenge.core.db import session_scope
    from revenge.fingerprints import service

    async with session_scope() as s:
        again = await service.generate_subject(s, get_settings(), "track", track.id)
    assert again.status == "unchanged"


async def test_unreadable_file_records_a_visible_failure(client, admin_headers, tmp_path, session):
    broken = tmp_path / "broken.mp3"
    broken.write_bytes(b"ID3 but nothing else")
    library = await add_library()
    track = await add_track(library, broken)
    response = await client.post(f"{BASE}/generate/track/{track.id}", headers=admin_headers)
    assert response.status_code == 200
    (outcome,) = response.json()["outcomes"]
    assert outcome["status"] == "failed"
    assert "fpcalc failed" in outcome["reason"]
    failure = (await session.execute(select(FingerprintFailure))).scalar_one()
    assert failure.subject_id == track.id


async def test_generate_unknown_item_is_404_and_bad_type_422(client, admin_headers):
    missing = await client.post(f"{BASE}/generate/track/{uuid.uuid4()}", headers=admin_headers)
    assert missing.status_code == 404
    assert missing.json()["code"] == "fingerprint.item_not_found"
    bad = await client.post(f"{BASE}/generate/podcast/{uuid.uuid4()}", headers=admin_headers)
    assert bad.status_code == 422


async def test_track_without_file_reports_no_file(client, admin_headers):
    track = await add_track(await add_library(), None)
    response = await client.post(f"{BASE}/generate/track/{track.id}", headers=admin_headers)
    assert response.json()["outcomes"][0]["status"] == "no_file"


async def test_admin_only(client, make_user):
    _, user_headers = await make_user()
    for method, path in [
        ("post", f"{BASE}/generate/track/{uuid.uuid4()}"),
        ("post", f"{BASE}/generate"),
        ("get", f"{BASE}/duplicates"),
        ("post", f"{BASE}/match"),
        ("get", f"{BASE}/runs/{uuid.uuid4()}"),
    ]:
        assert (await getattr(client, method)(path)).status_code == 401
        forbidden = await getattr(client, method)(path, headers=user_headers)
        assert forbidden.status_code == 403
        assert forbidden.json()["code"] == "auth.admin_required"


async def test_match_upload_finds_the_track_in_another_encoding(client, admin_headers, audio):
    library = await add_library()
    song = await add_track(library, audio["flac"], "Song")
    other = await add_track(library, audio["other"], "Other")
    for track in (song, other):
        await client.post(f"{BASE}/generate/track/{track.id}", headers=admin_headers)
    for variant in ("mp3", "silence"):
        response = await client.post(
            f"{BASE}/match",
            headers=admin_headers,
            files={"file": (f"clip.{variant}", audio[variant].read_bytes())},
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["fingerprint_type"] == "chromaprint"
        assert body["threshold"]["max_ber"] == 0.2
        assert [m["subject_id"] for m in body["matches"]] == [str(song.id)]
        assert body["matches"][0]["score"] >= 0.8
        assert body["matches"][0]["title"] == "Artist – Song"


async def test_match_raw_fingerprint_json(client, admin_headers, audio):
    from revenge.fingerprints.engines.chromaprint import ChromaprintEngine

    track = await add_track(await add_library(), audio["wav"])
    await client.post(f"{BASE}/generate/track/{track.id}", headers=admin_headers)
    values, _ = await ChromaprintEngine().raw(audio["ogg"])
    response = await client.post(
        f"{BASE}/match",
        headers=admin_headers,
        json={"fingerprint_type": "chromaprint", "fingerprint": [int(v) for v in values]},
    )
    assert response.status_code == 200, response.text
    assert response.json()["matches"][0]["subject_id"] == str(track.id)
    unrelated, _ = await ChromaprintEngine().raw(audio["other"])
    response = await client.post(
        f"{BASE}/match",
        headers=admin_headers,
        json={"fingerprint_type": "chromaprint", "fingerprint": [int(v) for v in unrelated]},
    )
    assert response.json()["matches"] == []


async def test_match_image_upload_and_phash(client, admin_headers, tmp_path):
    cover = tmp_path / "cover.png"
    media.picture(11).save(cover)
    unrelated = tmp_path / "unrelated.png"
    media.picture(12).save(unrelated)
    image = await add_image(cover)
    other = await add_image(unrelated)
    for row in (image, other):
        await client.post(f"{BASE}/generate/image/{row.id}", headers=admin_headers)
    smaller = media.jpeg_bytes(media.crop(media.picture(11)).resize((120, 120)), quality=50)
    response = await client.post(
        f"{BASE}/match", headers=admin_headers, files={"file": ("c.jpg", smaller, "image/jpeg")}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["fingerprint_type"] == "phash"
    assert body["threshold"]["max_distance"] == 10
    assert [m["subject_id"] for m in body["matches"]] == [str(image.id)]
    by_hash = await client.post(
        f"{BASE}/match",
        headers=admin_headers,
        json={"fingerprint_type": "phash", "phash": body["query_phash"]},
    )
    assert [m["subject_id"] for m in by_hash.json()["matches"]] == [str(image.id)]


async def test_match_rejects_bad_input_clearly(client, admin_headers, tmp_path):
    missing = await client.post(
        f"{BASE}/match", headers=admin_headers, json={"fingerprint_type": "chromaprint"}
    )
    assert missing.status_code == 422
    assert missing.json()["code"] == "fingerprint.match_input_missing"
    malformed = await client.post(
        f"{BASE}/match", headers=admin_headers, json={"fingerprint_type": "phash", "phash": "xyz"}
    )
    assert malformed.status_code == 422
    assert malformed.json()["code"] == "request.validation_failed"
    junk = await client.post(
        f"{BASE}/match", headers=admin_headers, files={"file": ("a.bin", b"\x00" * 1000)}
    )
    assert junk.status_code == 422
    assert junk.json()["code"] == "fingerprint.unreadable_upload"
    no_file = await client.post(f"{BASE}/match", headers=admin_headers, files={"x": ("a", b"1")})
    assert no_file.json()["code"] == "fingerprint.match_input_missing"


async def test_match_upload_size_limit(client, admin_headers, test_settings, monkeypatch):
    monkeypatch.setattr(test_settings.fingerprint, "max_upload_bytes", 2 * 1024 * 1024)
    response = await client.post(
        f"{BASE}/match",
        headers={**admin_headers, "Accept-Language": "de"},
        files={"file": ("big.wav", b"\x00" * (3 * 1024 * 1024))},
    )
    assert response.status_code == 413
    assert response.json()["code"] == "fingerprint.upload_too_large"
    assert "2 MB" in response.json()["detail"]
