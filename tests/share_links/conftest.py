"""Share-link fixtures: real files on disk with library rows pointing at them."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest

from revenge.core.db import session_scope
from revenge.library.models import (
    Album,
    Artist,
    Episode,
    Library,
    MediaFile,
    MediaImage,
    Movie,
    Season,
    Series,
    Track,
)


def pattern(size: int, seed: int = 0) -> bytes:
    """Content where every offset has a distinct-enough byte, so a wrong range is visible."""
    block = bytes((i * 7 + seed) % 251 for i in range(251))
    return (block * (size // len(block) + 1))[:size]


class Media:
    """Creates library items whose files really exist under a temp directory."""

    def __init__(self, root: Path) -> None:
        self.root = root

    async def _library(self, kind: str) -> Library:
        async with session_scope() as s:
            library = Library(
                name=f"{kind}-{uuid.uuid4().hex[:6]}",
                kind=kind,
                path=str(self.root / uuid.uuid4().hex),
            )
            s.add(library)
            await s.flush()
            return library

    async def file(
        self,
        library_id: uuid.UUID,
        size: int,
        *,
        suffix: str = ".mp4",
        mime: str | None = "video/mp4",
        seed: int = 0,
    ) -> MediaFile:
        path = self.root / f"{uuid.uuid4().hex}{suffix}"
        path.write_bytes(pattern(size, seed))
        async with session_scope() as s:
            row = MediaFile(
                library_id=library_id,
                path=str(path),
                size_bytes=size,
                mtime=os.stat(path).st_mtime,
                mime_type=mime,
            )
            s.add(row)
            await s.flush()
            return row

    async def movie(
        self, title: str = "Heat", size: int = 10_000, **file_kwargs: Any
    ) -> tuple[Movie, MediaFile]:
        library = await self._library("movies")
        media_file = await self.file(library.id, size, **file_kwargs)
        async with session_scope() as s:
            movie = Movie(
                library_id=library.id,
                title=title,
                year=1995,
                duration_ms=170 * 60_000,
                file_id=media_file.id,
            )
            s.add(movie)
            await s.flush()
            return movie, media_file

    async def series(self, title: str = "Dark", episodes: int = 2) -> tuple[Series, list[Episode]]:
        library = await self._library("tv")
        async with session_scope() as s:
            series = Series(library_id=library.id, title=title, year=2017)
            s.add(series)
            await s.flush()
            season = Season(series_id=series.id, season_number=1)
            s.add(season)
            await s.flush()
        result = []
        for number in range(1, episodes + 1):
            media_file = await self.file(library.id, 4000 + number, seed=number)
            async with session_scope() as s:
                episode = Episode(
                    series_id=series.id,
                    season_id=season.id,
                    season_number=1,
                    episode_number=number,
                    title=f"Episode {number}",
                    duration_ms=45 * 60_000,
                    file_id=media_file.id,
                )
                s.add(episode)
                await s.flush()
                result.append(episode)
        return series, result

    async def album(self, title: str = "Mezzanine", tracks: int = 2) -> tuple[Album, list[Track]]:
        library = await self._library("music")
        async with session_scope() as s:
            artist = Artist(library_id=library.id, name="Massive Attack")
            s.add(artist)
            await s.flush()
            album = Album(artist_id=artist.id, title=title, year=1998)
            s.add(album)
            await s.flush()
        result = []
        for number in range(1, tracks + 1):
            media_file = await self.file(
                library.id, 3000 + number, suffix=".flac", mime="audio/flac", seed=number
            )
            async with session_scope() as s:
                track = Track(
                    album_id=album.id,
                    artist_id=artist.id,
                    title=f"Track {number}",
                    track_number=number,
                    duration_ms=300_000,
                    file_id=media_file.id,
                )
                s.add(track)
                await s.flush()
                result.append(track)
        return album, result

    async def image(self, media_type: str, media_id: uuid.UUID, kind: str = "poster") -> bytes:
        path = self.root / f"{uuid.uuid4().hex}.jpg"
        content = b"\xff\xd8\xff\xe0" + os.urandom(200)
        path.write_bytes(content)
        async with session_scope() as s:
            s.add(
                MediaImage(
                    media_type=media_type,
                    media_id=media_id,
                    kind=kind,
                    path=str(path),
                    size_bytes=len(content),
                    mtime=os.stat(path).st_mtime,
                )
            )
        return content


@pytest.fixture
def media(tmp_path: Path) -> Media:
    return Media(tmp_path)


ShareFactory = Callable[..., Coroutine[Any, Any, dict[str, Any]]]


@pytest.fixture
def share(client_for_share: Any) -> ShareFactory:
    """POST a grant as ``headers``; returns the created grant (with its one-time token)."""

    async def create(
        headers: dict[str, str], media_type: str, media_id: uuid.UUID, **fields: Any
    ) -> dict[str, Any]:
        response = await client_for_share.post(
            "/api/v1/users/me/grants",
            json={"media_type": media_type, "media_id": str(media_id), **fields},
            headers=headers,
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    return create


@pytest.fixture
def client_for_share(request: pytest.FixtureRequest) -> Any:
    # Works with either the rolled-back `client` or the `committed_client` a test asked for.
    committed = {"committed_client", "committed_db"} & set(request.fixturenames)
    name = "committed_client" if committed else "client"
    return request.getfixturevalue(name)


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Link passwords with argon2's smallest cost: the same code paths, milliseconds instead of
    a second per hash on a busy 2-core machine. The dummy hash gets the same cost, so the
    "always one verification" behaviour is kept."""
    from argon2 import PasswordHasher

    from revenge.core import security

    hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(security, "_hasher", hasher)
    monkeypatch.setattr(security, "_DUMMY_HASH", hasher.hash("dummy-password"))
