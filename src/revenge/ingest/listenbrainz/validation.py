"""What ``POST /1/submit-listens`` accepts: the real ListenBrainz server's checks, in its order,
with its messages (PROVIDER_PROTOCOLS.md §3), so that a client that works against
listenbrainz.org gets the same answers here.

Pure functions: bytes in, a ``Submission`` of normalized ``Listen`` values out, or a
``ListenBrainzError`` carrying the status and message the real server would answer.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

# The real server's limits (listenbrainz/webserver/views/api_tools.py).
MAX_LISTEN_SIZE = 10_240
MAX_LISTENS_PER_REQUEST = 1000
MAX_LISTEN_PAYLOAD_SIZE = MAX_LISTEN_SIZE * MAX_LISTENS_PER_REQUEST
MAX_TAGS_PER_LISTEN = 50
MAX_TAG_SIZE = 64
MAX_DURATION_LIMIT = 24 * 24 * 60 * 60
MAX_DURATION_MS_LIMIT = MAX_DURATION_LIMIT * 1000
# listened_at may be this far ahead of the server's clock (clients' clocks drift) ...
LISTENED_AT_ALLOWED_SKEW = 60 * 60
# ... and no earlier than Last.fm's founding, 2002-10-01 00:00:00 UTC.
LISTEN_MINIMUM_TS = 1_033_410_600

SINGLE_MBID_KEYS = ("release_mbid", "recording_mbid", "release_group_mbid", "track_mbid")
MULTIPLE_MBID_KEYS = ("artist_mbids", "work_mbids")


class ListenType(StrEnum):
    single = "single"
    playing_now = "playing_now"
    import_ = "import"


class ListenBrainzError(Exception):
    """An answer in the real server's error shape: ``{"code": status, "error": message}``."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def _bad(message: str) -> ListenBrainzError:
    return ListenBrainzError(400, message)


@dataclass(frozen=True, kw_only=True)
class Listen:
    """One validated listen, normalized as the real server stores it (names stripped, empty
    MBIDs dropped, durations as integers)."""

    listened_at: int | None
    artist_name: str
    track_name: str
    release_name: str | None
    additional_info: dict[str, Any] = field(default_factory=dict)

    @property
    def duration_ms(self) -> int | None:
        info = self.additional_info
        if "duration_ms" in info:
            return int(info["duration_ms"])
        if "duration" in info:
            return int(info["duration"]) * 1000
        return None

    def mbid(self, key: str) -> str | None:
        value = self.additional_info.get(key)
        return str(uuid.UUID(value)) if isinstance(value, str) and value else None

    @property
    def track_number(self) -> int | None:
        value = self.additional_info.get("tracknumber")
        try:
            number = int(str(value).split("/", 1)[0]) if value is not None else None
        except ValueError:
            return None
        return number if number is not None and 0 < number < 10_000 else None

    @property
    def client(self) -> str | None:
        """The program that reported it: the player, else the submitting client."""
        info = self.additional_info
        for key in ("media_player", "submission_client", "listening_from", "music_service_name"):
            value = info.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
        return None


@dataclass(frozen=True)
class Submission:
    listen_type: ListenType
    listens: list[Listen]


def _reject_constant(name: str) -> Any:
    # NaN and Infinity are not JSON (the real server's parser refuses them too).
    raise ValueError(f"invalid literal {name}")


