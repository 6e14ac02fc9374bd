"""Fakes of Radarr (v3), Sonarr (v3) and Lidarr (v1) on 127.0.0.1 that check what they check
(PROVIDER_PROTOCOLS.md §10).

- The API key comes in ``X-Api-Key`` (or ``?apikey=``); a wrong or missing one is a bare 401.
- Bodies are validated as the apps' FluentValidation rules do (the rules of ``MovieController``,
  ``SeriesController``, ``AlbumController``, ``ArtistController``): a 400 with the list of
  ``{propertyName, errorMessage, attemptedValue, severity}``. A quality profile, metadata profile
  or root folder must exist; a movie, series, album or artist must be one the metadata source
  knows (what a lookup returns) and not already added.
- State is kept: what was added, monitored flags, the commands run, a queue with sizes.
- Failures on demand: ``fail_next(503, retry_after=…)``, ``delay`` (a slow answer) and the
  fixture can stop the server (down) and start it again on the same port.
"""

from __future__ import annotations

import asyncio
import copy
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from tests.fakes.failures import app_now

API_KEY = "0123456789abcdef0123456789abcdef"


@dataclass
class FakeServarr:
    app_name: str
    api_version: str
    version: str
    api_key: str = API_KEY
    quality_profiles: list[dict[str, Any]] = field(
        default_factory=lambda: [{"id": 1, "name": "Any"}, {"id": 4, "name": "HD-1080p"}]
    )
    root_folders: list[dict[str, Any]] = field(default_factory=list)
    metadata_profiles: list[dict[str, Any]] = field(default_factory=list)
    tags: list[dict[str, Any]] = field(default_factory=lambda: [{"id": 1, "label": "revenge"}])
    # Everything that came in: method, path, query, body, and whether the key was right.
    calls: list[dict[str, Any]] = field(default_factory=list)
    arrivals: list[datetime] = field(default_factory=list)
    commands: list[dict[str, Any]] = field(default_factory=list)
    queue: list[dict[str, Any]] = field(default_factory=list)
    # (status, Retry-After) answered to the next requests, one per request.
    failures: list[tuple[int, int | None]] = field(default_factory=list)
    delay: float = 0.0
    next_id: int = 1

    @property
    def prefix(self) -> str:
        return f"/api/{self.api_version}"

    def fail_next(self, status: int, *, retry_after: int | None = None, times: int = 1) -> None:
        self.failures.extend([(status, retry_after)] * times)

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def writes(self, method: str | None = None) -> list[dict[str, Any]]:
        return [
            call
            for call in self.calls
            if call["method"] != "GET" and (method is None or call["method"] == method)
        ]

    def add_queue(self, **record: Any) -> dict[str, Any]:
        """A download in the queue (Radarr's/Sonarr's/Lidarr's QueueResource fields)."""
        entry = {
            "id": self.new_id(),
            "status": "downloading",
            "trackedDownloadStatus": "ok",
            "trackedDownloadState": "downloading",
            "protocol": "torrent",
            "downloadClient": "qBittorrent",
            "estimatedCompletionTime": None,
            **record,
        }
        self.queue.append(entry)
        return entry

    # --- validation as FluentValidation reports it -----------------------------------------

    def profile_errors(
        self, body: dict[str, Any], prefix: str = "", *, metadata: bool = False
    ) -> list[dict[str, Any]]:
        errors: list[dict[str, Any]] = []
        checks = [
            ("QualityProfileId", "qualityProfileId", self.quality_profiles, "Quality Profile")
        ]
        if metadata:
            checks.append(
                (
                    "MetadataProfileId",
                    "metadataProfileId",
                    self.metadata_profiles,
                    "Metadata Profile",
                )
            )
        for name, key, known, label in checks:
            value = body.get(key)
            if not isinstance(value, int) or value <= 0:
                errors.append(
                    invalid(prefix + name, f"'{_spaced(name)}' must be greater than '0'.", value)
                )
            elif value not in {p["id"] for p in known}:
                errors.append(invalid(prefix + name, f"{label} does not exist", value))
        return errors

    def root_errors(self, body: dict[str, Any], prefix: str = "") -> list[dict[str, Any]]:
        root = body.get("rootFolderPath")
        if body.get("path"):
            return []
        if not isinstance(root, str) or not root.strip():
            return [
                invalid(prefix + "RootFolderPath", "'Root Folder Path' must not be empty.", root)
            ]
        if root.rstrip("/") not in {f["path"].rstrip("/") for f in self.root_folders}:
            return [
                invalid(prefix + "RootFolderPath", f"Root folder '{root}' does not exist", root)
            ]
        return []


