"""Lidarr v1: albums by MusicBrainz release group (with their artist), or artists
(PROVIDER_PROTOCOLS.md §10).

Album: ``GET /album/lookup?term=lidarr:{release group}``; not in Lidarr → ``POST /album``
(the lookup result, monitored, with its artist's profiles and root folder and
``addOptions.searchForNewAlbum``); there → ``PUT /album/monitor``, then ``AlbumSearch``.
Artist: ``GET /artist/lookup?term=lidarr:{artist}``; not there → ``POST /artist``; there →
``PUT /artist/{id}`` monitored, then ``ArtistSearch``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from revenge.downloaders.clients.base import (
    Choice,
    DownloaderKind,
    DownloaderRejected,
    FailureCode,
    HandoffOrder,
    HandoffResult,
    QueueRecord,
    WebhookNotice,
)
from revenge.downloaders.clients.servarr import ServarrClient, file_paths, gather, triage

ARTIST_SOURCE = "musicbrainz_artist"
_SCAN_EVENTS = frozenset(
    {"Download", "AlbumImport", "Rename", "Retag", "ArtistDelete", "AlbumDelete"}
)


class LidarrClient(ServarrClient):
    kind = DownloaderKind.lidarr
    label = "Lidarr"
    api_path = "/api/v1"

    async def metadata_profiles(self) -> list[Choice]:
        return self.choices(await self.call("GET", "/metadataprofile"), "name")

    async def hand_off(self, order: HandoffOrder) -> HandoffResult:
        if order.external_source == ARTIST_SOURCE:
            return await self._artist(order.external_id)
        return await self._album(order.external_id)

    def _artist_settings(self) -> dict[str, Any]:
        return {
            "qualityProfileId": self.config.quality_profile_id,
            "metadataProfileId": self.config.metadata_profile_id,
            "rootFolderPath": self.config.root_folder,
            "monitored": True,
            "tags": list(self.config.tags),
        }

    async def _album(self, mbid: str) -> HandoffResult:
        found = await self.call("GET", "/album/lookup", params={"term": f"lidarr:{mbid}"})
        album = self.first(found, lambda hit: hit.get("foreignAlbumId") == mbid)
        if album is None:
            raise DownloaderRejected(
                FailureCode.not_found, f"Lidarr knows no album with release group {mbid}"
            )
        album_id = album.get("id")
        if isinstance(album_id, int) and album_id > 0:
            if not album.get("monitored"):
                await self.call(
                    "PUT", "/album/monitor", json={"albumIds": [album_id], "monitored": True}
                )
            if self.config.search_on_add:
                await self.command("AlbumSearch", albumIds=[album_id])
            return HandoffResult(
                item_id=album_id, action="searched" if album.get("monitored") else "monitored"
            )
        self.require("quality_profile_id", "metadata_profile_id", "root_folder")
        found_artist = album.get("artist")
        artist: Mapping[str, Any] = found_artist if isinstance(found_artist, Mapping) else {}
        created = await self.call(
            "POST",
            "/album",
            json={
                **album,
                "monitored": True,
                "anyReleaseOk": True,
                "artist": {
                    **artist,
                    "foreignArtistId": artist.get("foreignArtistId"),
                    # Only this album: the artist's other albums are not wanted.
                    "monitorNewItems": "none",
                    **self._artist_settings(),
                },
                "addOptions": {"searchForNewAlbum": self.config.search_on_add},
            },
        )
        return HandoffResult(item_id=int(created["id"]), action="added")

    async def _artist(self, mbid: str) -> HandoffResult:
        found = await self.call("GET", "/artist/lookup", params={"term": f"lidarr:{mbid}"})
        artist = self.first(found, lambda hit: hit.get("foreignArtistId") == mbid)
        if artist is None:
            raise DownloaderRejected(
                FailureCode.not_found, f"Lidarr knows no artist with MusicBrainz id {mbid}"
            )
        artist_id = artist.get("id")
        if isinstance(artist_id, int) and artist_id > 0:
            action: Any = "searched"
            if not artist.get("monitored"):
                await self.call("PUT", f"/artist/{artist_id}", json={**artist, "monitored": True})
                action = "monitored"
            if self.config.search_on_add:
                await self.command("ArtistSearch", artistId=artist_id)
            return HandoffResult(item_id=artist_id, action=action)
        self.require("quality_profile_id", "metadata_profile_id", "root_folder")
        created = await self.call(
            "POST",
            "/artist",
            json={
                **artist,
                **self._artist_settings(),
                "monitorNewItems": "all",
                "addOptions": {
                    "monitor": "all",
                    "searchForMissingAlbums": self.config.search_on_add,
                },
            },
        )
        return HandoffResult(item_id=int(created["id"]), action="added")

    def owns(self, record: QueueRecord, item_id: int, order: HandoffOrder) -> bool:
        if order.external_source == ARTIST_SOURCE:
            return record.artist_id == item_id
        return record.album_id == item_id

    @classmethod
    def webhook_notice(cls, payload: Mapping[str, Any]) -> WebhookNotice:
        event, notice, root = triage(payload, _SCAN_EVENTS, ("artist", "path"))
        if notice is not None:
            return notice
        if event in ("Rename", "ArtistDelete", "AlbumDelete"):
            # A deleted album's own folder is not in the payload: its artist's is.
            paths = [root] if root else []
        else:
            paths = gather(file_paths(payload, "trackFile", ["trackFiles", "deletedFiles"]), root)
        return WebhookNotice(event, "scan" if paths else "ignore", paths)
