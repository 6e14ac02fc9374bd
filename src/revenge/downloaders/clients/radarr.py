"""Radarr v3: movies by TMDB id (PROVIDER_PROTOCOLS.md §10).

Hand-off: ``GET /movie/lookup?term=tmdb:{id}``; not in Radarr → ``POST /movie`` with
``addOptions.searchForMovie``; there but unmonitored → ``PUT /movie/{id}`` monitored, then
search; there and monitored → ``MoviesSearch``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from revenge.downloaders.clients.base import (
    DownloaderKind,
    DownloaderRejected,
    FailureCode,
    HandoffOrder,
    HandoffResult,
    QueueRecord,
    WebhookNotice,
)
from revenge.downloaders.clients.servarr import ServarrClient, file_paths, nested, triage

_SCAN_EVENTS = frozenset({"Download", "Rename", "MovieDelete", "MovieFileDelete"})


class RadarrClient(ServarrClient):
    kind = DownloaderKind.radarr
    label = "Radarr"
    api_path = "/api/v3"

    async def hand_off(self, order: HandoffOrder) -> HandoffResult:
        tmdb_id = int(order.external_id)
        found = await self.call("GET", "/movie/lookup", params={"term": f"tmdb:{tmdb_id}"})
        movie = self.first(found, lambda hit: hit.get("tmdbId") == tmdb_id)
        if movie is None:
            raise DownloaderRejected(
                FailureCode.not_found, f"Radarr knows no movie with TMDB id {tmdb_id}"
            )
        movie_id = movie.get("id")
        if isinstance(movie_id, int) and movie_id > 0:
            return await self._existing(movie_id, movie)
        self.require("quality_profile_id", "root_folder")
        created = await self.call(
            "POST",
            "/movie",
            json={
                "title": movie.get("title") or order.title,
                "tmdbId": tmdb_id,
                "year": movie.get("year") or order.year or 0,
                "qualityProfileId": self.config.quality_profile_id,
                "rootFolderPath": self.config.root_folder,
                "minimumAvailability": self.config.minimum_availability or "released",
                "monitored": True,
                "tags": list(self.config.tags),
                "addOptions": {"searchForMovie": self.config.search_on_add},
            },
        )
        return HandoffResult(item_id=int(created["id"]), action="added")

    async def _existing(self, movie_id: int, movie: Mapping[str, Any]) -> HandoffResult:
        action: Any = "searched"
        if not movie.get("monitored"):
            await self.call("PUT", f"/movie/{movie_id}", json={**movie, "monitored": True})
            action = "monitored"
        if movie.get("hasFile"):
            return HandoffResult(
                item_id=movie_id, action="present" if action == "searched" else action
            )
        if self.config.search_on_add:
            await self.command("MoviesSearch", movieIds=[movie_id])
        return HandoffResult(item_id=movie_id, action=action)

    def owns(self, record: QueueRecord, item_id: int, order: HandoffOrder) -> bool:
        return record.movie_id == item_id

    @classmethod
    def webhook_notice(cls, payload: Mapping[str, Any]) -> WebhookNotice:
        event, notice, folder = triage(payload, _SCAN_EVENTS, ("movie", "folderPath"))
        if notice is not None:
            return notice
        files = file_paths(payload, "movieFile", ["deletedFiles", "renamedMovieFiles"])
        relative = nested(payload, "movieFile", "relativePath")
        if not files and folder and isinstance(relative, str) and relative:
            files = [folder.rstrip("/\\") + "/" + relative]
        if event == "MovieFileDelete" and files:
            return WebhookNotice(event, "scan", files[:1])
        # The movie's folder holds the new file and any upgraded-away ones.
        paths = [folder] if folder else files
        return WebhookNotice(event, "scan" if paths else "ignore", paths)