def invalid(name: str, message: str, value: Any) -> dict[str, Any]:
    return {
        "propertyName": name,
        "errorMessage": message,
        "attemptedValue": value,
        "severity": "error",
        "errorCode": "PredicateValidator",
    }


def _spaced(name: str) -> str:
    return "".join(" " + c if c.isupper() and i else c for i, c in enumerate(name))


def rejected(errors: list[dict[str, Any]]) -> JSONResponse:
    return JSONResponse(errors, status_code=400)


def not_found(what: str) -> JSONResponse:
    return JSONResponse({"message": f"{what} not found"}, status_code=404)


async def _body(request: Request) -> Any:
    raw = await request.body()
    if not raw:
        return None
    import json

    return json.loads(raw)


def base_app(state: FakeServarr) -> FastAPI:
    app = FastAPI()

    @app.middleware("http")
    async def check(request: Request, call_next: Any) -> Any:
        body: Any = None
        if request.method in ("POST", "PUT"):
            try:
                body = await _body(request)
            except ValueError:
                body = "<not json>"
        key = request.headers.get("x-api-key") or request.query_params.get("apikey")
        state.arrivals.append(app_now())
        state.calls.append(
            {
                "method": request.method,
                "path": request.url.path.removeprefix(state.prefix),
                "params": dict(request.query_params),
                "body": body,
                "key_ok": key == state.api_key,
            }
        )
        if state.delay:
            await asyncio.sleep(state.delay)
        if key != state.api_key:
            return Response(status_code=401)
        if state.failures:
            status, retry_after = state.failures.pop(0)
            headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
            return Response("Service Unavailable", status_code=status, headers=headers)
        return await call_next(request)

    p = state.prefix

    @app.get(f"{p}/system/status")
    async def system_status() -> dict[str, Any]:
        return {
            "appName": state.app_name,
            "instanceName": state.app_name,
            "version": state.version,
            "isDocker": True,
            "urlBase": "",
        }

    @app.get(f"{p}/qualityprofile")
    async def quality_profiles() -> list[dict[str, Any]]:
        return state.quality_profiles

    @app.get(f"{p}/rootfolder")
    async def root_folders() -> list[dict[str, Any]]:
        return [
            {"id": i + 1, "accessible": True, "freeSpace": 4 * 10**12, "unmappedFolders": [], **f}
            for i, f in enumerate(state.root_folders)
        ]

    @app.get(f"{p}/tag")
    async def tags() -> list[dict[str, Any]]:
        return state.tags

    @app.get(f"{p}/queue")
    async def queue(page: int = 1, pageSize: int = 10) -> dict[str, Any]:
        start = (page - 1) * pageSize
        return {
            "page": page,
            "pageSize": pageSize,
            "sortKey": "timeleft",
            "sortDirection": "ascending",
            "totalRecords": len(state.queue),
            "records": state.queue[start : start + pageSize],
        }

    return app


# --- Radarr ------------------------------------------------------------------------------------


