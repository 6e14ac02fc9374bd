"""The play rule: when a finished session counts as a play (README "Play rules")."""

from __future__ import annotations

from revenge.core.config import PlayRuleSettings
from revenge.core.media import MediaType


def meets_play_rule(
    media_type: MediaType | str, played_ms: int, duration_ms: int | None, rules: PlayRuleSettings
) -> bool:
    if MediaType(media_type) == MediaType.track:
        if duration_ms is not None and duration_ms <= rules.music_min_track_ms:
            return False
        if played_ms >= rules.music_min_ms:
            return True
        return duration_ms is not None and played_ms >= duration_ms * rules.music_min_fraction
    if played_ms >= rules.video_min_ms:
        return True
    return (
        duration_ms is not None
        and duration_ms > 0
        and played_ms >= duration_ms * rules.video_min_fraction
    )
