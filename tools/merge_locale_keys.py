"""Merge translation keys into the four catalogues.

Usage: python tools/merge_locale_keys.py keys.json [keys.json ...]
Each file maps a dotted key to {"en": ..., "de": ..., "es": ..., "fr": ...}; the catalogues are
rewritten sorted, two-space indented, as the i18n tests expect.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

LOCALES = Path(__file__).resolve().parents[1] / "locales"


def merge(catalogue: dict, dotted: str, text: str) -> None:
    *parents, leaf = dotted.split(".")
    node = catalogue
    for part in parents:
        node = node.setdefault(part, {})
    node[leaf] = text


def main(paths: list[str]) -> None:
    updates: dict[str, dict[str, str]] = {}
    for path in paths:
        updates.update(json.loads(Path(path).read_text()))
    for locale in ("en", "de", "es", "fr"):
        file = LOCALES / f"{locale}.json"
        catalogue = json.loads(file.read_text())
        for key, texts in updates.items():
            merge(catalogue, key, texts[locale])
        file.write_text(json.dumps(catalogue, indent=2, ensure_ascii=False, sort_keys=True) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
