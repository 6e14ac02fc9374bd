from __future__ import annotations

from revenge.core.errors import NotFound
from revenge.core.i18n import (
    SUPPORTED_LOCALES,
    Catalogue,
    load_catalogue,
    native_name,
    normalize_locale,
)
from revenge.i18n.schemas import LocaleInfo


def list_locales() -> list[LocaleInfo]:
    english = load_catalogue("en").messages
    infos = []
    for code in SUPPORTED_LOCALES:
        messages = load_catalogue(code).messages
        # A key counts as translated when present and non-empty (English counts fully).
        done = sum(1 for key in english if messages.get(key))
        infos.append(
            LocaleInfo(
                code=code, native_name=native_name(code), completeness=round(done / len(english), 4)
            )
        )
    return infos


def get_catalogue(locale: str) -> Catalogue:
    code = normalize_locale(locale)
    if code is None:
        raise NotFound("i18n.unknown_locale", locale=locale)
    return load_catalogue(code)