@dataclass
class FakeRadarr(FakeServarr):
    app_name: str = "Radarr"
    api_version: str = "v3"
    version: str = "5.14.0.9383"
    # What TMDB (Radarr's metadata source) knows, by TMDB id.
    catalogue: dict[int, dict[str, Any]] = field(default_factory=dict)
    movies: dict[int, dict[str, Any]] = field(default_factory=dict)  # Radarr id -> movie

    def __post_init__(self) -> None:
        self.root_folders = self.root_folders or [{"path": "/movies"}]

    def know(self, tmdb_id: int, title: str, year: int) -> None:
        self.catalogue[tmdb_id] = {
            "title": title,
            "originalTitle": title,
            "year": year,
            "tmdbId": tmdb_id,
            "imdbId": f"tt{tmdb_id:07d}",
            "titleSlug": f"{title.lower().replace(' ', '-')}-{tmdb_id}",
            "images": [],
            "status": "released",
            "isAvailable": True,
            "folder": f"{title} ({year})",
        }

    def have(self, tmdb_id: int, *, monitored: bool, has_file: bool = False) -> dict[str, Any]:
        """A movie already in Radarr (added earlier by someone else)."""
        movie_id = self.new_id()
        movie = {
            **copy.deepcopy(self.catalogue[tmdb_id]),
            "id": movie_id,
            "monitored": monitored,
            "hasFile": has_file,
            "qualityProfileId": 1,
            "minimumAvailability": "released",
            "path": f"/movies/{self.catalogue[tmdb_id]['folder']}",
            "rootFolderPath": "/movies",
            "tags": [],
        }
        self.movies[movie_id] = movie
        return movie

    def by_tmdb(self, tmdb_id: int) -> dict[str, Any] | None:
        return next((m for m in self.movies.values() if m["tmdbId"] == tmdb_id), None)


def build_radarr(state: FakeRadarr) -> FastAPI:
    app = base_app(state)
    p = state.prefix

    @app.get(f"{p}/movie/lookup")
    async def lookup(term: str = "") -> list[dict[str, Any]]:
        kind, _, value = term.lower().partition(":")
        if kind not in ("tmdb", "tmdbid") or not value.strip().isdigit():
            return []
        tmdb_id = int(value)
        present = state.by_tmdb(tmdb_id)
        if present is not None:
            return [present]
        found = state.catalogue.get(tmdb_id)
        return [{**found, "monitored": False, "hasFile": False}] if found else []

    @app.post(f"{p}/movie")
    async def add(request: Request) -> Response:
        body = await _body(request)
        tmdb_id = body.get("tmdbId")
        errors = state.profile_errors(body) + state.root_errors(body)
        if not (isinstance(tmdb_id, int) and tmdb_id > 0):
            errors.append(invalid("TmdbId", "'Tmdb Id' must not be empty.", tmdb_id))
        elif state.by_tmdb(tmdb_id) is not None:
            errors.append(invalid("TmdbId", "This movie has already been added", tmdb_id))
        elif tmdb_id not in state.catalogue:
            errors.append(invalid("TmdbId", "Movie could not be found on TMDb", tmdb_id))
        if body.get("minimumAvailability") not in ("announced", "inCinemas", "released"):
            errors.append(
                invalid(
                    "MinimumAvailability",
                    "'Minimum Availability' is not valid.",
                    body.get("minimumAvailability"),
                )
            )
        if errors:
            return rejected(errors)
        known = state.catalogue[tmdb_id]
        movie_id = state.new_id()
        movie = {
            **copy.deepcopy(known),
            **body,
            "id": movie_id,
            "hasFile": False,
            "path": f"{body['rootFolderPath'].rstrip('/')}/{known['folder']}",
        }
        movie.pop("addOptions", None)
        state.movies[movie_id] = movie
        if (body.get("addOptions") or {}).get("searchForMovie"):
            state.commands.append(
                {"name": "MoviesSearch", "movieIds": [movie_id], "trigger": "add"}
            )
        return JSONResponse(movie, status_code=201)

    @app.put(f"{p}/movie/{{movie_id}}")
    async def update(movie_id: int, request: Request) -> Response:
        body = await _body(request)
        if movie_id not in state.movies:
            return not_found("Movie")
        errors = state.profile_errors(body)
        if not body.get("path"):
            errors.append(invalid("Path", "'Path' must not be empty.", body.get("path")))
        if errors:
            return rejected(errors)
        state.movies[movie_id].update({k: v for k, v in body.items() if k != "id"})
        return JSONResponse(state.movies[movie_id], status_code=202)

    @app.post(f"{p}/command")
    async def command(request: Request) -> Response:
        body = await _body(request)
        if body.get("name") != "MoviesSearch":
            return JSONResponse({"message": f"Unknown command {body.get('name')}"}, status_code=400)
        ids = body.get("movieIds") or []
        if not ids or any(i not in state.movies for i in ids):
            return rejected([invalid("MovieIds", "Movie does not exist", ids)])
        state.commands.append(body)
        return JSONResponse(
            {"id": state.new_id(), "name": body["name"], "status": "queued"}, status_code=201
        )

    return app


