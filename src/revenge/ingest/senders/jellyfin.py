"""Jellyfin's webhook plugin, Generic destination with "send all properties".

The body is the plugin's data object as JSON, sent as ``text/plain`` unless the admin set a
Content-Type header, so it is read as JSON whatever the header says. One POST per event and
user. Keys (``DataObjectHelpers``): ``NotificationType``, ``UtcTimestamp``, ``ItemId``,
``ItemType``, ``Name``, ``Year``, ``RunTimeTicks``, ``Path``, ``SeriesName``,
``SeasonNumber``, ``EpisodeNumber``, ``Album``, ``Artist``, ``Provider_<id>`` (the item's own
provider ids, lower-cased: an episode's ``Provider_tvdb`` is the episode's), and for playback
``PlaybackPositionTicks``, ``IsPaused``, ``PlayedToCompletion``, ``DeviceName``,
``ClientName``, ``UserId``, ``NotificationUsername``. ``UserDataSaved`` adds ``SaveReason``
and ``Played``.

Playback progress arrives every few seconds with ``IsPaused``; a progress while paused is a
pause and one while playing a resume, so that the play's timeline (which derives its state
from pause/resume) follows the player, and a pause that is left by a later progress plays
again. Repeats of either change nothing.
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
    imdb_id,
    json_object,
    mbid,
    year,
)
from revenge.library.item_hints import ItemHints, PlayableType

_TYPES: dict[str, PlayableType] = {"Movie": "movie", "Episode": "episode", "Audio": "track"}
_PLAYBACK = {
    "PlaybackStart": IncomingKind.start,
    "PlaybackProgress": IncomingKind.progress,
    "PlaybackStop": IncomingKind.stop,
}


def unescape(value: str | None) -> str | None:
    """The plugin escapes quotes in names for its templates (``\\"``), also in JSON."""
    return value.replace('\\"', '"') if value else value


class JellyfinSender:
    kind = SourceKind.jellyfin
    label = "Jellyfin"

    def parse(self, content_type: str, body: bytes, received_at: datetime) -> list[IncomingEvent]:
        data = Fields(json_object(body))
        notification = data.text("NotificationType", limit=64)
        if notification is None:
            raise MalformedPayload("body.NotificationType: missing")
        if notification == "UserDataSaved":
            # Only "marked played" by hand; playback's own saves duplicate its events.
            if data.text("SaveReason", limit=64) != "TogglePlayed" or not data.flag("Played"):
                return []
            kind = IncomingKind.played
        elif notification in _PLAYBACK:
            kind = _PLAYBACK[notification]
            if kind is IncomingKind.progress:
                kind = IncomingKind.pause if data.flag("IsPaused") else IncomingKind.resume
        else:
            return []
        media_type = _TYPES.get(data.text("ItemType", limit=64) or "")
        item_id = data.text("ItemId", limit=MAX_ID)
        if item_id is None:
            raise MalformedPayload("body.ItemId: missing")
        user = _user(data)
        hints = _hints(data, media_type) if media_type else None
        position = data.ticks_ms("PlaybackPositionTicks")
        if hints is None:
            return []  # a trailer, a music video, live TV …
        return [
            IncomingEvent(
                kind=kind,
                occurred_at=data.moment("UtcTimestamp") or received_at,
                position_ms=None if kind is IncomingKind.played else (position or 0),
                user=user,
                item=hints,
                external_item_id=item_id,
                client=data.label("ClientName") or data.label("Client"),
                device=data.label("DeviceName"),
            )
        ]


def _user(data: Fields) -> ExternalUserRef:
    user_id = data.text("UserId", limit=MAX_ID)
    if user_id is None:
        raise MalformedPayload("body.UserId: missing")
    # Plugin versions before 12 named the user "Username" in playback events.
    name = unescape(data.text("NotificationUsername", limit=MAX_NAME)) or data.text(
        "Username", limit=MAX_NAME
    )
    return ExternalUserRef(external_id=user_id, name=name or user_id)


def _hints(data: Fields, media_type: PlayableType) -> ItemHints:
    provider = {
        key.removeprefix("Provider_").lower(): value
        for key, value in data.data.items()
        if key.startswith("Provider_")
    }
    base = ItemHints(
        media_type=media_type,
        title=unescape(data.text("Name")),
        year=year(data.integer("Year", high=9999)),
        path=data.text("Path", limit=MAX_PATH),
        duration_ms=data.ticks_ms("RunTimeTicks"),
    )
    if media_type == "track":
        return replace(
            base,
            artist=data.text("Artist"),
            album=data.text("Album"),
            recording_mbid=mbid(provider.get("musicbrainzrecording")),
            track_mbid=mbid(provider.get("musicbrainztrack")),
            release_mbid=mbid(provider.get("musicbrainzalbum")),
            release_group_mbid=mbid(provider.get("musicbrainzreleasegroup")),
            track_number=data.integer("IndexNumber", high=MAX_INDEX),
        )
    base = replace(
        base,
        tmdb_id=external_int(provider.get("tmdb")),
        imdb_id=imdb_id(provider.get("imdb")),
        tvdb_id=external_int(provider.get("tvdb")),
    )
    if media_type == "episode":
        return replace(
            base,
            series_title=unescape(data.text("SeriesName")),
            season_number=data.integer("SeasonNumber", high=MAX_INDEX),
            episode_number=data.integer("EpisodeNumber", high=MAX_INDEX),
        )
    return base
