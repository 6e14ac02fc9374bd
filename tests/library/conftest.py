"""Library fixtures: tiny real media made once per session with ffmpeg, folder trees built
from them per test, and recorder tasks subscribed to the library's domain events."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from revenge.core import events
from revenge.core.jobs import job_app


@job_app.task(name="tests.library.item_added")
async def record_item_added(media_type: str, media_id: str, library_id: str) -> None:
    """Stands in for the features that hook into new items (notifications, requests …)."""


@job_app.task(name="tests.library.item_removed")
async def record_item_removed(media_type: str, media_id: str, library_id: str) -> None:
    """Stands in for the features that react to items whose file is gone."""


@pytest.fixture(autouse=True)
def _record_library_events(monkeypatch: pytest.MonkeyPatch) -> None:
    """Subscribe the recorders for library tests only (other features' tests see their own
    subscribers unchanged)."""
    for event, task in (
        (events.LibraryItemAdded, record_item_added),
        (events.LibraryItemRemoved, record_item_removed),
    ):
        monkeypatch.setitem(events._subscribers, event, [*events.subscribers(event), task])


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True, timeout=60)


@dataclass(frozen=True)
class Templates:
    mkv: Path  # 2 s, 64x48 mpeg4 video + aac audio
    mp4: Path  # 1 s, 32x24
    flac: Path  # 2 s sine
    mp3: Path  # 1 s sine
    jpg: Path  # 30x40 poster


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> Templates:
    folder = tmp_path_factory.mktemp("media-templates")
    mkv, mp4 = folder / "v.mkv", folder / "v.mp4"
    flac, mp3, jpg = folder / "a.flac", folder / "a.mp3", folder / "p.jpg"
    _ffmpeg(
        "-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=2",
        "-f", "lavfi", "-i", "sine=frequency=440:duration=2",
        "-c:v", "mpeg4", "-c:a", "aac", "-shortest", str(mkv),
    )  # fmt: skip
    _ffmpeg(
        "-f", "lavfi", "-i", "testsrc=size=32x24:rate=10:duration=1",
        "-f", "lavfi", "-i", "sine=frequency=660:duration=1",
        "-c:v", "mpeg4", "-c:a", "aac", "-shortest", str(mp4),
    )  # fmt: skip
    _ffmpeg("-f", "lavfi", "-i", "sine=frequency=330:duration=2", "-c:a", "flac", str(flac))
    _ffmpeg("-f", "lavfi", "-i", "sine=frequency=550:duration=1", "-c:a", "libmp3lame", str(mp3))
    Image.new("RGB", (30, 40), "navy").save(jpg)
    return Templates(mkv, mp4, flac, mp3, jpg)


def tag_audio(path: Path, **tags: Any) -> None:
    """Write tags the way Picard does (easy keys work for FLAC, MP3 and MP4)."""
    import mutagen

    audio = mutagen.File(path, easy=True)
    if audio.tags is None:
        audio.add_tags()
    for key, value in tags.items():
        audio[key] = value if isinstance(value, list) else [str(value)]
    audio.save()


class Tree:
    """A library folder under tmp_path; every file gets its own mtime (like real files)."""

    def __init__(self, root: Path, media: Templates) -> None:
        self.root = root
        self.media = media
        self._clock = 1_700_000_000.0

    def add(self, rel: str, template: Path, **tags: Any) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(template, path)
        if tags:
            tag_audio(path, **tags)
        self._clock += 17.25
        os.utime(path, (self._clock, self._clock))
        return path

    def touch(self, rel: str, content: bytes = b"x") -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        return path


@pytest.fixture
def tree(tmp_path: Path, media: Templates) -> Callable[[str], Tree]:
    def make(name: str) -> Tree:
        root = tmp_path / f"{name}-{uuid.uuid4().hex[:6]}"
        root.mkdir()
        return Tree(root, media)

    return make


@pytest.fixture
async def admin(make_user: Any) -> dict[str, str]:
    _, headers = await make_user(is_admin=True)
    return headers


async def create_and_scan(client: Any, jobs: Any, headers: dict[str, str], **library: Any) -> Any:
    """POST a library (when given name/kind/path) or rescan one (library_id); run the job."""
    library_id = library.pop("library_id", None)
    if library_id is None:
        created = await client.post("/api/v1/admin/libraries", json=library, headers=headers)
        assert created.status_code == 201, created.text
        library_id = created.json()["id"]
    started = await client.post(f"/api/v1/admin/libraries/{library_id}/scan", headers=headers)
    assert started.status_code == 202, started.text
    assert started.json()["status"] == "queued"
    await jobs.run("library.scan")
    scan = await client.get(
        f"/api/v1/admin/libraries/scans/{started.json()['id']}", headers=headers
    )
    assert scan.status_code == 200, scan.text
    return library_id, scan.json()