# --- Sonarr ------------------------------------------------------------------------------------


@dataclass
class FakeSonarr(FakeServarr):
    app_name: str = "Sonarr"
    api_version: str = "v3"
    version: str = "4.0.11.2680"
    catalogue: dict[int, dict[str, Any]] = field(default_factory=dict)  # TVDB id -> series
    series: dict[int, dict[str, Any]] = field(default_factory=dict)  # Sonarr id -> series

    def __post_init__(self) -> None:
        self.root_folders = self.root_folders or [{"path": "/tv"}]

    def know(self, tvdb_id: int, title: str, *, seasons: int, tmdb_id: int | None = None) -> None:
        self.catalogue[tvdb_id] = {
            "title": title,
            "tvdbId": tvdb_id,
            "tmdbId": tmdb_id or 0,
            "year": 2017,
            "titleSlug": title.lower().replace(" ", "-"),
            "seasons": [{"seasonNumber": n, "monitored": False} for n in range(0, seasons + 1)],
            "images": [],
            "folder": title,
        }

    def have(self, tvdb_id: int, *, monitored_seasons: tuple[int, ...]) -> dict[str, Any]:
        series_id = self.new_id()
        known = copy.deepcopy(self.catalogue[tvdb_id])
        for season in known["seasons"]:
            season["monitored"] = season["seasonNumber"] in monitored_seasons
        series = {
            **known,
            "id": series_id,
            "monitored": bool(monitored_seasons),
            "qualityProfileId": 1,
            "seriesType": "standard",
            "seasonFolder": True,
            "path": f"/tv/{known['folder']}",
            "rootFolderPath": "/tv",
            "tags": [],
        }
        self.series[series_id] = series
        return series

    def by_tvdb(self, tvdb_id: int) -> dict[str, Any] | None:
        return next((s for s in self.series.values() if s["tvdbId"] == tvdb_id), None)


def _season_errors(seasons: Any) -> list[dict[str, Any]]:
    if not isinstance(seasons, list) or not all(
        isinstance(s, dict)
        and isinstance(s.get("seasonNumber"), int)
        and isinstance(s.get("monitored"), bool)
        for s in seasons
    ):
        return [invalid("Seasons", "Seasons must be a list of {seasonNumber, monitored}", seasons)]
    return []


