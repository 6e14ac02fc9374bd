"""Merge translated keys into locales/*.json (keys sorted, all four locales at once).

usage: python tools/i18n_merge.py FRAGMENT.json
FRAGMENT holds {"en": {...nested...}, "de": {...}, "es": {...}, "fr": {...}}; existing keys
are overwritten, others kept. A file lock keeps parallel edits from losing each other's keys.
"""

from __future__ import annotations

import fcntl
import json
import sys
from pathlib import Path
from typing import Any

LOCALES = Path(__file__).resolve().parents[1] / "locales"


def deep_merge(target: dict[str, Any], source: dict[str, Any]) -> dict[str, Any]:
    for key, value in source.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            deep_merge(target[key], value)
        else:
            target[key] = value
    return target


def sort_tree(tree: dict[str, Any]) -> dict[str, Any]:
    return {k: sort_tree(v) if isinstance(v, dict) else v for k, v in sorted(tree.items())}


def main(fragment_path: str) -> None:
    fragment = json.loads(Path(fragment_path).read_text())
    missing = {"en", "de", "es", "fr"} - fragment.keys()
    if missing:
        sys.exit(f"fragment lacks locales: {sorted(missing)}")
    with (LOCALES / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for locale, tree in fragment.items():
            path = LOCALES / f"{locale}.json"
            current = json.loads(path.read_text()) if path.exists() else {}
            merged = sort_tree(deep_merge(current, tree))
            path.write_text(json.dumps(merged, ensure_ascii=False, indent=2) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
