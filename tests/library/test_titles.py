"""Display titles: ``describe_items`` (many items, few queries) gives exactly the titles that
``get_playable`` gives one item at a time."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core.media import MediaType
from revenge.library import service
from revenge.library.models import Album, Artist, Episode, Library, Movie, Season, Series, Track


async def _catalogue(session: AsyncSession, size: int) -> list[tuple[MediaType, uuid.UUID]]:
    """``size`` movies, episodes (with and without a title) and tracks."""
    tag = uuid.uuid4().hex[:6]
    libs = {
        k: Library(name=f"{k}-{tag}", kind=k, path=f"/srv/{k}-{tag}")
        for k in ("movies", "tv", "music")
    }
    session.add_all(libs.values())
    await session.flush()
    series = Series(library_id=libs["tv"].id, title=f"Dark {tag}")
    artist = Artist(library_id=libs["music"].id, name=f"Björk {tag}")
    session.add_all([series, artist])
    await session.flush()
    season = Season(series_id=series.id, season_number=2)
    album = Album(artist_id=artist.id, title="Homogenic")
    session.add_all([season, album])
    await session.flush()
    rows: list[Movie | Episode | Track] = []
    for i in range(size):
        rows.append(Movie(library_id=libs["movies"].id, title=f"Movie {i} – Été"))
        rows.append(
            Episode(
                series_id=series.id,
                season_id=season.id,
                season_number=2,
                episode_number=i + 1,
                title=f"Episode {i}" if i % 2 else None,
            )
        )
        rows.append(Track(album_id=album.id, artist_id=artist.id, title=f"Jóga {i}"))
    session.add_all(rows)
    await session.flush()
    kinds = {Movie: MediaType.movie, Episode: MediaType.episode, Track: MediaType.track}
    return [(kinds[type(row)], row.id) for row in rows]


@contextmanager
def _statements(session: AsyncSession) -> Iterator[list[str]]:
    """The SQL statements the session sends while the block runs."""
    seen: list[str] = []
    engine = session.bind.sync_engine if session.bind is not None else None
    assert engine is not None

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def test_describe_items_matches_get_playable(session: AsyncSession) -> None:
    items = await _catalogue(session, 4)
    titles = await service.describe_items(session, [(str(k), i) for k, i in items])
    expected = {}
    for kind, item_id in items:
        playable = await service.get_playable(session, kind, item_id)
        assert playable is not None
        expected[(str(kind), item_id)] = playable.title
    assert titles == expected
    # The formats themselves, spelled out once.
    episode_titles = {t for (k, _), t in titles.items() if k == "episode"}
    assert any(t.endswith(" S02E01") for t in episode_titles)  # no title: no dash
    assert any(t.endswith(" S02E02 – Episode 1") for t in episode_titles)
    assert any(t.startswith("Björk ") and t.endswith(" – Jóga 0") for (k, _), t in titles.items())


async def test_describe_items_query_count_does_not_grow(session: AsyncSession) -> None:
    small = await _catalogue(session, 2)
    large = await _catalogue(session, 30)
    missing = [(MediaType.episode, uuid.uuid4()), (MediaType.track, uuid.uuid4())]
    with _statements(session) as few:
        few_titles = await service.describe_items(session, [(str(k), i) for k, i in small])
    with _statements(session) as many:
        many_titles = await service.describe_items(
            session, [(str(k), i) for k, i in large + missing]
        )
    assert len(few_titles) == len(small)
    assert len(many_titles) == len(large)  # unknown ids have no title
    assert len(few) == len(many) == 3  # one query per media type
