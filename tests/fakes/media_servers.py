"""Webhook requests exactly as Jellyfin, Plex and Emby send them (for tests and benchmarks).

- Jellyfin: the webhook plugin's Generic destination with "send all properties": the whole
  data object (``DataObjectHelpers``) as JSON, posted as ``text/plain; charset=utf-8`` (the
  plugin's default Content-Type), dates as .NET writes them (7 fraction digits), GUIDs without
  dashes, names with quotes escaped (``\\"``) as the plugin does for its templates.
- Plex: ``multipart/form-data`` with a JSON ``payload`` part and, for play and rate events, a
  small JPEG ``thumb`` part; no time in the payload.
- Emby: the JSON in the form field ``data``, as ``multipart/form-data`` (.NET's unquoted
  ``name=data``), ``application/x-www-form-urlencoded``, or as the body (content type JSON).

Each function returns a ``WebhookRequest`` (headers and body bytes) to post as it is.
"""

from __future__ import annotations

import io
import json
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urlencode

from PIL import Image

TICKS_PER_MS = 10_000


@dataclass(frozen=True)
class WebhookRequest:
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class FakeUser:
    name: str
    id: str = field(default_factory=lambda: uuid.uuid4().hex)


@dataclass(frozen=True)
class FakeItem:
    """An item as the other server knows it (its own id, its metadata, its file)."""

    kind: Literal["movie", "episode", "track"]
    title: str
    year: int | None = None
    duration_ms: int = 2 * 3600 * 1000
    path: str | None = None
    tmdb_id: int | None = None
    imdb_id: str | None = None
    tvdb_id: int | None = None
    series: str | None = None
    season: int | None = None
    episode: int | None = None
    artist: str | None = None
    album: str | None = None
    track_number: int | None = None
    musicbrainz_track: str | None = None
    musicbrainz_album: str | None = None
    recording_mbid: str | None = None
    server_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    plex_rating_key: str = field(default_factory=lambda: str(secrets.randbelow(10**6)))


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 24), "darkred").save(out, "JPEG")
    return out.getvalue()


THUMB = _jpeg()


