"""Sonarr v3 API (Sonarr 4): series by TVDB id, only the requested seasons monitored
(PROVIDER_PROTOCOLS.md §10).

Hand-off: ``GET /series/lookup?term=tvdb:{id}`` (Sonarr 4 also takes ``tmdb:{id}``, used when
the request has no TVDB id); not in Sonarr → ``POST /series`` with the requested seasons
monitored and ``addOptions.searchForMissingEpisodes``; there → ``PUT /series/{id}`` with the
requested seasons monitored, then ``SeasonSearch`` per season (``MissingEpisodeSearch`` for a
whole-series request).
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
from revenge.downloaders.clients.servarr import ServarrClient, file_paths, gather, nested, triage

_SCAN_EVENTS = frozenset({"Download", "Rename", "SeriesDelete", "EpisodeFileDelete"})


def _wanted(season: int, seasons: tuple[int, ...] | None) -> bool:
    # A whole-series request leaves the specials (season 0) alone.
    return season > 0 if seasons is None else season in seasons


def season_list(
    known: Any, seasons: tuple[int, ...] | None, *, keep_monitored: bool
) -> list[dict[str, Any]]:
    """Sonarr's seasons of the series, monitored as the request wants (an existing series
    keeps what it already monitors)."""
    result: list[dict[str, Any]] = []
    for season in known or []:
        if not isinstance(season, Mapping) or not isinstance(season.get("seasonNumber"), int):
            continue
        number = season["seasonNumber"]
        monitored = _wanted(number, seasons) or (keep_monitored and bool(season.get("monitored")))
        result.append({**season, "seasonNumber": number, "monitored": monitored})
    return result


class SonarrClient(ServarrClient):
    kind = DownloaderKind.sonarr
    label = "Sonarr"
    api_path = "/api/v3"
    queue_params = {"includeEpisode": "false", "includeSeries": "false"}

    async def hand_off(self, order: HandoffOrder) -> HandoffResult:
        term = f"tvdb:{order.tvdb_id}" if order.tvdb_id else f"tmdb:{order.external_id}"
        found = await self.call("GET", "/series/lookup", params={"term": term})
        series = self.first(
            found, (lambda hit: hit.get("tvdbId") == order.tvdb_id) if order.tvdb_id else None
        )
        if series is None or not series.get("tvdbId"):
            if order.tvdb_id is None:
                raise DownloaderRejected(
                    FailureCode.no_tvdb_id,
                    "Sonarr needs a TVDB id and found none for TMDB id " + order.external_id,
                )
            raise DownloaderRejected(
                FailureCode.not_found, f"Sonarr knows no series with TVDB id {order.tvdb_id}"
            )
        series_id = series.get("id")
        if isinstance(series_id, int) and series_id > 0:
            return await self._existing(series_id, series, order)
        self.require("quality_profile_id", "root_folder")
        created = await self.call(
            "POST",
            "/series",
            json={
                "tvdbId": series["tvdbId"],
                "title": series.get("title") or order.title,
                "qualityProfileId": self.config.quality_profile_id,
                "rootFolderPath": self.config.root_folder,
                "seriesType": self.config.series_type or "standard",
                "seasonFolder": True
                if self.config.season_folder is None
                else self.config.season_folder,
                "monitored": True,
                "tags": list(self.config.tags),
                "seasons": season_list(series.get("seasons"), order.seasons, keep_monitored=False),
                "addOptions": {"searchForMissingEpisodes": self.config.search_on_add},
            },
        )
        return HandoffResult(item_id=int(created["id"]), action="added")

    async def _existing(
        self, series_id: int, series: Mapping[str, Any], order: HandoffOrder
    ) -> HandoffResult:
        seasons = season_list(series.get("seasons"), order.seasons, keep_monitored=True)
        await self.call(
            "PUT", f"/series/{series_id}", json={**series, "monitored": True, "seasons": seasons}
        )
        if self.config.search_on_add:
            if order.seasons is None:
                await self.command("MissingEpisodeSearch", seriesId=series_id)
            else:
                known = {season["seasonNumber"] for season in seasons}
                for number in sorted(set(order.seasons) & known):
                    await self.command("SeasonSearch", seriesId=series_id, seasonNumber=number)
        return HandoffResult(item_id=series_id, action="monitored")

    def owns(self, record: QueueRecord, item_id: int, order: HandoffOrder) -> bool:
        if record.series_id != item_id:
            return False
        return order.seasons is None or record.season_number in order.seasons

    @classmethod
    def webhook_notice(cls, payload: Mapping[str, Any]) -> WebhookNotice:
        event, notice, root = triage(payload, _SCAN_EVENTS, ("series", "path"))
        if notice is not None:
            return notice
        if event in ("Rename", "SeriesDelete"):
            paths = [root] if root else []
        else:
            files = file_paths(payload, "episodeFile", ["episodeFiles", "deletedFiles"])
            relative = nested(payload, "episodeFile", "relativePath")
            if not files and root and isinstance(relative, str) and relative:
                files = [root.rstrip("/\\") + "/" + relative]
            paths = gather(files, root)
        return WebhookNotice(event, "scan" if paths else "ignore", paths)
