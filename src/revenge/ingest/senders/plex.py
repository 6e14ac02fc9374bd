"""Plex Media Server webhooks (a Plex Pass feature).

A ``multipart/form-data`` POST: part ``payload`` is the JSON, and some events add a ``thumb``
JPEG part, which is not needed. ``event`` is ``media.play``, ``media.pause``,
``media.resume``, ``media.stop`` or ``media.scrobble`` (played past 90 %, sent while still
playing: a progress at that position); ``media.rate``, ``library.new`` and the owner's admin
events are no plays. ``Account{id,title}`` is the user, ``Player{title,uuid}`` the device,
``Metadata`` the item: ``type`` movie|episode|track, ``ratingKey``, ``title``, ``year``,
``duration`` and ``viewOffset`` in ms, ``Guid[{id: "imdb://…" | "tmdb://…" | "tvdb://…" |
"mbid://…"}]`` (the item's own ids: an episode's are the episode's), and for episodes
``grandparentTitle`` (series), ``parentIndex`` (season), ``index`` (episode); for tracks
``grandparentTitle`` (album artist), ``originalTitle`` (track artist, when different),
``parentTitle`` (album), ``index`` (track number). Items of the legacy agents carry their
ids in ``guid`` instead (``com.plexapp.agents.thetvdb://<series>/<season>/<episode>``).

The payload has no time: the events are dated when they arrived.
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
    MAX_MS,
    MAX_NAME,
    MAX_TITLE,
    Fields,
    external_int,
    form_fields,
    imdb_id,
    json_object,
    mbid,
    media_type,
    year,
)
from revenge.library.item_hints import ItemHints, PlayableType

_EVENTS = {
    "media.play": IncomingKind.start,
    "media.pause": IncomingKind.pause,
    "media.resume": IncomingKind.resume,
    "media.stop": IncomingKind.stop,
    "media.scrobble": IncomingKind.progress,
}
_TYPES: dict[str, PlayableType] = {"movie": "movie", "episode": "episode", "track": "track"}


class PlexSender:
    kind = SourceKind.plex
    label = "Plex"

    def parse(self, content_type: str, body: bytes, received_at: datetime) -> list[IncomingEvent]:
        data = Fields(json_object(_payload(content_type, body)), "payload")
        event = data.text("event", limit=64)
        if event is None:
            raise MalformedPayload("payload.event: missing")
        kind = _EVENTS.get(event)
        if kind is None:
            return []
        account = data.obj("Account")
        metadata = data.obj("Metadata")
        if account is None or metadata is None:
            raise MalformedPayload("payload: no Account or Metadata")
        account_id = account.text("id", limit=MAX_ID)
        if account_id is None:
            raise MalformedPayload("payload.Account.id: missing")
        user = ExternalUserRef(
            external_id=account_id, name=account.text("title", limit=MAX_NAME) or account_id
        )
        rating_key = metadata.text("ratingKey", limit=MAX_ID)
        item_type = _TYPES.get(metadata.text("type", limit=64) or "")
        position = metadata.integer("viewOffset", high=MAX_MS)
        if item_type is None:
            return []  # a clip, a photo, live TV …
        if rating_key is None:
            raise MalformedPayload("payload.Metadata.ratingKey: missing")
        player = data.obj("Player")
        return [
            IncomingEvent(
                kind=kind,
                occurred_at=received_at,
                position_ms=position or 0,
                user=user,
                item=_hints(metadata, item_type),
                external_item_id=rating_key,
                client=self.label,
                device=player.label("title") if player else None,
            )
        ]


def _payload(content_type: str, body: bytes) -> bytes:
    if media_type(content_type) == "application/json":
        return body  # what a hand-made test with curl sends
    fields = form_fields(content_type, body)
    if "payload" not in fields:
        raise MalformedPayload("no payload part")
    return fields["payload"]


def _hints(metadata: Fields, item_type: PlayableType) -> ItemHints:
    hints = ItemHints(
        media_type=item_type,
        title=metadata.text("title"),
        year=year(metadata.integer("year", high=9999)),
        duration_ms=metadata.integer("duration", high=MAX_MS) or None,
    )
    for entry in metadata.items("Guid"):
        if isinstance(entry, dict):
            hints = _with_guid(hints, Fields(entry, "payload.Metadata.Guid").text("id"))
    hints = _with_legacy_guid(hints, metadata.text("guid", limit=MAX_TITLE))
    index = metadata.integer("index", high=MAX_INDEX)
    if item_type == "episode":
        return replace(
            hints,
            series_title=metadata.text("grandparentTitle"),
            season_number=metadata.integer("parentIndex", high=MAX_INDEX),
            episode_number=index,
        )
    if item_type == "track":
        return replace(
            hints,
            artist=metadata.text("originalTitle") or metadata.text("grandparentTitle"),
            album=metadata.text("parentTitle"),
            track_number=index,
        )
    return hints


def _with_guid(hints: ItemHints, guid: str | None) -> ItemHints:
    scheme, _, value = (guid or "").partition("://")
    match scheme:
        case "imdb":
            return replace(hints, imdb_id=hints.imdb_id or imdb_id(value))
        case "tmdb":
            return replace(hints, tmdb_id=hints.tmdb_id or external_int(value))
        case "tvdb":
            return replace(hints, tvdb_id=hints.tvdb_id or external_int(value))
        case "mbid" if hints.media_type == "track":
            return replace(hints, recording_mbid=hints.recording_mbid or mbid(value))
    return hints


def _with_legacy_guid(hints: ItemHints, guid: str | None) -> ItemHints:
    """``com.plexapp.agents.<agent>://<id>[/<season>/<episode>]?lang=…`` of the old agents:
    for a TV agent the id is the series'."""
    agent, _, rest = (guid or "").partition("://")
    agent = agent.removeprefix("com.plexapp.agents.")
    parts = rest.split("?", 1)[0].split("/")
    if hints.media_type == "episode":
        series = external_int(parts[0])
        if agent == "thetvdb":
            return replace(hints, series_tvdb_id=hints.series_tvdb_id or series)
        if agent == "themoviedb":
            return replace(hints, series_tmdb_id=hints.series_tmdb_id or series)
        return hints
    if hints.media_type == "movie":
        if agent == "imdb":
            return replace(hints, imdb_id=hints.imdb_id or imdb_id(parts[0]))
        if agent == "themoviedb":
            return replace(hints, tmdb_id=hints.tmdb_id or external_int(parts[0]))
    return hints
