"""ffprobe and mutagen on real files, and what the scanner does with files they cannot read."""

from __future__ import annotations

import shutil

from revenge.library.probe import probe_file
from revenge.library.tags import read_tags
from tests.library.conftest import create_and_scan, tag_audio

RELEASE = "5dd5d3cc-3a1a-4fa1-8a63-3b1c9a2fc6a0"


async def test_probe_reads_video_and_audio_streams(media):
    result = await probe_file(media.mkv)
    assert (result.container, result.mime_type) == ("mkv", "video/x-matroska")
    assert abs(result.duration_ms - 2000) < 150
    assert (result.width, result.height) == (64, 48)
    assert (result.video_codec, result.audio_codec) == ("mpeg4", "aac")
    audio = await probe_file(media.flac)
    assert (audio.container, audio.audio_codec, audio.video_codec) == ("flac", "flac", None)
    assert audio.width is None and abs(audio.duration_ms - 2000) < 150


async def test_probe_of_unreadable_file_or_missing_ffprobe_keeps_what_the_name_says(
    media, tmp_path
):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00not a video" * 10)
    result = await probe_file(broken)
    assert (result.container, result.mime_type, result.duration_ms) == ("mp4", "video/mp4", None)
    no_tool = await probe_file(media.mkv, ffprobe=str(tmp_path / "no-ffprobe"))
    assert (no_tool.container, no_tool.duration_ms) == ("mkv", None)


def test_tags_from_flac_and_mp3_including_musicbrainz_ids(media, tmp_path):
    flac = tmp_path / "t.flac"
    shutil.copyfile(media.flac, flac)
    tag_audio(
        flac,
        title="Angel",
        artist="Massive Attack",
        albumartist="Various Artists",
        album="Mezzanine",
        date="1998-04-20",
        tracknumber="3/12",
        discnumber="2/2",
        genre=["Trip Hop; Electronic", "Electronic"],
        musicbrainz_albumid=RELEASE.upper(),
        musicbrainz_trackid="not-an-mbid",
    )
    tags = read_tags(flac)
    assert (tags.title, tags.artist, tags.album_artist, tags.album) == (
        "Angel",
        "Massive Attack",
        "Various Artists",
        "Mezzanine",
    )
    assert (tags.year, tags.track_number, tags.disc_number) == (1998, 3, 2)
    assert tags.genres == ["Trip Hop", "Electronic"]
    assert tags.musicbrainz_release_id == RELEASE  # normalised to lower case
    assert tags.musicbrainz_recording_id is None  # junk is not an id
    assert abs(tags.duration_ms - 2000) < 150

    mp3 = tmp_path / "t.mp3"
    shutil.copyfile(media.mp3, mp3)
    tag_audio(mp3, title="Teardrop", musicbrainz_releasegroupid=RELEASE, tracknumber="7")
    tags = read_tags(mp3)
    assert (tags.title, tags.track_number, tags.musicbrainz_release_group_id) == (
        "Teardrop",
        7,
        RELEASE,
    )


def test_untagged_and_unreadable_audio_give_empty_tags(media, tmp_path):
    assert read_tags(media.flac).title is None
    junk = tmp_path / "junk.flac"
    junk.write_bytes(b"fLaC-but-not-really")
    assert read_tags(junk).title is None
    text = tmp_path / "notes.mp3"
    text.write_text("hello")
    assert read_tags(text).artist is None


async def test_unreadable_media_file_still_becomes_an_item(client, jobs, admin, tree):
    t = tree("broken")
    t.touch("Broken (2001)/Broken (2001).mkv", b"\x1a\x45\xdf\xa3 truncated")
    _, scan = await create_and_scan(
        client, jobs, admin, name="Broken", kind="movies", path=str(t.root)
    )
    assert (scan["status"], scan["items_added"]) == ("done", 1)
    movie = (await client.get("/api/v1/library/movies", headers=admin)).json()["items"][0]
    assert (movie["title"], movie["year"], movie["duration_ms"]) == ("Broken", 2001, None)
    assert movie["file"]["container"] == "mkv"
