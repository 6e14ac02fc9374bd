"""Which library item another server or player means: ``match_items`` answers a batch of
``ItemHints`` (webhook events, ListenBrainz listens, kept events retried after a scan).

Evidence, strongest first; a hint is answered by the first kind that finds an item:

1. external ids. Movies: TMDB, then IMDb. Episodes: their own TVDB/TMDB/IMDb id, then their
   series' TVDB/TMDB/IMDb id with the season and episode numbers. Tracks: the MusicBrainz
   recording id, then the release (or release group) id with the track number and/or the
   title. Jellyfin's "track" id names a track on a release, which the library does not store:
   its release id and track number stand in for it.
2. the file path (already rewritten by the source's path map), compared exactly.
3. normalized titles (``match_keys.normalize_title``): a movie's title and year, an episode's
   series title and SxxEyy (the year breaks ties between series of the same name), a track's
   artist and title (the album breaks ties, then the duration).

Only present items are answered (``missing_at IS NULL``). Where the evidence fits several
items that are not copies of one another (two films called "Dune" without a year, a song on an
album and on a compilation without an album named), the answer is None rather than a guess: the
caller keeps the event and an admin sees it. Copies (the same film or album in two libraries)
are one work, and the oldest row answers for them. A title candidate whose own external id
contradicts the hint's is not the item the sender meant ("The Office" US is not the UK one).

Batched: every step is one statement for all the hints still open, so a thousand listens cost
a handful of statements whatever the size of the library (indexed ``= ANY(:values)`` lookups:
``tracks.match_key``, ``tracks.musicbrainz_recording_id``, ``media_files.path`` …).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Collection, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeGuard, TypeVar

from sqlalchemy import (
    Integer,
    Text,
    any_,
    bindparam,
    func,
    literal,
    literal_column,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from revenge.core.media import MediaType
from revenge.library.item_hints import ItemHints
from revenge.library.lookup_items import MediaRef
from revenge.library.match_keys import normalize_title, title_key, track_match_key
from revenge.library.models import Album, Episode, MediaFile, Movie, Series, Track

__all__ = ["match_items", "normalize_title"]

# Two durations closer than this are the same recording (tie-break between tracks).
DURATION_TOLERANCE_MS = 3000

T = TypeVar("T")


async def match_items(session: AsyncSession, hints: Sequence[ItemHints]) -> list[MediaRef | None]:
    """The library item each hint names, in order (None where nothing, or nothing certain,
    fits). A few statements for the whole batch, not one per hint."""
    batch = _Batch(hints)
    await _movies_by_ids(session, batch)
    await _episodes_by_own_ids(session, batch)
    await _episodes_by_series_ids(session, batch)
    await _tracks_by_recording(session, batch)
    await _tracks_by_release(session, batch)
    await _by_paths(session, batch)
    await _movies_by_title(session, batch)
    await _episodes_by_title(session, batch)
    await _tracks_by_title(session, batch)
    return batch.answers


class _Batch:
    """The hints and the answers found so far."""

    def __init__(self, hints: Sequence[ItemHints]) -> None:
        self.hints = list(hints)
        self.answers: list[MediaRef | None] = [None] * len(self.hints)

    def open(self, media_type: str | None = None) -> list[tuple[int, ItemHints]]:
        """The hints (of a media type) that have no answer yet."""
        return [
            (index, hint)
            for index, hint in enumerate(self.hints)
            if self.answers[index] is None and (media_type is None or hint.media_type == media_type)
        ]

    def answer(self, index: int, media_type: MediaType, item_id: uuid.UUID | None) -> None:
        if item_id is not None:
            self.answers[index] = MediaRef(media_type, item_id)


# --- helpers ---------------------------------------------------------------------------------


def _any(column: Any, values: Collection[Any], item_type: Any) -> ColumnElement[bool]:
    """``column = ANY(:values)``: one bound array, whatever the batch size."""
    return column == any_(bindparam(None, list(values), type_=ARRAY(item_type)))


def _folded(value: str | None) -> str | None:
    """An IMDb or MusicBrainz id as compared (they are case-insensitive; the scanner stores
    what the tags say)."""
    return value.strip().lower() if value else None


_imdb = _mbid = _folded


def _spellings(values: Iterable[str | None]) -> set[str]:
    """Ids to look up: as given, in lower and in upper case, so that the index finds the
    stored form whichever it is."""
    return {
        spelling
        for value in values
        if value
        for spelling in (value.strip(), value.strip().lower(), value.strip().upper())
    }


def _grouped(rows: Iterable[T], key: Callable[[T], Hashable]) -> dict[Hashable, list[T]]:
    groups: dict[Hashable, list[T]] = defaultdict(list)
    for row in rows:
        groups[key(row)].append(row)
    return groups


def _one_work(candidates: Sequence[T], identity: Callable[[T], Hashable]) -> T | None:
    """The first candidate if all of them are copies of one work (same identity), else None.
    Candidates come oldest first, so copies are always answered by the same row."""
    if len(candidates) < 2:
        return candidates[0] if candidates else None
    first = identity(candidates[0])
    return candidates[0] if all(identity(c) == first for c in candidates[1:]) else None


def _prefer(candidates: list[T], keep: Callable[[T], bool]) -> list[T]:
    """The candidates ``keep`` likes, if any; else all of them."""
    liked = [c for c in candidates if keep(c)]
    return liked or candidates


def _named(text: str | None) -> TypeGuard[str]:
    return bool(text and text.strip())


def _conflicts(own: object, hinted: object) -> bool:
    return own is not None and hinted is not None and own != hinted


# --- 1. external ids ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _MovieRow:
    id: uuid.UUID
    tmdb_id: int | None
    imdb_id: str | None
    year: int | None
    match_key: str | None
    path: str | None


def _movie_rows(result: Any) -> list[_MovieRow]:
    return [_MovieRow(**row._mapping) for row in result]


def _movie_select() -> Any:
    return (
        select(Movie.id, Movie.tmdb_id, Movie.imdb_id, Movie.year, Movie.match_key, MediaFile.path)
        .outerjoin(MediaFile, MediaFile.id == Movie.file_id)
        .where(Movie.missing_at.is_(None))
        .order_by(Movie.created_at, Movie.id)
    )


class _Located(Protocol):
    @property
    def path(self) -> str | None: ...


Row = TypeVar("Row", bound=_Located)


def _copy_for(candidates: list[Row], hint: ItemHints) -> Row | None:
    """Items that carry the same external id are copies of one work: the one at the hinted
    path, else the oldest."""
    if not candidates:
        return None
    if hint.path:
        for candidate in candidates:
            if candidate.path == hint.path:
                return candidate
    return candidates[0]


async def _movies_by_ids(session: AsyncSession, batch: _Batch) -> None:
    wanted = [(i, h) for i, h in batch.open("movie") if h.tmdb_id or h.imdb_id]
    if not wanted:
        return
    tmdb = {h.tmdb_id for _, h in wanted if h.tmdb_id}
    imdb = _spellings(h.imdb_id for _, h in wanted)
    found = _movie_rows(
        await session.execute(
            _movie_select().where(
                or_(_any(Movie.tmdb_id, tmdb, Integer), _any(Movie.imdb_id, imdb, Text))
            )
        )
    )
    by_tmdb = _grouped(found, lambda r: r.tmdb_id)
    by_imdb = _grouped(found, lambda r: _imdb(r.imdb_id))
    for index, hint in wanted:
        movie = _copy_for(by_tmdb.get(hint.tmdb_id, []) if hint.tmdb_id else [], hint)
        if movie is None and hint.imdb_id:
            movie = _copy_for(by_imdb.get(_imdb(hint.imdb_id), []), hint)
        batch.answer(index, MediaType.movie, movie.id if movie else None)


@dataclass(frozen=True)
class _EpisodeRow:
    id: uuid.UUID
    season_number: int
    episode_number: int
    tmdb_id: int | None
    tvdb_id: int | None
    imdb_id: str | None
    series_tmdb_id: int | None
    series_tvdb_id: int | None
    series_imdb_id: str | None
    series_key: str | None
    series_year: int | None
    path: str | None

    @property
    def number(self) -> tuple[int, int]:
        return (self.season_number, self.episode_number)


def _episode_select() -> Any:
    return (
        select(
            Episode.id,
            Episode.season_number,
            Episode.episode_number,
            Episode.tmdb_id,
            Episode.tvdb_id,
            Episode.imdb_id,
            Series.tmdb_id.label("series_tmdb_id"),
            Series.tvdb_id.label("series_tvdb_id"),
            Series.imdb_id.label("series_imdb_id"),
            Series.match_key.label("series_key"),
            Series.year.label("series_year"),
            MediaFile.path,
        )
        .join(Series, Series.id == Episode.series_id)
        .outerjoin(MediaFile, MediaFile.id == Episode.file_id)
        .where(Episode.missing_at.is_(None), Series.missing_at.is_(None))
        .order_by(Episode.created_at, Episode.id)
    )


def _episode_rows(result: Any) -> list[_EpisodeRow]:
    return [_EpisodeRow(**row._mapping) for row in result]


async def _episodes_by_own_ids(session: AsyncSession, batch: _Batch) -> None:
    wanted = [(i, h) for i, h in batch.open("episode") if h.tvdb_id or h.tmdb_id or h.imdb_id]
    if not wanted:
        return
    tvdb = {h.tvdb_id for _, h in wanted if h.tvdb_id}
    tmdb = {h.tmdb_id for _, h in wanted if h.tmdb_id}
    imdb = _spellings(h.imdb_id for _, h in wanted)
    found = _episode_rows(
        await session.execute(
            _episode_select().where(
                or_(
                    _any(Episode.tvdb_id, tvdb, Integer),
                    _any(Episode.tmdb_id, tmdb, Integer),
                    _any(Episode.imdb_id, imdb, Text),
                )
            )
        )
    )
    by_id: dict[tuple[str, object], list[_EpisodeRow]] = defaultdict(list)
    for row in found:
        for kind, value in (
            ("tvdb", row.tvdb_id),
            ("tmdb", row.tmdb_id),
            ("imdb", _imdb(row.imdb_id)),
        ):
            if value is not None:
                by_id[(kind, value)].append(row)
    for index, hint in wanted:
        for kind, value in (
            ("tvdb", hint.tvdb_id),
            ("tmdb", hint.tmdb_id),
            ("imdb", _imdb(hint.imdb_id)),
        ):
            episode = _copy_for(by_id.get((kind, value), []), hint) if value else None
            if episode is not None:
                batch.answer(index, MediaType.episode, episode.id)
                break


def _numbered(hint: ItemHints) -> bool:
    return hint.season_number is not None and hint.episode_number is not None


async def _episodes_by_series_ids(session: AsyncSession, batch: _Batch) -> None:
    wanted = [
        (i, h)
        for i, h in batch.open("episode")
        if _numbered(h) and (h.series_tvdb_id or h.series_tmdb_id or h.series_imdb_id)
    ]
    if not wanted:
        return
    tvdb = {h.series_tvdb_id for _, h in wanted if h.series_tvdb_id}
    tmdb = {h.series_tmdb_id for _, h in wanted if h.series_tmdb_id}
    imdb = _spellings(h.series_imdb_id for _, h in wanted)
    seasons = {h.season_number for _, h in wanted}
    found = _episode_rows(
        await session.execute(
            _episode_select().where(
                or_(
                    _any(Series.tvdb_id, tvdb, Integer),
                    _any(Series.tmdb_id, tmdb, Integer),
                    _any(Series.imdb_id, imdb, Text),
                ),
                _any(Episode.season_number, seasons, Integer),
            )
        )
    )
    by_id: dict[tuple[str, object, tuple[int, int]], list[_EpisodeRow]] = defaultdict(list)
    for row in found:
        for kind, value in (
            ("tvdb", row.series_tvdb_id),
            ("tmdb", row.series_tmdb_id),
            ("imdb", _imdb(row.series_imdb_id)),
        ):
            if value is not None:
                by_id[(kind, value, row.number)].append(row)
    for index, hint in wanted:
        number = (hint.season_number or 0, hint.episode_number or 0)
        for kind, value in (
            ("tvdb", hint.series_tvdb_id),
            ("tmdb", hint.series_tmdb_id),
            ("imdb", _imdb(hint.series_imdb_id)),
        ):
            episode = _copy_for(by_id.get((kind, value, number), []), hint) if value else None
            if episode is not None:
                batch.answer(index, MediaType.episode, episode.id)
                break


@dataclass(frozen=True)
class _TrackRow:
    id: uuid.UUID
    title: str
    match_key: str | None
    track_number: int | None
    disc_number: int | None
    duration_ms: int | None
    recording_id: str | None
    release_id: str | None
    release_group_id: str | None
    album_title: str
    path: str | None

    @property
    def title_key(self) -> str:
        return title_key(self.title)

    @property
    def album_key(self) -> str:
        return title_key(self.album_title)

    @property
    def place(self) -> tuple[object, ...]:
        """Where it sits on its album: copies of one album share it."""
        return (self.album_key, self.disc_number, self.track_number, self.title_key)


def _track_columns() -> Any:
    return (
        select(
            Track.id,
            Track.title,
            Track.match_key,
            Track.track_number,
            Track.disc_number,
            Track.duration_ms,
            Track.musicbrainz_recording_id.label("recording_id"),
            Album.musicbrainz_release_id.label("release_id"),
            Album.musicbrainz_release_group_id.label("release_group_id"),
            Album.title.label("album_title"),
            MediaFile.path,
        )
        .join(Album, Album.id == Track.album_id)
        .outerjoin(MediaFile, MediaFile.id == Track.file_id)
        .where(Track.missing_at.is_(None))
    )


def _track_select() -> Any:
    return _track_columns().order_by(Track.created_at, Track.id)


def _tracks_with(column: Any, values: Collection[str]) -> Any:
    """``_track_select()`` for the tracks whose ``column`` (an indexed text column) is one of
    ``values``: one index probe per value, through a LATERAL join over the values.

    Not ``column = ANY(:values)``: a listen import asks for a thousand values at once, and
    until the library's tables have statistics (a new library, or the minute after a big
    scan) the planner takes ``= ANY`` of that many values for most of the table and reads
    all of it, 200,000 tracks per statement. The probes cost the same with statistics."""
    wanted = (
        func.unnest(bindparam(None, list(values), type_=ARRAY(Text)))
        .table_valued("value")
        .render_derived(name="wanted")
    )
    found = (
        _track_columns()
        .add_columns(Track.created_at)
        .where(column == wanted.c.value)
        # A fence: without it PostgreSQL turns the LATERAL subquery back into a plain join,
        # which it may plan as one full scan again.
        .offset(literal_column("0"))
        .lateral("found")
    )
    return (
        select(*(c for c in found.c if c.key != "created_at"))
        .select_from(wanted)
        .join(found, true())
        .order_by(found.c.created_at, found.c.id)
    )


def _track_rows(result: Any) -> list[_TrackRow]:
    return [_TrackRow(**row._mapping) for row in result]


def _on_hinted_album(candidates: list[_TrackRow], hint: ItemHints) -> list[_TrackRow]:
    """Of tracks that are all the hinted thing, those on the hinted release or album first."""
    if len(candidates) < 2:
        return candidates
    release, group = _mbid(hint.release_mbid), _mbid(hint.release_group_mbid)
    if release:
        candidates = _prefer(candidates, lambda c: _mbid(c.release_id) == release)
    if group:
        candidates = _prefer(candidates, lambda c: _mbid(c.release_group_id) == group)
    if hint.album:
        album = title_key(hint.album)
        candidates = _prefer(candidates, lambda c: c.album_key == album)
    return candidates


async def _tracks_by_recording(session: AsyncSession, batch: _Batch) -> None:
    wanted = [(i, h) for i, h in batch.open("track") if h.recording_mbid]
    if not wanted:
        return
    recordings = _spellings(h.recording_mbid for _, h in wanted)
    found = _track_rows(
        await session.execute(_tracks_with(Track.musicbrainz_recording_id, recordings))
    )
    by_recording = _grouped(found, lambda r: _mbid(r.recording_id))
    for index, hint in wanted:
        candidates = _on_hinted_album(by_recording.get(_mbid(hint.recording_mbid), []), hint)
        track = _copy_for(candidates, hint)
        batch.answer(index, MediaType.track, track.id if track else None)


def _on_release(candidates: list[_TrackRow], hint: ItemHints) -> _TrackRow | None:
    """The track of a release that the hint's title and/or track number name. Both together
    first; then the title (track numbers differ between taggers more than titles do); then
    the number alone. Several left (the same number on two discs): None, unless copies."""
    title = title_key(hint.title) if hint.title else None
    number = hint.track_number

    def titled(c: _TrackRow) -> bool:
        return title is not None and c.title_key == title

    def numbered(c: _TrackRow) -> bool:
        return number is not None and c.track_number == number

    for keep in (
        lambda c: titled(c) and numbered(c),
        titled,
        numbered,
    ):
        chosen = [c for c in candidates if keep(c)]
        if chosen:
            return _one_work(chosen, lambda c: c.place)
    return None


async def _tracks_by_release(session: AsyncSession, batch: _Batch) -> None:
    wanted = [
        (i, h)
        for i, h in batch.open("track")
        if (h.release_mbid or h.release_group_mbid) and (h.track_number is not None or h.title)
    ]
    if not wanted:
        return
    releases = _spellings(h.release_mbid for _, h in wanted)
    groups = _spellings(h.release_group_mbid for _, h in wanted)
    found = _track_rows(
        await session.execute(
            _track_select().where(
                or_(
                    _any(Album.musicbrainz_release_id, releases, Text),
                    _any(Album.musicbrainz_release_group_id, groups, Text),
                )
            )
        )
    )
    by_release = _grouped(found, lambda r: _mbid(r.release_id))
    by_group = _grouped(found, lambda r: _mbid(r.release_group_id))
    for index, hint in wanted:
        track = None
        if hint.release_mbid:
            track = _on_release(by_release.get(_mbid(hint.release_mbid), []), hint)
        if track is None and hint.release_group_mbid:
            track = _on_release(by_group.get(_mbid(hint.release_group_mbid), []), hint)
        batch.answer(index, MediaType.track, track.id if track else None)


# --- 2. paths ------------------------------------------------------------------------------------


async def _by_paths(session: AsyncSession, batch: _Batch) -> None:
    """The item whose file is at the hinted path: the file is what was played, whatever kind
    the sender thought it was (its own kind wins if a path were somehow two items)."""
    wanted = [(i, h) for i, h in batch.open() if h.path]
    if not wanted:
        return
    paths = {h.path for _, h in wanted}
    branches = [
        select(literal(str(media_type)).label("media_type"), model.id, MediaFile.path)
        .join(MediaFile, MediaFile.id == model.file_id)
        .where(_any(MediaFile.path, paths, Text), model.missing_at.is_(None))
        for media_type, model in (
            (MediaType.movie, Movie),
            (MediaType.episode, Episode),
            (MediaType.track, Track),
        )
    ]
    found: dict[str, dict[str, uuid.UUID]] = defaultdict(dict)
    for row in await session.execute(union_all(*branches)):
        found[row.path][row.media_type] = row.id
    for index, hint in wanted:
        items = found.get(hint.path or "", {})
        kind = hint.media_type if hint.media_type in items else next(iter(items), None)
        if kind is not None:
            batch.answer(index, MediaType(kind), items[kind])


# --- 3. normalized titles ------------------------------------------------------------------------


async def _movies_by_title(session: AsyncSession, batch: _Batch) -> None:
    wanted = [(i, h, title_key(h.title)) for i, h in batch.open("movie") if _named(h.title)]
    if not wanted:
        return
    keys = {key for _, _, key in wanted}
    found = _movie_rows(
        await session.execute(_movie_select().where(_any(Movie.match_key, keys, Text)))
    )
    by_key = _grouped(found, lambda r: r.match_key)
    for index, hint, key in wanted:
        candidates = [
            c
            for c in by_key.get(key, [])
            if not _conflicts(c.tmdb_id, hint.tmdb_id)
            and not _conflicts(_imdb(c.imdb_id), _imdb(hint.imdb_id))
        ]
        if hint.year is not None:
            # The same year; else a movie whose year the library does not know, if only one.
            same_year = [c for c in candidates if c.year == hint.year]
            undated = [c for c in candidates if c.year is None]
            candidates = same_year or (undated if len(undated) == 1 else [])
        movie = _one_work(candidates, lambda c: c.year)
        batch.answer(index, MediaType.movie, movie.id if movie else None)


def _series_by_year(candidates: list[_EpisodeRow], year: int | None) -> list[_EpisodeRow]:
    """Of episodes of series with the same name, those of the series the year points at.

    A sender's year may be the series' or the episode's own: a series that started that
    year, else the latest series that started before it ("Doctor Who" S05 aired 2010 is the
    2005 series', S05 aired 1967 the 1963 series')."""
    if year is None or len({c.series_year for c in candidates}) < 2:
        return candidates
    same = [c for c in candidates if c.series_year == year]
    if same:
        return same
    earlier = [
        c.series_year for c in candidates if c.series_year is not None and c.series_year < year
    ]
    if not earlier or any(c.series_year is None for c in candidates):
        return candidates
    return [c for c in candidates if c.series_year == max(earlier)]


async def _episodes_by_title(session: AsyncSession, batch: _Batch) -> None:
    wanted = [
        (i, h, title_key(h.series_title))
        for i, h in batch.open("episode")
        if _named(h.series_title) and _numbered(h)
    ]
    if not wanted:
        return
    keys = {key for _, _, key in wanted}
    seasons = {h.season_number for _, h, _ in wanted}
    episodes = {h.episode_number for _, h, _ in wanted}
    found = _episode_rows(
        await session.execute(
            _episode_select().where(
                _any(Series.match_key, keys, Text),
                _any(Episode.season_number, seasons, Integer),
                _any(Episode.episode_number, episodes, Integer),
            )
        )
    )
    by_place = _grouped(found, lambda r: (r.series_key, r.number))
    for index, hint, key in wanted:
        place = (key, (hint.season_number, hint.episode_number))
        candidates = [
            c
            for c in by_place.get(place, [])
            if not _conflicts(c.series_tvdb_id, hint.series_tvdb_id)
            and not _conflicts(c.series_tmdb_id, hint.series_tmdb_id)
            and not _conflicts(_imdb(c.series_imdb_id), _imdb(hint.series_imdb_id))
        ]
        episode = _one_work(_series_by_year(candidates, hint.year), lambda c: c.series_year)
        batch.answer(index, MediaType.episode, episode.id if episode else None)


def _lasting(duration_ms: int) -> Callable[[_TrackRow], bool]:
    def close(candidate: _TrackRow) -> bool:
        own = candidate.duration_ms
        return own is not None and abs(own - duration_ms) <= DURATION_TOLERANCE_MS

    return close


async def _tracks_by_title(session: AsyncSession, batch: _Batch) -> None:
    wanted = [
        (i, h, track_match_key(h.artist, h.title))
        for i, h in batch.open("track")
        if _named(h.artist) and _named(h.title)
    ]
    if not wanted:
        return
    keys = {key for _, _, key in wanted}
    found = _track_rows(await session.execute(_tracks_with(Track.match_key, keys)))
    by_key = _grouped(found, lambda r: r.match_key)
    for index, hint, key in wanted:
        candidates = _on_hinted_album(by_key.get(key, []), hint)
        if len(candidates) > 1 and hint.duration_ms:
            candidates = _prefer(candidates, _lasting(hint.duration_ms))
        track = _one_work(candidates, lambda c: c.place)
        batch.answer(index, MediaType.track, track.id if track else None)