def build_sonarr(state: FakeSonarr) -> FastAPI:
    app = base_app(state)
    p = state.prefix

    @app.get(f"{p}/series/lookup")
    async def lookup(term: str = "") -> list[dict[str, Any]]:
        kind, _, value = term.lower().partition(":")
        if not value.strip().isdigit():
            return []
        number = int(value)
        if kind in ("tvdb", "tvdbid"):
            known = state.catalogue.get(number)
        elif kind in ("tmdb", "tmdbid"):
            known = next((s for s in state.catalogue.values() if s["tmdbId"] == number), None)
        else:
            return []
        if known is None:
            return []
        return [state.by_tvdb(known["tvdbId"]) or {**known, "monitored": False}]

    @app.post(f"{p}/series")
    async def add(request: Request) -> Response:
        body = await _body(request)
        tvdb_id = body.get("tvdbId")
        errors = (
            state.profile_errors(body)
            + state.root_errors(body)
            + _season_errors(body.get("seasons"))
        )
        if not body.get("title"):
            errors.append(invalid("Title", "'Title' must not be empty.", body.get("title")))
        if not (isinstance(tvdb_id, int) and tvdb_id > 0):
            errors.append(invalid("TvdbId", "'Tvdb Id' must be greater than '0'.", tvdb_id))
        elif state.by_tvdb(tvdb_id) is not None:
            errors.append(invalid("TvdbId", "This series has already been added", tvdb_id))
        elif tvdb_id not in state.catalogue:
            errors.append(invalid("TvdbId", "Series could not be found on TheTVDB", tvdb_id))
        if body.get("seriesType") not in ("standard", "daily", "anime"):
            errors.append(
                invalid("SeriesType", "'Series Type' is not valid.", body.get("seriesType"))
            )
        if errors:
            return rejected(errors)
        known = state.catalogue[tvdb_id]
        series_id = state.new_id()
        series = {
            **copy.deepcopy(known),
            **body,
            "id": series_id,
            "path": f"{body['rootFolderPath'].rstrip('/')}/{known['folder']}",
        }
        series.pop("addOptions", None)
        state.series[series_id] = series
        if (body.get("addOptions") or {}).get("searchForMissingEpisodes"):
            state.commands.append(
                {"name": "MissingEpisodeSearch", "seriesId": series_id, "trigger": "add"}
            )
        return JSONResponse(series, status_code=201)

    @app.put(f"{p}/series/{{series_id}}")
    async def update(series_id: int, request: Request) -> Response:
        body = await _body(request)
        if series_id not in state.series:
            return not_found("Series")
        errors = state.profile_errors(body) + _season_errors(body.get("seasons"))
        if not body.get("path"):
            errors.append(invalid("Path", "'Path' must not be empty.", body.get("path")))
        if errors:
            return rejected(errors)
        state.series[series_id].update({k: v for k, v in body.items() if k != "id"})
        return JSONResponse(state.series[series_id], status_code=202)

    @app.post(f"{p}/command")
    async def command(request: Request) -> Response:
        body = await _body(request)
        name = body.get("name")
        if name not in ("SeasonSearch", "MissingEpisodeSearch", "SeriesSearch"):
            return JSONResponse({"message": f"Unknown command {name}"}, status_code=400)
        if body.get("seriesId") not in state.series:
            return rejected([invalid("SeriesId", "Series does not exist", body.get("seriesId"))])
        if name == "SeasonSearch" and not isinstance(body.get("seasonNumber"), int):
            return rejected([invalid("SeasonNumber", "'Season Number' must not be empty.", None)])
        state.commands.append(body)
        return JSONResponse(
            {"id": state.new_id(), "name": name, "status": "queued"}, status_code=201
        )

    return app


# --- Lidarr ------------------------------------------------------------------------------------


