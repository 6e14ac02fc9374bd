"""The engines on real media: Chromaprint via fpcalc, pHash via imagehash, exact pair search."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from revenge.fingerprints.engines import FingerprintError
from revenge.fingerprints.engines import chromaprint as cp
from revenge.fingerprints.engines import phash as ph
from tests.fingerprints import media

MAX_BER = 0.20  # the default REVENGE_FINGERPRINT_AUDIO_MAX_BER
MAX_DISTANCE = 10  # the default REVENGE_FINGERPRINT_IMAGE_MAX_DISTANCE


async def raw(path: Path) -> np.ndarray:
    values, duration = await cp.ChromaprintEngine().raw(path)
    assert duration > 5
    return values


@pytest.mark.parametrize("variant", ["mp3", "ogg", "flac", "quiet", "silence"])
async def test_same_recording_matches_across_encodings_and_edits(audio, variant):
    original = await raw(audio["wav"])
    other = await raw(audio[variant])
    result = cp.compare(original, other)
    assert result.ber <= MAX_BER, (variant, result)
    if variant == "silence":
        # 2 s of silence shift the audio by ~16 sub-fingerprints; the alignment finds it.
        assert abs(result.offset) * cp.ITEM_SECONDS == pytest.approx(2.0, abs=0.3)


async def test_different_recordings_do_not_match(audio):
    song, other = await raw(audio["wav"]), await raw(audio["other"])
    assert cp.compare(song, other).ber > MAX_BER + 0.05
    assert cp.compare(song, await raw(audio["other_mp3"])).ber > MAX_BER + 0.05


async def test_fpcalc_exit_code_3_with_valid_output_is_accepted(audio):
    # Debian bookworm's fpcalc exits 3 on WAV files although the fingerprint is fine.
    fingerprints = await cp.ChromaprintEngine().fingerprint_file(audio["wav"])
    assert len(fingerprints) == 1
    assert len(cp.from_bytes(fingerprints[0].data)) > 50
    assert fingerprints[0].terms  # indexed lookup keys exist


async def test_non_audio_file_is_a_clear_failure(tmp_path):
    junk = tmp_path / "notes.txt"
    junk.write_text("not audio at all")
    with pytest.raises(FingerprintError, match="fpcalc failed"):
        await cp.ChromaprintEngine().raw(junk)
    with pytest.raises(FingerprintError, match="could not be started"):
        await cp.ChromaprintEngine(fpcalc_path="/nonexistent/fpcalc").raw(junk)


def _hash(image: Image.Image) -> int:
    return ph.image_hash(image)


def test_near_duplicate_images_are_close_and_different_ones_far():
    for seed in range(10):
        base = media.picture(seed)
        h = _hash(base)
        resized = _hash(base.resize((80, 80)))
        recompressed = ph.hash_image_bytes(media.jpeg_bytes(base, quality=30))
        cropped = _hash(media.crop(base))
        for variant in (resized, recompressed, cropped):
            assert ph.distance(h, variant) <= MAX_DISTANCE
        assert ph.distance(h, _hash(media.picture(seed + 100))) > MAX_DISTANCE + 4


def test_transparent_and_rotated_images_hash_like_their_flat_upright_self():
    base = media.picture(3)
    rgba = base.convert("RGBA")
    rgba.putalpha(255)
    assert ph.distance(_hash(base), _hash(rgba)) == 0
    # A phone photo stored sideways with an EXIF orientation tag.
    buffer = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    base.rotate(90, expand=True).save(buffer, "JPEG", quality=95, exif=exif)
    assert ph.distance(_hash(base), ph.hash_image_bytes(buffer.getvalue())) <= 6


def test_hex_round_trip_and_chunks():
    value = ph.from_hex("ffffffffffffffff")
    assert value == -1
    assert ph.to_hex(value) == "ffffffffffffffff"
    assert ph.chunks(ph.from_hex("0001000200030004")) == [1, 2, 3, 4]
    assert len(ph.neighbours(0, 2)) == 1 + 16 + 120
    with pytest.raises(ValueError):
        ph.from_hex("1" * 17)


def test_near_pairs_finds_exactly_the_brute_force_pairs():
    rng = np.random.default_rng(7)
    hashes = rng.integers(-(2**63), 2**63 - 1, 3000, dtype=np.int64)
    for i in range(0, 200, 2):  # plant pairs at distances 0..6
        flips = rng.choice(64, size=i % 7, replace=False)
        value = int(hashes[i])
        for bit in flips:
            value ^= 1 << int(bit)
        hashes[i + 1] = ph.to_signed(ph.to_unsigned(value))
    a, b = ph.near_pairs(hashes, 6)
    found = set(zip(a.tolist(), b.tolist(), strict=True))
    unsigned = hashes.view(np.uint64)
    expected = set()
    for i in range(len(unsigned)):
        close = np.flatnonzero(np.bitwise_count(unsigned[i + 1 :] ^ unsigned[i]) <= 6)
        expected |= {(i, i + 1 + int(j)) for j in close}
    assert found == expected
    assert {(i, i + 1) for i in range(0, 200, 2)} <= found