def parse_submission(raw: bytes, now: int) -> Submission:
    """The body of a submission, checked in the real server's order (after authentication,
    which the route does first). ``now`` is the server's clock in Unix seconds."""
    if len(raw) > MAX_LISTEN_PAYLOAD_SIZE:
        raise _bad(f"Payload too large. Payload cannot exceed {MAX_LISTEN_PAYLOAD_SIZE} bytes")
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise _bad(f"Cannot parse JSON document: {exc}") from None
    if not isinstance(data, dict):
        raise _bad(
            "Invalid JSON document submitted. Top level of JSON document should be a json object."
        )
    if "payload" not in data:
        raise _bad("Invalid JSON document submitted.")
    payload = data["payload"]
    if not isinstance(payload, list):
        raise _bad("The payload in the JSON document should be a list of listens.")
    if not payload:
        raise _bad("JSON document does not contain any listens")
    if len(payload) > MAX_LISTENS_PER_REQUEST:
        raise _bad(
            f"Too many listens. You may not submit more than {MAX_LISTENS_PER_REQUEST} "
            "listens at once."
        )
    if len(raw) > len(payload) * MAX_LISTEN_SIZE:
        raise _bad(
            f"JSON document is too large. Each listens may not be larger than {MAX_LISTEN_SIZE} "
            "bytes."
        )
    if "listen_type" not in data:
        raise _bad("Invalid JSON document submitted.")
    raw_type = data["listen_type"]
    if not isinstance(raw_type, str) or raw_type not in ListenType._value2member_map_:
        raise _bad("JSON document requires a valid listen_type key.")
    listen_type = ListenType(raw_type)
    if listen_type != ListenType.import_ and len(payload) > 1:
        raise _bad(
            "JSON document contains more than listen for a single/playing_now. "
            "It should contain only one."
        )
    return Submission(
        listen_type, [validate_listen(listen, listen_type, now) for listen in payload]
    )


def validate_listen(listen: Any, listen_type: ListenType, now: int) -> Listen:
    """One listen, by the real server's ``validate_listen`` rules (the first failure wins)."""
    if listen is None:
        raise _bad("Listen is empty and cannot be validated.")
    if not isinstance(listen, dict):
        # The real server would look for its keys in whatever this is and find none.
        listen = {}
    if listen_type == ListenType.playing_now:
        if "listened_at" in listen:
            raise _bad("JSON document must not contain listened_at while submitting playing_now.")
        if "track_metadata" not in listen:
            raise _bad("JSON document must contain the key track_metadata at the top level.")
        if len(listen) > 1:
            raise _bad(
                "JSON document may only contain track_metadata as top level key when "
                "submitting playing_now."
            )
        listened_at = None
    else:
        listened_at = _listened_at(listen, now)
        if "track_metadata" not in listen:
            raise _bad("JSON document must contain the key track_metadata at the top level.")
        if len(listen) > 2:
            raise _bad(
                "JSON document may only contain listened_at and track_metadata top level keys"
            )
    metadata = listen["track_metadata"]
    if metadata is None:
        raise _bad("JSON document may not have track_metadata with null value.")
    if not isinstance(metadata, dict):
        metadata = {}
    metadata = dict(metadata)
    track_name = _basic_metadata(metadata, "track_name", required=True)
    artist_name = _basic_metadata(metadata, "artist_name", required=True)
    release_name = _basic_metadata(metadata, "release_name", required=False)
    info: dict[str, Any] = {}
    if "additional_info" in metadata:
        raw_info = metadata["additional_info"]
        if raw_info is not None and not isinstance(raw_info, dict):
            raise _bad("track_metadata.additional_info must be a JSON object.")
        info = dict(raw_info or {})
        _check_tags(info)
        if "duration" in info and "duration_ms" in info:
            raise _bad("JSON document should not contain both duration and duration_ms.")
        _duration(info, "duration", MAX_DURATION_LIMIT)
        _duration(info, "duration_ms", MAX_DURATION_MS_LIMIT)
        for key in SINGLE_MBID_KEYS:
            _single_mbid(info, key)
        for key in MULTIPLE_MBID_KEYS:
            _multiple_mbids(info, key)
    metadata["additional_info"] = info
    _check_unicode_null({"listened_at": listened_at, "track_metadata": metadata})
    return Listen(
        listened_at=listened_at,
        artist_name=artist_name or "",
        track_name=track_name or "",
        release_name=release_name,
        additional_info=info,
    )