@dataclass
class FakeLidarr(FakeServarr):
    app_name: str = "Lidarr"
    api_version: str = "v1"
    version: str = "2.8.2.4493"
    artists_known: dict[str, dict[str, Any]] = field(default_factory=dict)  # artist MBID
    albums_known: dict[str, dict[str, Any]] = field(default_factory=dict)  # release group MBID
    artists: dict[int, dict[str, Any]] = field(default_factory=dict)
    albums: dict[int, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.root_folders = self.root_folders or [{"path": "/music"}]
        self.metadata_profiles = self.metadata_profiles or [
            {"id": 1, "name": "Standard"},
            {"id": 2, "name": "None"},
        ]

    def know_artist(self, mbid: str, name: str) -> None:
        self.artists_known[mbid] = {
            "artistName": name,
            "foreignArtistId": mbid,
            "artistType": "Group",
            "status": "continuing",
            "images": [],
            "links": [],
            "genres": [],
            "folder": name,
        }

    def know_album(self, mbid: str, title: str, artist_mbid: str) -> None:
        self.albums_known[mbid] = {
            "title": title,
            "foreignAlbumId": mbid,
            "albumType": "Album",
            "secondaryTypes": [],
            "releases": [],
            "media": [],
            "genres": [],
            "images": [],
            "links": [],
            "artistMbid": artist_mbid,
        }

    def artist_by_mbid(self, mbid: str) -> dict[str, Any] | None:
        return next((a for a in self.artists.values() if a["foreignArtistId"] == mbid), None)

    def album_by_mbid(self, mbid: str) -> dict[str, Any] | None:
        return next((a for a in self.albums.values() if a["foreignAlbumId"] == mbid), None)

    def _add_artist(self, body: dict[str, Any]) -> dict[str, Any]:
        known = self.artists_known[body["foreignArtistId"]]
        artist_id = self.new_id()
        artist = {
            **copy.deepcopy(known),
            **{k: v for k, v in body.items() if k != "addOptions"},
            "id": artist_id,
            "path": f"{body['rootFolderPath'].rstrip('/')}/{known['folder']}",
        }
        self.artists[artist_id] = artist
        return artist

    def have_album(self, mbid: str, *, monitored: bool) -> dict[str, Any]:
        known = self.albums_known[mbid]
        artist = self.artist_by_mbid(known["artistMbid"]) or self._add_artist(
            {
                "foreignArtistId": known["artistMbid"],
                "qualityProfileId": 1,
                "metadataProfileId": 1,
                "rootFolderPath": "/music",
                "monitored": True,
            }
        )
        album_id = self.new_id()
        album = {
            **copy.deepcopy(known),
            "id": album_id,
            "monitored": monitored,
            "artistId": artist["id"],
        }
        self.albums[album_id] = album
        return album

    def lookup_album(self, mbid: str) -> dict[str, Any] | None:
        present = self.album_by_mbid(mbid)
        known = self.albums_known.get(mbid)
        if known is None:
            return None
        artist_mbid = known["artistMbid"]
        artist = self.artist_by_mbid(artist_mbid) or self.artists_known[artist_mbid]
        return {**(present or {**known, "monitored": False}), "artist": artist}


def build_lidarr(state: FakeLidarr) -> FastAPI:
    app = base_app(state)
    p = state.prefix

    @app.get(f"{p}/metadataprofile")
    async def metadata_profiles() -> list[dict[str, Any]]:
        return state.metadata_profiles

    @app.get(f"{p}/album/lookup")
    async def album_lookup(term: str = "") -> list[dict[str, Any]]:
        kind, _, value = term.partition(":")
        if kind.lower() not in ("lidarr", "lidarrid", "mbid"):
            return []
        found = state.lookup_album(value.strip().lower())
        return [found] if found else []

    @app.get(f"{p}/artist/lookup")
    async def artist_lookup(term: str = "") -> list[dict[str, Any]]:
        kind, _, value = term.partition(":")
        mbid = value.strip().lower()
        if kind.lower() not in ("lidarr", "lidarrid", "mbid") or mbid not in state.artists_known:
            return []
        return [state.artist_by_mbid(mbid) or {**state.artists_known[mbid], "monitored": False}]

    @app.post(f"{p}/album")
    async def add_album(request: Request) -> Response:
        body = await _body(request)
        mbid = body.get("foreignAlbumId")
        artist = body.get("artist")
        errors: list[dict[str, Any]] = []
        if not mbid:
            errors.append(invalid("ForeignAlbumId", "'Foreign Album Id' must not be empty.", mbid))
        elif state.album_by_mbid(mbid) is not None:
            errors.append(invalid("ForeignAlbumId", "This album has already been added.", mbid))
        elif mbid not in state.albums_known:
            errors.append(invalid("ForeignAlbumId", "Album could not be found", mbid))
        if not isinstance(artist, dict):
            errors.append(invalid("Artist", "'Artist' must not be empty.", artist))
        else:
            if not artist.get("foreignArtistId"):
                errors.append(
                    invalid(
                        "Artist.ForeignArtistId", "'Foreign Artist Id' must not be empty.", None
                    )
                )
            errors += state.profile_errors(artist, "Artist.", metadata=True)
            errors += state.root_errors(artist, "Artist.")
        if errors:
            return rejected(errors)
        existing = state.artist_by_mbid(artist["foreignArtistId"])
        if existing is None:
            if artist["foreignArtistId"] not in state.artists_known:
                return rejected(
                    [
                        invalid(
                            "Artist.ForeignArtistId",
                            "Artist could not be found",
                            artist["foreignArtistId"],
                        )
                    ]
                )
            existing = state._add_artist(artist)
        album_id = state.new_id()
        album = {
            **copy.deepcopy(state.albums_known[mbid]),
            **{k: v for k, v in body.items() if k not in ("artist", "addOptions")},
            "id": album_id,
            "artistId": existing["id"],
        }
        state.albums[album_id] = album
        if (body.get("addOptions") or {}).get("searchForNewAlbum"):
            state.commands.append({"name": "AlbumSearch", "albumIds": [album_id], "trigger": "add"})
        return JSONResponse({**album, "artist": existing}, status_code=201)

    @app.post(f"{p}/artist")
    async def add_artist(request: Request) -> Response:
        body = await _body(request)
        mbid = body.get("foreignArtistId")
        errors = state.profile_errors(body, metadata=True) + state.root_errors(body)
        if not body.get("artistName"):
            errors.append(
                invalid("ArtistName", "'Artist Name' must not be empty.", body.get("artistName"))
            )
        if not mbid:
            errors.append(
                invalid("ForeignArtistId", "'Foreign Artist Id' must not be empty.", mbid)
            )
        elif state.artist_by_mbid(mbid) is not None:
            errors.append(invalid("ForeignArtistId", "This artist has already been added.", mbid))
        elif mbid not in state.artists_known:
            errors.append(invalid("ForeignArtistId", "Artist could not be found", mbid))
        if errors:
            return rejected(errors)
        artist = state._add_artist(body)
        options = body.get("addOptions") or {}
        if options.get("searchForMissingAlbums"):
            state.commands.append(
                {"name": "MissingAlbumSearch", "artistId": artist["id"], "trigger": "add"}
            )
        return JSONResponse(artist, status_code=201)

    @app.put(f"{p}/album/monitor")
    async def monitor_albums(request: Request) -> Response:
        body = await _body(request)
        ids = body.get("albumIds") or []
        if not isinstance(body.get("monitored"), bool) or any(i not in state.albums for i in ids):
            return rejected([invalid("AlbumIds", "Album does not exist", ids)])
        for album_id in ids:
            state.albums[album_id]["monitored"] = body["monitored"]
        return JSONResponse([state.albums[i] for i in ids], status_code=202)

    @app.put(f"{p}/artist/{{artist_id}}")
    async def update_artist(artist_id: int, request: Request) -> Response:
        body = await _body(request)
        if artist_id not in state.artists:
            return not_found("Artist")
        errors = state.profile_errors(body, metadata=True)
        if errors:
            return rejected(errors)
        state.artists[artist_id].update({k: v for k, v in body.items() if k != "id"})
        return JSONResponse(state.artists[artist_id], status_code=202)

    @app.post(f"{p}/command")
    async def command(request: Request) -> Response:
        body = await _body(request)
        name = body.get("name")
        if name == "AlbumSearch":
            ids = body.get("albumIds") or []
            if not ids or any(i not in state.albums for i in ids):
                return rejected([invalid("AlbumIds", "Album does not exist", ids)])
        elif name == "ArtistSearch":
            if body.get("artistId") not in state.artists:
                return rejected(
                    [invalid("ArtistId", "Artist does not exist", body.get("artistId"))]
                )
        else:
            return JSONResponse({"message": f"Unknown command {name}"}, status_code=400)
        state.commands.append(body)
        return JSONResponse(
            {"id": state.new_id(), "name": name, "status": "queued"}, status_code=201
        )

    return app


BUILDERS = {"radarr": build_radarr, "sonarr": build_sonarr, "lidarr": build_lidarr}