def _dotnet(moment: datetime, *, utc: bool = True) -> str:
    """A DateTime as System.Text.Json writes it: 7 fraction digits, ``Z`` when UTC."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0" + ("Z" if utc else "")


def _clock(ms: int) -> str:
    seconds = ms // 1000
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


# --- Jellyfin ---------------------------------------------------------------------------------

JELLYFIN_SERVER = {
    "ServerId": "d4a2f6c1b0e94f2a8c3e5b7a9d1f0e2c",
    "ServerName": "Jellyfin",
    "ServerVersion": "10.10.7",
    "ServerUrl": "http://jellyfin.local:8096",
}
_JELLYFIN_TYPES = {"movie": "Movie", "episode": "Episode", "track": "Audio"}


def _escape(text: str) -> str:
    return text.replace('"', '\\"')


def jellyfin_item_data(item: FakeItem, at: datetime) -> dict[str, Any]:
    data: dict[str, Any] = {
        "Timestamp": _dotnet(at, utc=False),
        "UtcTimestamp": _dotnet(at),
        "Name": _escape(item.title),
        "Overview": "",
        "Tagline": "",
        "ItemId": item.server_id,
        "ItemType": _JELLYFIN_TYPES[item.kind],
        "RunTimeTicks": item.duration_ms * TICKS_PER_MS,
        "RunTime": _clock(item.duration_ms),
    }
    if item.year:
        data["Year"] = item.year
    if item.path:
        data["Path"] = item.path
    if item.kind == "episode":
        data.update(
            SeriesName=_escape(item.series or ""),
            SeriesId=uuid.uuid5(uuid.NAMESPACE_URL, item.series or "").hex,
            SeasonId=uuid.uuid4().hex,
            SeasonNumber=item.season,
            SeasonNumber00=f"{item.season:02d}",
            SeasonNumber000=f"{item.season:03d}",
            EpisodeNumber=item.episode,
            EpisodeNumber00=f"{item.episode:02d}",
            EpisodeNumber000=f"{item.episode:03d}",
        )
    if item.kind == "track":
        if item.album:
            data["Album"] = item.album
        if item.artist:
            data["Artist"] = item.artist
    providers = {
        "Tmdb": item.tmdb_id,
        "Imdb": item.imdb_id,
        "Tvdb": item.tvdb_id,
        "MusicBrainzTrack": item.musicbrainz_track,
        "MusicBrainzAlbum": item.musicbrainz_album,
    }
    for key, value in providers.items():
        if value is not None:
            data[f"Provider_{key.lower()}"] = str(value)
    if item.kind != "track":
        data.update(
            {
                "Video_0_Title": "1080p H264 SDR",
                "Video_0_Type": "Video",
                "Video_0_Codec": "h264",
                "Video_0_Height": 1080,
                "Video_0_Width": 1920,
            }
        )
    data.update(
        {
            "Audio_0_Title": "English - AAC - Stereo",
            "Audio_0_Type": "Audio",
            "Audio_0_Language": "eng",
            "Audio_0_Codec": "aac",
            "Audio_0_Channels": 2,
        }
    )
    return data


def jellyfin_playback(
    notification: Literal["PlaybackStart", "PlaybackProgress", "PlaybackStop"],
    user: FakeUser,
    item: FakeItem,
    *,
    at: datetime,
    position_ms: int = 0,
    paused: bool = False,
    played_to_completion: bool = False,
    client: str = "Jellyfin Android TV",
    device: str = "Living Room TV",
) -> WebhookRequest:
    """A playback notification, one per user, as the Generic destination posts it."""
    data = {**JELLYFIN_SERVER, "NotificationType": notification}
    data.update(jellyfin_item_data(item, at))
    data.update(
        {
            "PlaybackPositionTicks": position_ms * TICKS_PER_MS,
            "PlaybackPosition": _clock(position_ms),
            "MediaSourceId": item.server_id,
            "IsPaused": paused,
            "IsAutomated": False,
            "DeviceId": "a1b2c3d4e5f6",
            "DeviceName": _escape(device),
            "ClientName": client,
            "PlayMethod": "DirectPlay",
            "Id": "5b0c4f2e1d3a4b6c8e9f0a1b2c3d4e5f",
            "UserId": user.id,
            "NotificationUsername": _escape(user.name),
            "Client": _escape(client),
            "LastActivityDate": _dotnet(at),
            "LastPlaybackCheckIn": _dotnet(at),
            "RemoteEndPoint": "192.168.1.40",
        }
    )
    if notification == "PlaybackStop":
        data["PlayedToCompletion"] = played_to_completion
    return _jellyfin(data)


def jellyfin_user_data_saved(
    user: FakeUser,
    item: FakeItem,
    *,
    at: datetime,
    save_reason: str = "TogglePlayed",
    played: bool = True,
) -> WebhookRequest:
    """``UserDataSaved``: "TogglePlayed" with ``Played`` is marking it played by hand."""
    data = {**JELLYFIN_SERVER, "NotificationType": "UserDataSaved"}
    data.update(jellyfin_item_data(item, at))
    data.update(
        {
            "Likes": False,
            "Rating": 0,
            "PlaybackPositionTicks": 0,
            "PlaybackPosition": "00:00:00",
            "PlayCount": 1 if played else 0,
            "Favorite": False,
            "Played": played,
            "AudioStreamIndex": -1,
            "SubtitleStreamIndex": -1,
            "LastPlayedDate": _dotnet(at),
            "SaveReason": save_reason,
            "NotificationUsername": user.name,
            "UserId": user.id,
        }
    )
    return _jellyfin(data)


def jellyfin_item_added(item: FakeItem, *, at: datetime) -> WebhookRequest:
    data = {**JELLYFIN_SERVER, "NotificationType": "ItemAdded"}
    data.update(jellyfin_item_data(item, at))
    return _jellyfin(data)


def _jellyfin(data: dict[str, Any]) -> WebhookRequest:
    return WebhookRequest(
        headers={
            "Content-Type": "text/plain; charset=utf-8",
            "User-Agent": "Jellyfin-Server/10.10.7",
        },
        body=json.dumps(data).encode(),
    )


# --- Plex -------------------------------------------------------------------------------------


def plex_metadata(item: FakeItem, position_ms: int | None) -> dict[str, Any]:
    section = {"movie": "movie", "episode": "show", "track": "artist"}[item.kind]
    guids = [
        {"id": f"{scheme}://{value}"}
        for scheme, value in (
            ("imdb", item.imdb_id),
            ("tmdb", item.tmdb_id),
            ("tvdb", item.tvdb_id),
            ("mbid", item.recording_mbid),
        )
        if value is not None
    ]
    metadata: dict[str, Any] = {
        "librarySectionType": section,
        "ratingKey": item.plex_rating_key,
        "key": f"/library/metadata/{item.plex_rating_key}",
        "guid": f"plex://{item.kind}/5d7768{item.plex_rating_key}",
        "librarySectionTitle": {"movie": "Movies", "show": "TV Shows", "artist": "Music"}[section],
        "librarySectionID": {"movie": 1, "show": 2, "artist": 3}[section],
        "librarySectionKey": f"/library/sections/{ {'movie': 1, 'show': 2, 'artist': 3}[section] }",
        "type": item.kind,
        "title": item.title,
        "summary": "",
        "duration": item.duration_ms,
        "addedAt": 1_700_000_000,
        "updatedAt": 1_700_000_100,
        "thumb": f"/library/metadata/{item.plex_rating_key}/thumb/1700000100",
    }
    if item.year:
        metadata["year"] = item.year
    if position_ms is not None:
        metadata["viewOffset"] = position_ms
    if item.kind == "episode":
        metadata.update(
            grandparentTitle=item.series,
            parentTitle=f"Season {item.season}",
            parentIndex=item.season,
            index=item.episode,
            grandparentKey="/library/metadata/900",
            parentKey="/library/metadata/901",
        )
    if item.kind == "track":
        metadata.update(
            grandparentTitle=item.artist,
            parentTitle=item.album,
            parentIndex=1,
            index=item.track_number,
        )
    if guids:
        metadata["Guid"] = guids
    return metadata


def plex_event(
    event: str,
    account: FakeUser,
    item: FakeItem,
    *,
    position_ms: int | None = None,
    thumb: bool | None = None,
    thumb_data: bytes = THUMB,
    player: str = "Plex Web (Chrome)",
) -> WebhookRequest:
    """A Plex webhook; ``account.id`` should be Plex's numeric account id (as text). The
    thumbnail goes with play, rate and library events unless ``thumb`` says otherwise."""
    payload = {
        "event": event,
        "user": True,
        "owner": True,
        "Account": {
            "id": int(account.id) if account.id.isdigit() else account.id,
            "thumb": "https://plex.tv/users/1a2b3c/avatar?c=1700000000",
            "title": account.name,
        },
        "Server": {"title": "Office", "uuid": "54664a3d8acc39983675640ec9ce00b70af9cc36"},
        "Player": {
            "local": True,
            "publicAddress": "203.0.113.7",
            "title": player,
            "uuid": "r6yfkdnfggbh2bdnvkffwbms",
        },
        "Metadata": plex_metadata(item, position_ms),
    }
    with_thumb = event in ("media.play", "media.rate", "library.new") if thumb is None else thumb
    boundary = "------------------------" + secrets.token_hex(8)
    parts = [
        (
            'Content-Disposition: form-data; name="payload"\r\nContent-Type: application/json',
            json.dumps(payload).encode(),
        )
    ]
    if with_thumb:
        parts.append(
            (
                'Content-Disposition: form-data; name="thumb"; filename="image.jpg"\r\n'
                "Content-Type: image/jpeg",
                thumb_data,
            )
        )
    body = b"".join(
        f"--{boundary}\r\n{headers}\r\n\r\n".encode() + content + b"\r\n"
        for headers, content in parts
    )
    body += f"--{boundary}--\r\n".encode()
    return WebhookRequest(
        headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "User-Agent": "PlexMediaServer/1.41.3.9314-a0bfb8370",
        },
        body=body,
    )


# --- Emby -------------------------------------------------------------------------------------

_EMBY_TYPES = {"movie": "Movie", "episode": "Episode", "track": "Audio"}
_EMBY_TITLES = {
    "playback.start": "has started playing",
    "playback.pause": "has paused",
    "playback.unpause": "has resumed",
    "playback.stop": "has stopped playing",
    "item.markplayed": "has marked as played",
}


def emby_data(
    event: str, user: FakeUser, item: FakeItem, *, at: datetime, position_ms: int | None
) -> dict[str, Any]:
    provider_ids = {
        key: str(value)
        for key, value in (
            ("Tmdb", item.tmdb_id),
            ("Imdb", item.imdb_id),
            ("Tvdb", item.tvdb_id),
            ("MusicBrainzTrack", item.musicbrainz_track),
            ("MusicBrainzAlbum", item.musicbrainz_album),
        )
        if value is not None
    }
    emby_item: dict[str, Any] = {
        "Name": item.title,
        "ServerId": "15596ac9bbc24127b9f01db6f33630c7",
        "Id": item.server_id,
        "DateCreated": "2025-05-05T22:40:06.0000000Z",
        "Container": "mkv" if item.kind != "track" else "flac",
        "SortName": item.title.lower(),
        "ExternalUrls": [],
        "Taglines": [],
        "Genres": [],
        "RunTimeTicks": item.duration_ms * TICKS_PER_MS,
        "Size": 1_234_567,
        "Bitrate": 8_000_000,
        "ProviderIds": provider_ids,
        "IsFolder": False,
        "ParentId": "4912",
        "Type": _EMBY_TYPES[item.kind],
        "MediaType": "Audio" if item.kind == "track" else "Video",
    }
    if item.path:
        emby_item["Path"] = item.path
        emby_item["FileName"] = item.path.rsplit("/", 1)[-1]
    if item.year:
        emby_item["ProductionYear"] = item.year
    if item.kind == "episode":
        emby_item.update(
            SeriesName=item.series,
            SeriesId="4901",
            SeasonId="4902",
            SeasonName=f"Season {item.season}",
            IndexNumber=item.episode,
            ParentIndexNumber=item.season,
        )
    if item.kind == "track":
        emby_item.update(
            Album=item.album,
            AlbumArtist=item.artist,
            Artists=[item.artist] if item.artist else [],
            IndexNumber=item.track_number,
            ParentIndexNumber=1,
        )
    data: dict[str, Any] = {
        "Title": f"{user.name} {_EMBY_TITLES.get(event, event)} {item.title} on Chrome",
        "Description": at.strftime("%A, %d %B %Y %H:%M"),
        "Date": _dotnet(at),
        "Event": event,
        "Severity": "Info",
        "User": {"Name": user.name, "Id": user.id},
        "Item": emby_item,
        "Server": {"Name": "emby", "Id": "15596ac9bbc24127b9f01db6f33630c7", "Version": "4.8.10.0"},
    }
    if event.startswith("playback."):
        data["Session"] = {
            "RemoteEndPoint": "192.168.1.41",
            "Client": "Emby Web",
            "DeviceName": "Chrome Windows",
            "DeviceId": "d5b0f1e2-7c3a-4e8b-9a6d-1f2e3d4c5b6a",
            "ApplicationVersion": "4.8.10.0",
            "Id": "9b8c7d6e5f4a3b2c1d0e",
        }
        data["PlaybackInfo"] = {
            "PlayedToCompletion": False,
            "PositionTicks": (position_ms or 0) * TICKS_PER_MS,
            "PlaylistIndex": 0,
            "PlaylistLength": 1,
            "PlaySessionId": "e1f2a3b4c5d6",
        }
    return data


def emby_event(
    event: str,
    user: FakeUser,
    item: FakeItem,
    *,
    at: datetime,
    position_ms: int | None = None,
    encoding: Literal["multipart", "urlencoded", "json"] = "multipart",
) -> WebhookRequest:
    data = json.dumps(emby_data(event, user, item, at=at, position_ms=position_ms))
    headers = {"User-Agent": "Emby Server/4.8.10.0"}
    if encoding == "json":
        return WebhookRequest(
            headers={**headers, "Content-Type": "application/json"}, body=data.encode()
        )
    if encoding == "urlencoded":
        return WebhookRequest(
            headers={**headers, "Content-Type": "application/x-www-form-urlencoded"},
            body=urlencode({"data": data}).encode(),
        )
    boundary = str(uuid.uuid4())
    body = (
        f"--{boundary}\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Disposition: form-data; name=data\r\n\r\n"
        f"{data}\r\n"
        f"--{boundary}--\r\n"
    ).encode()
    return WebhookRequest(
        headers={**headers, "Content-Type": f'multipart/form-data; boundary="{boundary}"'},
        body=body,
    )


async def post_webhook(client: Any, url: str, request: WebhookRequest) -> Any:
    """POST ``request`` as the server would (``client``: an httpx AsyncClient)."""
    return await client.post(url, content=request.body, headers=request.headers)