def _listened_at(listen: dict[str, Any], now: int) -> int:
    if "listened_at" not in listen:
        raise _bad("JSON document must contain the key listened_at at the top level.")
    value = listen["listened_at"]
    try:
        stamp = int(value)
    except (ValueError, TypeError, OverflowError):
        raise _bad("JSON document must contain an int value for listened_at.") from None
    if stamp >= now + LISTENED_AT_ALLOWED_SKEW:
        raise _bad("Value for key listened_at is too high.")
    if stamp < LISTEN_MINIMUM_TS:
        raise _bad(
            "Value for key listened_at is too low. listened_at timestamp should be greater "
            "than 1033410600 (2002-10-01 00:00:00 UTC)."
        )
    return stamp


def _basic_metadata(metadata: dict[str, Any], key: str, *, required: bool) -> str | None:
    if key not in metadata:
        if required:
            raise _bad(f"JSON document does not contain required field track_metadata.{key}.")
        return None
    value = metadata[key]
    if not isinstance(value, str):
        raise _bad(f"track_metadata.{key} must be a single string.")
    value = value.strip()
    if not value:
        if required:
            raise _bad(f"field track_metadata.{key} is empty.")
        del metadata[key]
        return None
    metadata[key] = value
    return value


def _check_tags(info: dict[str, Any]) -> None:
    if "tags" not in info or info["tags"] is None:
        return
    tags = info["tags"]
    if not isinstance(tags, list | str):
        raise _bad("track_metadata.additional_info.tags must be a list of strings.")
    if len(tags) > MAX_TAGS_PER_LISTEN:
        raise _bad(
            f"JSON document may not contain more than {MAX_TAGS_PER_LISTEN} items in "
            "track_metadata.additional_info.tags."
        )
    for tag in tags:
        if not isinstance(tag, str):
            raise _bad("track_metadata.additional_info.tags must be a list of strings.")
        if len(tag) > MAX_TAG_SIZE:
            raise _bad(
                "JSON document may not contain track_metadata.additional_info.tags longer "
                f"than {MAX_TAG_SIZE} characters."
            )


def _duration(info: dict[str, Any], key: str, max_value: int) -> None:
    if key not in info:
        return
    invalid = f"Value for {key} is invalid, should be a positive integer."
    try:
        # Integers, and strings or floats that convert to one (the real server's leniency).
        value = int(float(info[key]))
    except (ValueError, TypeError, OverflowError):
        raise _bad(invalid) from None
    if value <= 0:
        raise _bad(invalid)
    if value > max_value:
        raise _bad(f"Value for {key} is too large, max permitted value is {max_value}")
    info[key] = value


def _is_uuid(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _single_mbid(info: dict[str, Any], key: str) -> None:
    if key not in info:
        return
    if not info[key]:  # null or "": dropped, as the real server does
        del info[key]
        return
    if not _is_uuid(info[key]):
        raise _bad(f"{key} MBID format invalid.")


def _multiple_mbids(info: dict[str, Any], key: str) -> None:
    if key not in info:
        return
    if not info[key]:
        del info[key]
        return
    values = info[key]
    if not isinstance(values, list):
        raise _bad(f"{key} MBID format invalid.")
    kept = [value for value in values if value]
    for value in kept:
        if not _is_uuid(value):
            raise _bad(f"{key} MBID format invalid.")
    info[key] = kept


def _null_in(value: Any) -> None:
    if isinstance(value, str) and "\x00" in value:
        raise _bad(f"{value} contains a unicode null")


def _check_unicode_null(document: dict[str, Any]) -> None:
    """No string anywhere may hold U+0000 (PostgreSQL cannot store it)."""
    for value in document.values():
        if isinstance(value, dict):
            _check_unicode_null(value)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    _check_unicode_null(item)
                else:
                    _null_in(item)
        else:
            _null_in(value)
