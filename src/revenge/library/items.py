"""From one media file to its library item: movie, episode (with series/season) or track
(with artist/album). Used by the scanner inside a chunk's transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core import events
from revenge.core.media import LibraryKind, MediaType
from revenge.library import naming
from revenge.library.match_keys import track_match_key
from revenge.library.models import Album, Artist, Episode, MediaFile, Movie, Season, Series, Track
from revenge.library.tags import AudioTags

UNKNOWN_ARTIST = "Unknown Artist"
UNKNOWN_ALBUM = "Unknown Album"


@dataclass
class ItemResult:
    media_type: MediaType
    item_id: uuid.UUID
    created: bool


@dataclass
class ParentCache:
    """Series, seasons, artists and albums already resolved during this scan (by natural key)."""

    series: dict[tuple[object, ...], uuid.UUID] = field(default_factory=dict)
    seasons: dict[tuple[uuid.UUID, int], uuid.UUID] = field(default_factory=dict)
    artists: dict[tuple[object, ...], uuid.UUID] = field(default_factory=dict)
    # An artist's stored name (a track's match key is computed with it).
    artist_names: dict[uuid.UUID, str] = field(default_factory=dict)
    albums: dict[tuple[object, ...], uuid.UUID] = field(default_factory=dict)


class ItemResolver:
    """Creates or updates the item a file belongs to; emits ``library.item_added`` for new ones."""

    def __init__(self, library_id: uuid.UUID, kind: LibraryKind, root: Path) -> None:
        self.library_id = library_id
        self.kind = kind
        self.root = root
        self.cache = ParentCache()
        # Folders holding several movie files group movies ("Action/Heat.mkv"): their name is
        # not a movie's name.
        self.shared_folders: set[Path] = set()

    async def _added(
        self, session: AsyncSession, media_type: MediaType, item_id: uuid.UUID
    ) -> None:
        await events.emit(
            session,
            events.LibraryItemAdded(
                media_type=str(media_type), media_id=item_id, library_id=self.library_id
            ),
        )

    async def resolve(
        self, session: AsyncSession, file: MediaFile, tags: AudioTags | None
    ) -> ItemResult | None:
        path = Path(file.path)
        rel = path.relative_to(self.root).parts
        if self.kind == LibraryKind.movies:
            return await self._movie(session, file, rel)
        if self.kind == LibraryKind.tv:
            return await self._episode(session, file, rel)
        return await self._track(session, file, rel, tags or AudioTags())

    # movies -------------------------------------------------------------------------------

    async def _movie(
        self, session: AsyncSession, file: MediaFile, rel: tuple[str, ...]
    ) -> ItemResult:
        stem = Path(rel[-1]).stem
        from_file = naming.parse_title(stem)
        info = from_file
        if len(rel) >= 2 and Path(file.path).parent not in self.shared_folders:
            # The movie's own folder names it best ("Movie (2010) [tmdbid-1]/movie.mkv"),
            # unless it is a plain grouping folder without a year or id.
            from_folder = naming.parse_title(rel[-2])
            if from_folder.year or any(vars(from_folder.ids).values()) or not from_file.year:
                info = from_folder
        ids = naming.ExternalIds(
            tmdb_id=info.ids.tmdb_id or from_file.ids.tmdb_id,
            imdb_id=info.ids.imdb_id or from_file.ids.imdb_id,
        )
        movie = (
            await session.execute(select(Movie).where(Movie.file_id == file.id))
        ).scalar_one_or_none()
        created = movie is None
        if movie is None:
            movie = Movie(library_id=self.library_id, title=info.title, file_id=file.id)
            session.add(movie)
        movie.title = info.title[:500]
        movie.year = info.year or from_file.year
        movie.tmdb_id = ids.tmdb_id
        movie.imdb_id = ids.imdb_id
        movie.duration_ms = file.duration_ms
        movie.missing_at = None
        await session.flush()
        if created:
            await self._added(session, MediaType.movie, movie.id)
        return ItemResult(MediaType.movie, movie.id, created)

    # tv -----------------------------------------------------------------------------------

    async def _series(self, session: AsyncSession, info: naming.TitleInfo) -> uuid.UUID:
        ids = info.ids
        if ids.tvdb_id or ids.tmdb_id or ids.imdb_id:
            key: tuple[object, ...] = ("id", ids.tvdb_id, ids.tmdb_id, ids.imdb_id)
        else:
            key = ("name", info.title.lower(), info.year)
        if key in self.cache.series:
            return self.cache.series[key]
        query = select(Series).where(Series.library_id == self.library_id)
        if key[0] == "id":
            if ids.tvdb_id:
                query = query.where(Series.tvdb_id == ids.tvdb_id)
            elif ids.tmdb_id:
                query = query.where(Series.tmdb_id == ids.tmdb_id)
            else:
                query = query.where(Series.imdb_id == ids.imdb_id)
        else:
            query = query.where(
                func.lower(Series.title) == info.title.lower(),
                Series.year.is_not_distinct_from(info.year),
            )
        series = (await session.execute(query.limit(1))).scalar_one_or_none()
        if series is None:
            series = Series(
                library_id=self.library_id,
                title=info.title[:500],
                year=info.year,
                tvdb_id=ids.tvdb_id,
                tmdb_id=ids.tmdb_id,
                imdb_id=ids.imdb_id,
            )
            session.add(series)
            await session.flush()
            await self._added(session, MediaType.series, series.id)
        self.cache.series[key] = series.id
        return series.id

    async def _season(self, session: AsyncSession, series_id: uuid.UUID, number: int) -> uuid.UUID:
        key = (series_id, number)
        if key in self.cache.seasons:
            return self.cache.seasons[key]
        season = (
            await session.execute(
                select(Season).where(Season.series_id == series_id, Season.season_number == number)
            )
        ).scalar_one_or_none()
        if season is None:
            season = Season(
                series_id=series_id,
                season_number=number,
                title="Specials" if number == 0 else f"Season {number}",
            )
            session.add(season)
            await session.flush()
        self.cache.seasons[key] = season.id
        return season.id

    async def _episode(
        self, session: AsyncSession, file: MediaFile, rel: tuple[str, ...]
    ) -> ItemResult | None:
        stem = Path(rel[-1]).stem
        parsed = naming.parse_episode(stem)
        if parsed is None:
            return None
        if len(rel) >= 2:
            series_info = naming.parse_title(rel[0])
        else:  # loose file in the library root: the name before SxxEyy is the show
            series_info = naming.parse_title(parsed.series_hint or stem)
        folder_season = naming.parse_season_folder(rel[-2]) if len(rel) >= 3 else None
        season_number = (
            folder_season
            if folder_season is not None
            else (parsed.season_number if parsed.season_number is not None else 1)
        )
        series_id = await self._series(session, series_info)
        season_id = await self._season(session, series_id, season_number)
        episode = (
            await session.execute(select(Episode).where(Episode.file_id == file.id))
        ).scalar_one_or_none()
        created = episode is None
        if episode is None:
            episode = Episode(
                series_id=series_id,
                season_id=season_id,
                season_number=season_number,
                episode_number=parsed.episode_number,
                file_id=file.id,
            )
            session.add(episode)
        episode.series_id = series_id
        episode.season_id = season_id
        episode.season_number = season_number
        episode.episode_number = parsed.episode_number
        episode.title = parsed.title[:500] if parsed.title else None
        episode.duration_ms = file.duration_ms
        episode.missing_at = None
        await session.flush()
        if created:
            await self._added(session, MediaType.episode, episode.id)
        return ItemResult(MediaType.episode, episode.id, created)

    # music --------------------------------------------------------------------------------

    async def _artist(self, session: AsyncSession, name: str, mbid: str | None) -> uuid.UUID:
        key: tuple[object, ...] = ("mbid", mbid) if mbid else ("name", name.lower())
        if key in self.cache.artists:
            return self.cache.artists[key]
        artist: Artist | None = None
        if mbid:
            artist = (
                await session.execute(
                    select(Artist).where(
                        Artist.library_id == self.library_id, Artist.musicbrainz_artist_id == mbid
                    )
                )
            ).scalar_one_or_none()
        if artist is None:
            query = select(Artist).where(
                Artist.library_id == self.library_id, func.lower(Artist.name) == name.lower()
            )
            if mbid:  # an untagged artist of the same name is the same artist
                query = query.where(Artist.musicbrainz_artist_id.is_(None))
            artist = (await session.execute(query.limit(1))).scalar_one_or_none()
            if artist is not None and mbid:
                artist.musicbrainz_artist_id = mbid
        if artist is None:
            artist = Artist(library_id=self.library_id, name=name[:500], musicbrainz_artist_id=mbid)
            session.add(artist)
            await session.flush()
        self.cache.artists[key] = artist.id
        self.cache.artist_names[artist.id] = artist.name
        return artist.id

    async def _album(
        self,
        session: AsyncSession,
        artist_id: uuid.UUID,
        title: str,
        year: int | None,
        tags: AudioTags,
    ) -> uuid.UUID:
        release = tags.musicbrainz_release_id
        key: tuple[object, ...] = (
            (artist_id, "mbid", release) if release else (artist_id, "title", title.lower())
        )
        if key in self.cache.albums:
            return self.cache.albums[key]
        query = select(Album).where(Album.artist_id == artist_id)
        if release:
            query = query.where(Album.musicbrainz_release_id == release)
        else:
            query = query.where(func.lower(Album.title) == title.lower())
        album = (await session.execute(query.limit(1))).scalar_one_or_none()
        created = album is None
        if album is None:
            album = Album(artist_id=artist_id, title=title[:500])
            session.add(album)
        album.year = year or album.year
        album.genres = tags.genres or album.genres or []
        album.musicbrainz_release_id = release or album.musicbrainz_release_id
        album.musicbrainz_release_group_id = (
            tags.musicbrainz_release_group_id or album.musicbrainz_release_group_id
        )
        await session.flush()
        if created:
            await self._added(session, MediaType.album, album.id)
        self.cache.albums[key] = album.id
        return album.id

    async def _track(
        self, session: AsyncSession, file: MediaFile, rel: tuple[str, ...], tags: AudioTags
    ) -> ItemResult:
        stem = Path(rel[-1]).stem
        from_name = naming.parse_track_filename(stem)
        folders = list(rel[:-1])
        disc_from_folder = naming.parse_disc_folder(folders[-1]) if folders else None
        if disc_from_folder is not None:
            folders.pop()
        album_folder = folders[-1] if folders else None
        artist_folder = folders[-2] if len(folders) >= 2 else None
        folder_title, folder_year = (
            naming.parse_album_folder(album_folder) if album_folder else (None, None)
        )
        # Tags win over names; names fill what the tags leave out.
        album_artist_name = tags.album_artist or tags.artist or artist_folder or UNKNOWN_ARTIST
        album_artist_mbid = tags.musicbrainz_album_artist_id or (
            tags.musicbrainz_artist_id if not tags.album_artist else None
        )
        track_artist_name = tags.artist or album_artist_name
        album_artist_id = await self._artist(session, album_artist_name, album_artist_mbid)
        if track_artist_name.lower() == album_artist_name.lower() and (
            not tags.musicbrainz_artist_id or tags.musicbrainz_artist_id == album_artist_mbid
        ):
            track_artist_id = album_artist_id
        else:
            track_artist_id = await self._artist(
                session, track_artist_name, tags.musicbrainz_artist_id
            )
        album_id = await self._album(
            session,
            album_artist_id,
            tags.album or folder_title or UNKNOWN_ALBUM,
            tags.year or folder_year,
            tags,
        )
        track = (
            await session.execute(select(Track).where(Track.file_id == file.id))
        ).scalar_one_or_none()
        created = track is None
        title = (tags.title or from_name.title)[:500]
        match_key = track_match_key(self.cache.artist_names[track_artist_id], title)
        if track is None:
            track = Track(
                album_id=album_id,
                artist_id=track_artist_id,
                title=title,
                file_id=file.id,
                match_key=match_key,
            )
            session.add(track)
        track.album_id = album_id
        track.artist_id = track_artist_id
        track.title = title
        track.match_key = match_key
        track.track_number = tags.track_number or from_name.track_number
        track.disc_number = tags.disc_number or disc_from_folder or from_name.disc_number
        track.musicbrainz_recording_id = tags.musicbrainz_recording_id
        track.duration_ms = file.duration_ms or tags.duration_ms
        track.missing_at = None
        await session.flush()
        if created:
            await self._added(session, MediaType.track, track.id)
        return ItemResult(MediaType.track, track.id, created)
