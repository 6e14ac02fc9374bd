"""git merge driver for locales/*.json: a deep union of both sides (ours wins on equal keys).

Parallel branches each add their own keys; a line-based merge would conflict on every one.
Enable with:  git config merge.jsonlocale.driver "python3 tools/json_merge_driver.py %O %A %B"
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def union(base: dict[str, Any], ours: dict[str, Any], theirs: dict[str, Any]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for key in sorted(set(ours) | set(theirs)):
        o, t, b = ours.get(key), theirs.get(key), base.get(key) if isinstance(base, dict) else None
        if isinstance(o, dict) and isinstance(t, dict):
            merged[key] = union(b if isinstance(b, dict) else {}, o, t)
        elif key in ours and key in theirs:
            merged[key] = t if o == b else o  # take their change only if we did not change it
        elif key in ours:
            if key in base and o == b:  # they deleted, we did not touch: delete
                continue
            merged[key] = o
        else:
            if key in base and t == b:
                continue
            merged[key] = t
    return merged


def main(base_path: str, ours_path: str, theirs_path: str) -> None:
    def load(path: str) -> dict[str, Any]:
        text = Path(path).read_text() if Path(path).exists() else ""
        return json.loads(text) if text.strip() else {}

    result = union(load(base_path), load(ours_path), load(theirs_path))
    Path(ours_path).write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:4])
