from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from revenge.core.db import session_scope
from revenge.library.models import Album, Artist, Library, MediaFile, MediaImage, Movie, Track
from tests.fingerprints import media


@pytest.fixture(scope="session")
def audio(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One melody in several encodings and edits, and an unrelated melody."""
    root = tmp_path_factory.mktemp("audio")
    song = media.melody(1)
    wav = media.write_wav(root / "song.wav", song)
    files = {
        "wav": wav,
        "mp3": media.encode(wav, root / "song.mp3", "-b:a", "128k"),
        "ogg": media.encode(wav, root / "song.ogg", "-c:a", "libvorbis", "-q:a", "3"),
        "flac": media.encode(wav, root / "song.flac"),
        "quiet": media.write_wav(root / "song-quiet.wav", song * 0.3),
        "silence": media.write_wav(
            root / "song-silence.wav", np_concat(media.SAMPLE_RATE * 2, song)
        ),
        "other": media.write_wav(root / "other.wav", media.melody(2)),
    }
    files["other_mp3"] = media.encode(files["other"], root / "other.mp3", "-b:a", "96k")
    return files


def np_concat(silent_samples: int, song: np.ndarray) -> np.ndarray:
    return np.concatenate([np.zeros(silent_samples), song])


async def add_library(kind: str = "music") -> Library:
    async with session_scope() as s:
        library = Library(
            name=f"{kind}-{uuid.uuid4().hex[:6]}", kind=kind, path=f"/srv/{uuid.uuid4().hex}"
        )
        s.add(library)
        await s.flush()
        return library


async def add_file(library: Library, path: Path, **facts: Any) -> MediaFile:
    stat = path.stat()
    async with session_scope() as s:
        media_file = MediaFile(
            library_id=library.id,
            path=str(path),
            size_bytes=stat.st_size,
            mtime=stat.st_mtime,
            **facts,
        )
        s.add(media_file)
        await s.flush()
        return media_file


async def add_track(
    library: Library, path: Path | None, title: str = "Song", **facts: Any
) -> Track:
    media_file = await add_file(library, path, **facts) if path else None
    async with session_scope() as s:
        artist = Artist(library_id=library.id, name="Artist")
        s.add(artist)
        await s.flush()
        album = Album(artist_id=artist.id, title="Album")
        s.add(album)
        await s.flush()
        track = Track(
            album_id=album.id,
            artist_id=artist.id,
            title=title,
            file_id=media_file.id if media_file else None,
        )
        s.add(track)
        await s.flush()
        return track


async def add_movie(library: Library, path: Path, title: str = "Film", **facts: Any) -> Movie:
    media_file = await add_file(library, path, **facts)
    async with session_scope() as s:
        movie = Movie(library_id=library.id, title=title, file_id=media_file.id)
        s.add(movie)
        await s.flush()
        return movie


async def add_image(
    path: Path, media_type: str = "album", media_id: uuid.UUID | None = None, kind: str = "cover"
) -> MediaImage:
    from PIL import Image

    with Image.open(path) as image:
        width, height = image.size
    stat = os.stat(path)
    async with session_scope() as s:
        row = MediaImage(
            media_type=media_type,
            media_id=media_id or uuid.uuid4(),
            kind=kind,
            path=str(path),
            size_bytes=stat.st_size,
            mtime=stat.st_mtime,
            width=width,
            height=height,
        )
        s.add(row)
        await s.flush()
        return row


@pytest.fixture
async def admin_headers(make_user: Any) -> dict[str, str]:
    _, headers = await make_user(is_admin=True)
    return headers
