"""Emby Server webhooks (4.7.9 and later).

The JSON comes in the form field ``data`` of a ``multipart/form-data`` or
``application/x-www-form-urlencoded`` POST (the webhook's "request content type"), or as the
whole body when it is set to JSON. ``Event``: ``playback.start``, ``playback.pause``,
``playback.unpause``, ``playback.stop``, ``item.markplayed`` (marked played by hand); others
(library, ratings, logins, the test notification) are no plays. ``Date`` is the event's time,
``User{Id,Name}`` the user, ``Item{Id, Type, Name, Path, RunTimeTicks, ProductionYear,
ProviderIds{Tmdb, Imdb, Tvdb, MusicBrainzTrack, …}, SeriesName, ParentIndexNumber,
IndexNumber, Album, Artists, AlbumArtist}`` the item (an episode's ids are its own), and
``PlaybackInfo{PositionTicks}`` with ``Session{Client, DeviceName}`` the playback.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from revenge.ingest.incoming import (
    ExternalUserRef,
    IncomingEvent,
    IncomingKind,
    MalformedPayload,
)
from revenge.ingest.senders.base import SourceKind
from revenge.ingest.senders.payload import (
    MAX_ID,
    MAX_INDEX,
    MAX_NAME,
    MAX_PATH,
    Fields,
    external_int,
    form_fields,
    imdb_id,
    json_object,
    mbid,
    year,
)
from revenge.library.item_hints import ItemHints, PlayableType

_EVENTS = {
    "playback.start": IncomingKind.start,
    "playback.pause": IncomingKind.pause,
    "playback.unpause": IncomingKind.resume,
    "playback.stop": IncomingKind.stop,
    "item.markplayed": IncomingKind.played,
}
_TYPES: dict[str, PlayableType] = {"Movie": "movie", "Episode": "episode", "Audio": "track"}


class EmbySender:
    kind = SourceKind.emby
    label = "Emby"

    def parse(self, content_type: str, body: bytes, received_at: datetime) -> list[IncomingEvent]:
        fields = form_fields(content_type, body)
        if fields and "data" not in fields:
            raise MalformedPayload("no data field")
        data = Fields(json_object(fields.get("data", body)), "data")
        event = data.text("Event", limit=64)
        if event is None:
            raise MalformedPayload("data.Event: missing")
        kind = _EVENTS.get(event)
        if kind is None:
            return []
        user, item = data.obj("User"), data.obj("Item")
        if user is None or item is None:
            raise MalformedPayload("data: no User or Item")
        user_id = user.text("Id", limit=MAX_ID)
        item_id = item.text("Id", limit=MAX_ID)
        if user_id is None or item_id is None:
            raise MalformedPayload("data: no User.Id or Item.Id")
        ref = ExternalUserRef(
            external_id=user_id, name=user.text("Name", limit=MAX_NAME) or user_id
        )
        item_type = _TYPES.get(item.text("Type", limit=64) or "")
        playback = data.obj("PlaybackInfo") or Fields({}, "data.PlaybackInfo")
        session = data.obj("Session") or Fields({}, "data.Session")
        position = playback.ticks_ms("PositionTicks")
        occurred = data.moment("Date") or received_at
        if item_type is None:
            return []  # a trailer, a music video, live TV …
        return [
            IncomingEvent(
                kind=kind,
                occurred_at=occurred,
                position_ms=None if kind is IncomingKind.played else max(0, position or 0),
                user=ref,
                item=_hints(item, item_type),
                external_item_id=item_id,
                client=session.label("Client") or playback.label("ClientName"),
                device=session.label("DeviceName") or playback.label("DeviceName"),
            )
        ]


def _hints(item: Fields, item_type: PlayableType) -> ItemHints:
    provider_ids = item.obj("ProviderIds")
    provider = (
        {str(key).lower(): value for key, value in provider_ids.data.items()}
        if provider_ids
        else {}
    )
    hints = ItemHints(
        media_type=item_type,
        title=item.text("Name"),
        year=year(item.integer("ProductionYear", high=9999)),
        path=item.text("Path", limit=MAX_PATH),
        duration_ms=item.ticks_ms("RunTimeTicks"),
    )
    if item_type == "track":
        return replace(
            hints,
            artist=item.first_text("Artists") or item.text("AlbumArtist"),
            album=item.text("Album"),
            recording_mbid=mbid(provider.get("musicbrainzrecording")),
            track_mbid=mbid(provider.get("musicbrainztrack")),
            release_mbid=mbid(provider.get("musicbrainzalbum")),
            release_group_mbid=mbid(provider.get("musicbrainzreleasegroup")),
            track_number=item.integer("IndexNumber", high=MAX_INDEX),
        )
    hints = replace(
        hints,
        tmdb_id=external_int(provider.get("tmdb")),
        imdb_id=imdb_id(provider.get("imdb")),
        tvdb_id=external_int(provider.get("tvdb")),
    )
    if item_type == "episode":
        return replace(
            hints,
            series_title=item.text("SeriesName"),
            season_number=item.integer("ParentIndexNumber", high=MAX_INDEX),
            episode_number=item.integer("IndexNumber", high=MAX_INDEX),
        )
    return hints
