"""Every locale has exactly the keys and placeholders of en.json."""

from __future__ import annotations

import pytest

from revenge.core.i18n import SUPPORTED_LOCALES, format_message, load_catalogue, placeholders


@pytest.mark.parametrize("locale", [code for code in SUPPORTED_LOCALES if code != "en"])
def test_locale_has_exactly_the_english_keys_and_placeholders(locale):
    english = load_catalogue("en").messages
    other = load_catalogue(locale).messages
    assert sorted(set(english) - set(other)) == [], "missing keys"
    assert sorted(set(other) - set(english)) == [], "extra keys"
    mismatched = [key for key in english if placeholders(english[key]) != placeholders(other[key])]
    assert mismatched == []
    empty = [key for key, value in other.items() if not value.strip()]
    assert empty == []


def test_placeholder_extraction_sees_plural_arguments_not_branch_text():
    assert placeholders("{count, plural, one {# item by {artist}} other {# items}}") == {
        "count",
        "artist",
    }
    assert placeholders("Hello {name}") == {"name"}


@pytest.mark.parametrize(
    ("locale", "count", "expected"),
    [
        ("en", 1, "1 file"),
        ("en", 3, "3 files"),
        ("fr", 0, "0 fichier"),
        ("fr", 1500, "1\u202f500 fichiers"),
        ("de", 0, "keine"),
    ],
)
def test_plural_and_number_formatting_follow_cldr(locale, count, expected):
    template = {
        "en": "{n, plural, one {# file} other {# files}}",
        "fr": "{n, plural, one {# fichier} other {# fichiers}}",
        "de": "{n, plural, =0 {keine} one {# Datei} other {# Dateien}}",
    }[locale]
    assert format_message(template, locale, {"n": count}) == expected


def test_select_and_missing_argument():
    template = "{kind, select, movie {Film} other {Item}}: {title}"
    assert format_message(template, "en", {"kind": "movie", "title": "Heat"}) == "Film: Heat"
    assert format_message(template, "en", {"kind": "track"}) == "Item: {title}"
