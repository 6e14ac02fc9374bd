"""A source's path map: the sender's file paths as this server sees the same files.

Another server may mount the library elsewhere (``/media/Movies`` there, ``/srv/media/Movies``
here) or run on Windows (``D:\\Media``). Each rewrite replaces a prefix that ends at a folder
boundary; of several that fit, the longest wins. A Windows path that was rewritten to a POSIX
prefix takes forward slashes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace

from revenge.library.item_hints import ItemHints

_WINDOWS = re.compile(r"^(?:[A-Za-z]:[\\/]|\\\\)")


def is_absolute(path: str) -> bool:
    """A POSIX absolute path, or a Windows drive (``D:\\``) or share (``\\\\nas``) path."""
    return path.startswith("/") or bool(_WINDOWS.match(path))


def _separator(path: str) -> str:
    return "\\" if _WINDOWS.match(path) else "/"


def _fits(path: str, prefix: str) -> bool:
    if _WINDOWS.match(prefix):  # Windows paths ignore case
        path, prefix = path.lower(), prefix.lower()
    if not path.startswith(prefix):
        return False
    rest = path[len(prefix) :]
    return not rest or prefix.endswith(("/", "\\")) or rest[0] in "/\\"


def rewrite_path(path: str, path_map: Sequence[Mapping[str, str]]) -> str:
    """``path`` with the longest fitting ``from`` prefix replaced by its ``to``."""
    best: tuple[str, str] | None = None
    for rule in path_map:
        source, target = rule.get("from", ""), rule.get("to", "")
        if source and _fits(path, source) and (best is None or len(source) > len(best[0])):
            best = (source, target)
    if best is None:
        return path
    source, target = best
    rest = path[len(source) :]
    if _separator(source) != _separator(target) or _separator(path) != _separator(target):
        rest = rest.replace("\\", "/") if _separator(target) == "/" else rest.replace("/", "\\")
    if rest and target.endswith(("/", "\\")) and rest[0] in "/\\":
        rest = rest[1:]
    elif rest and rest[0] not in "/\\" and not target.endswith(("/", "\\")):
        rest = _separator(target) + rest
    return target + rest


def map_hints(hints: ItemHints, path_map: Sequence[Mapping[str, str]]) -> ItemHints:
    if not hints.path or not path_map:
        return hints
    return replace(hints, path=rewrite_path(hints.path, path_map))
