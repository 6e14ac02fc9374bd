"""Message catalogues shared with the web UI, ICU-style formatting, locale negotiation.

The catalogues are ``locales/<code>.json`` (nested objects; keys are dotted paths such as
``errors.share_link.expired.title``). Messages use the ICU MessageFormat subset that both
this module and svelte-i18n understand: ``{name}``, ``{n, plural, one {# item} other {# items}}``
(with ``=0`` exact matches) and ``{kind, select, movie {…} other {…}}``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_datetime
from babel.numbers import format_decimal

LOCALES_DIR = Path(__file__).resolve().parents[3] / "locales"
SUPPORTED_LOCALES: tuple[str, ...] = ("en", "de", "es", "fr")
FALLBACK_LOCALE = "en"


def _flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, path + "."))
        else:
            flat[path] = str(value)
    return flat


@dataclass(frozen=True)
class Catalogue:
    locale: str
    tree: dict[str, Any]
    messages: dict[str, str]
    etag: str


@lru_cache(maxsize=len(SUPPORTED_LOCALES))
def load_catalogue(locale: str) -> Catalogue:
    if locale not in SUPPORTED_LOCALES:
        raise KeyError(locale)
    raw = (LOCALES_DIR / f"{locale}.json").read_bytes()
    tree = json.loads(raw)
    return Catalogue(
        locale=locale,
        tree=tree,
        messages=_flatten(tree),
        etag='"' + hashlib.sha256(raw).hexdigest()[:32] + '"',
    )


def normalize_locale(value: str | None) -> str | None:
    """Map ``de-AT``/``de_AT``/``DE`` to a supported locale (``de``), or None."""
    if not value:
        return None
    base = value.replace("_", "-").split("-")[0].strip().lower()
    return base if base in SUPPORTED_LOCALES else None


def negotiate(accept_language: str | None) -> str | None:
    """Best supported locale for an ``Accept-Language`` header (quality values honoured)."""
    if not accept_language:
        return None
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            ranked.append((-quality, position, tag))
    for _, _, tag in sorted(ranked):
        if (found := normalize_locale(tag)) is not None:
            return found
    return None


def resolve_locale(user_locale: str | None, accept_language: str | None, default: str) -> str:
    """User preference > Accept-Language > server default > English."""
    return (
        normalize_locale(user_locale)
        or negotiate(accept_language)
        or normalize_locale(default)
        or FALLBACK_LOCALE
    )


def translate(key: str, locale: str, /, **params: Any) -> str:
    """The message ``key`` in ``locale`` (falling back to English, then to the key itself)."""
    locale = normalize_locale(locale) or FALLBACK_LOCALE
    template = load_catalogue(locale).messages.get(key)
    if template is None:
        template = load_catalogue(FALLBACK_LOCALE).messages.get(key)
    if template is None:
        return key
    return format_message(template, locale, params)


def has_message(key: str) -> bool:
    return key in load_catalogue(FALLBACK_LOCALE).messages


# --- ICU subset -------------------------------------------------------------------------


def format_message(template: str, locale: str, params: Mapping[str, Any]) -> str:
    out, _ = _render(template, 0, locale, params, None, top=True)
    return out


def _render(
    text: str, pos: int, locale: str, params: Mapping[str, Any], hash_value: Any, *, top: bool
) -> tuple[str, int]:
    out: list[str] = []
    while pos < len(text):
        char = text[pos]
        if char == "{":
            rendered, pos = _render_argument(text, pos + 1, locale, params)
            out.append(rendered)
        elif char == "}" and not top:
            return "".join(out), pos
        elif char == "#" and hash_value is not None:
            out.append(_format_number(hash_value, locale))
            pos += 1
        else:
            out.append(char)
            pos += 1
    return "".join(out), pos


def _read_until(text: str, pos: int, stops: str) -> tuple[str, int]:
    start = pos
    while pos < len(text) and text[pos] not in stops:
        pos += 1
    return text[start:pos].strip(), pos


def _render_argument(
    text: str, pos: int, locale: str, params: Mapping[str, Any]
) -> tuple[str, int]:
    name, pos = _read_until(text, pos, ",}")
    value = params.get(name)
    if pos < len(text) and text[pos] == "}":
        return ("{" + name + "}" if value is None else _format_value(value, locale)), pos + 1
    kind, pos = _read_until(text, pos + 1, ",}")
    if pos < len(text) and text[pos] == "}":  # `{n, number}` and similar: format simply
        return ("" if value is None else _format_value(value, locale)), pos + 1
    pos += 1
    branches: dict[str, str] = {}
    while pos < len(text):
        selector, pos = _read_until(text, pos, "{}")
        if pos >= len(text) or text[pos] == "}":
            pos += 1
            break
        body, pos = _render(
            text, pos + 1, locale, params, value if kind == "plural" else None, top=False
        )
        branches[selector] = body
        pos += 1
    return _choose(kind, value, branches, locale), pos


def _choose(kind: str, value: Any, branches: dict[str, str], locale: str) -> str:
    if kind == "plural" and value is not None:
        exact = f"={value}"
        if exact in branches:
            return branches[exact]
        category = _plural_category(value, locale)
        return branches.get(category, branches.get("other", ""))
    return branches.get(str(value), branches.get("other", ""))


def _plural_category(value: Any, locale: str) -> str:
    try:
        return str(Locale.parse(locale).plural_form(abs(value)))
    except (UnknownLocaleError, TypeError, ValueError):
        return "other"


def _format_number(value: Any, locale: str) -> str:
    try:
        return str(format_decimal(value, locale=locale))
    except (TypeError, ValueError):
        return str(value)


def _format_value(value: Any, locale: str) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return _format_number(value, locale)
    if isinstance(value, datetime):
        return format_datetime_local(value, locale)
    return str(value)


def format_datetime_local(
    value: datetime, locale: str, tz: tzinfo | str | None = None, fmt: str = "medium"
) -> str:
    """A timestamp as the reader expects it: their locale's format, their timezone."""
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    return str(format_datetime(value, format=fmt, tzinfo=zone, locale=locale))


def native_name(locale: str) -> str:
    name = Locale.parse(locale).get_display_name(locale) or locale
    return name[:1].upper() + name[1:]


class _RecordingParams(dict[str, Any]):
    """Records which argument names a message reads (every branch is rendered)."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:
        self.names.add(key)
        return default


def placeholders(template: str) -> set[str]:
    """Argument names used in a message (for the catalogue parity check)."""
    recorder = _RecordingParams()
    _render(template, 0, FALLBACK_LOCALE, recorder, None, top=True)
    return recorder.names
