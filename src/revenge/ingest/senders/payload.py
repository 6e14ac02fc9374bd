"""Reading a sender's body defensively: JSON objects, form fields and multipart parts, and
bounded values out of them.

Everything a webhook carries ends up in columns, event JSON and the admin's unmatched list, so
each value is checked here once: text without NUL and of a sane length, integers within the
range their meaning allows, times between 1900 and 2999. A value that breaks those rules makes
the whole body malformed (answered 400, nothing stored); an external id of an unexpected shape
is only dropped, since servers carry whatever their metadata agents wrote.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from python_multipart.multipart import MultipartParseError, MultipartParser, parse_options_header

from revenge.core.types import EARLIEST, INT32_MAX, LATEST
from revenge.ingest.incoming import MalformedPayload

# Lengths of what a webhook may name (longer is no real title, user or file).
MAX_ID = 200
MAX_NAME = 200
MAX_TITLE = 1000
MAX_PATH = 4096
# Client and device names are shown, not matched: cut to the play session's columns.
MAX_LABEL = 100
# 100 ns ticks in a millisecond (Jellyfin and Emby count time in .NET ticks).
TICKS_PER_MS = 10_000
# A position or length beyond ten years is no media's.
MAX_MS = 10 * 365 * 24 * 3600 * 1000
MAX_TICKS = MAX_MS * TICKS_PER_MS
MAX_INDEX = 100_000
# Form fields and multipart parts a webhook has (Plex: payload and thumb; Emby: data).
MAX_PARTS = 8

_IMDB = re.compile(r"^tt\d{5,10}$")


def _refuse_constant(name: str) -> Any:
    raise MalformedPayload(f"not valid JSON: {name}")


def json_object(raw: bytes | str) -> dict[str, Any]:
    """A JSON object (a BOM is tolerated; NaN, Infinity and anything but an object are not)."""
    try:
        text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
        data = json.loads(text, parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        if isinstance(exc, MalformedPayload):
            raise
        raise MalformedPayload("not valid JSON") from exc
    if not isinstance(data, dict):
        raise MalformedPayload("not a JSON object")
    return data


def media_type(content_type: str) -> str:
    kind, _ = parse_options_header(content_type)
    return kind.decode("latin-1").lower()


def form_fields(content_type: str, body: bytes) -> dict[str, bytes]:
    """The named fields of a ``multipart/form-data`` or ``x-www-form-urlencoded`` body (the
    first of each name); other bodies have none."""
    kind, options = parse_options_header(content_type)
    if kind == b"application/x-www-form-urlencoded":
        try:
            pairs = parse_qsl(
                body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_PARTS
            )
        except (UnicodeDecodeError, ValueError) as exc:
            raise MalformedPayload("not a valid form") from exc
        fields: dict[str, bytes] = {}
        for name, value in pairs:
            fields.setdefault(name, value.encode())
        return fields
    if kind == b"multipart/form-data":
        boundary = options.get(b"boundary")
        if not boundary:
            raise MalformedPayload("multipart body without a boundary")
        return _multipart_parts(boundary, body)
    return {}


def _multipart_parts(boundary: bytes, body: bytes) -> dict[str, bytes]:
    parts: dict[str, bytes] = {}
    headers: dict[bytes, bytes] = {}
    field, value = bytearray(), bytearray()
    data = bytearray()
    count = 0

    def on_part_begin() -> None:
        nonlocal count
        count += 1
        if count > MAX_PARTS:
            raise MalformedPayload("too many form parts")
        headers.clear()
        data.clear()

    def on_header_field(chunk: bytes, start: int, end: int) -> None:
        field.extend(chunk[start:end])

    def on_header_value(chunk: bytes, start: int, end: int) -> None:
        value.extend(chunk[start:end])

    def on_header_end() -> None:
        headers[bytes(field).lower()] = bytes(value)
        field.clear()
        value.clear()

    def on_part_data(chunk: bytes, start: int, end: int) -> None:
        data.extend(chunk[start:end])

    def on_part_end() -> None:
        _, disposition = parse_options_header(headers.get(b"content-disposition", b""))
        name = disposition.get(b"name")
        if name is not None:
            parts.setdefault(name.decode("utf-8", "replace"), bytes(data))

    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": on_part_begin,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        },
    )
    try:
        parser.write(body)
        parser.finalize()
    except MultipartParseError as exc:
        raise MalformedPayload("not a valid multipart body") from exc
    return parts


class Fields:
    """One JSON object of a webhook, read with bounds; ``where`` names it in error messages."""

    def __init__(self, data: dict[str, Any], where: str = "body") -> None:
        self.data = data
        self.where = where

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def _bad(self, key: str, why: str) -> MalformedPayload:
        return MalformedPayload(f"{self.where}.{key}: {why}")

    def obj(self, key: str) -> Fields | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self._bad(key, "not an object")
        return Fields(value, f"{self.where}.{key}")

    def items(self, key: str) -> list[Any]:
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self._bad(key, "not a list")
        return value

    def text(self, key: str, *, limit: int = MAX_TITLE) -> str | None:
        """A string (a number is read as its digits); blank is None."""
        value = self.data.get(key)
        if value is None or isinstance(value, bool):
            return None
        if isinstance(value, int):
            value = str(value)
        if not isinstance(value, str):
            raise self._bad(key, "not text")
        if "\x00" in value:
            raise self._bad(key, "contains NUL")
        value = value.strip()
        if len(value) > limit:
            raise self._bad(key, f"longer than {limit} characters")
        return value or None

    def first_text(self, key: str) -> str | None:
        """The first text of a list (Emby's ``Artists``)."""
        first = next((value for value in self.items(key) if isinstance(value, str)), None)
        return Fields({key: first}, self.where).text(key) if first is not None else None

    def label(self, key: str) -> str | None:
        """A client or device name: shown only, so cut to fit rather than refused."""
        value = self.text(key, limit=MAX_TITLE)
        return value[:MAX_LABEL] if value else None

    def integer(self, key: str, *, low: int = 0, high: int = INT32_MAX) -> int | None:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, bool):
            raise self._bad(key, "not a number")
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, str) and value.strip().lstrip("-").isdigit() and len(value) < 25:
            value = int(value)
        if not isinstance(value, int):
            raise self._bad(key, "not a whole number")
        if not low <= value <= high:
            raise self._bad(key, f"outside {low}..{high}")
        return value

    def flag(self, key: str) -> bool:
        value = self.data.get(key)
        if isinstance(value, str):
            return value.strip().lower() == "true"
        return value is True

    def moment(self, key: str) -> datetime | None:
        """An ISO 8601 time (7 fraction digits, as .NET writes them, are fine); no zone is UTC."""
        value = self.text(key, limit=64)
        if value is None:
            return None
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError as exc:
            raise self._bad(key, "not a date and time") from exc
        parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        try:
            parsed = parsed.astimezone(UTC)
        except OverflowError as exc:
            raise self._bad(key, "not a date and time") from exc
        if not EARLIEST <= parsed <= LATEST:
            raise self._bad(key, "outside 1900..2999")
        return parsed

    def ticks_ms(self, key: str) -> int | None:
        """.NET ticks (100 ns) as milliseconds; 0 (Jellyfin's "unknown" length) is None."""
        ticks = self.integer(key, low=-MAX_TICKS, high=MAX_TICKS)
        return ticks // TICKS_PER_MS if ticks else None


def external_int(value: Any) -> int | None:
    """A TMDB or TVDB id: a positive number, possibly as text; anything else is dropped."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 10:
        value = int(value.strip())
    if isinstance(value, int) and 0 < value <= INT32_MAX:
        return value
    return None


def imdb_id(value: Any) -> str | None:
    if isinstance(value, str) and _IMDB.match(value.strip()):
        return value.strip()
    return None


def mbid(value: Any) -> str | None:
    """A MusicBrainz id in its canonical form; anything else is dropped."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        return str(uuid.UUID(value.strip()))
    except ValueError:
        return None


def year(value: int | None) -> int | None:
    """Servers write 0 for "no year"."""
    return value if value and 1800 <= value <= 2999 else None
