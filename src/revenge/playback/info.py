"""What the browser's player needs to play one item: the file's facts (can the browser play
it itself?), a signed stream URL, and where this user stands with the item."""

from __future__ import annotations

import uuid

import anyio
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core.config import Settings
from revenge.core.errors import Conflict, NotFound
from revenge.library import lookup
from revenge.playback import describe, progress, streaming
from revenge.playback.schemas import PlaybackFile, PlaybackInfo


async def playback_info(
    session: AsyncSession,
    settings: Settings,
    user_id: uuid.UUID,
    media_type: str,
    media_id: uuid.UUID,
) -> PlaybackInfo:
    item = await lookup.resolve_one(session, lookup.MediaRef.of(media_type, media_id))
    if item is None:
        raise NotFound("library.item_not_found")
    file = item.file
    if file is None or file.missing or not await anyio.Path(file.path).is_file():
        raise Conflict("playback.file_missing")
    duration_ms = item.duration_ms or file.duration_ms
    state = await progress.item_progress(session, user_id, media_type, media_id, duration_ms)
    url, expires_at = streaming.stream_url(settings, user_id, file.id)
    return PlaybackInfo(
        media_type=item.kind.value,  # a playable kind: it has a file
        media_id=item.id,
        title=item.title,
        subtitle=describe.subtitle(item),
        duration_ms=duration_ms,
        file=PlaybackFile(
            mime_type=streaming.content_type(file.path, file.mime_type),
            container=file.container,
            video_codec=file.video_codec,
            audio_codec=file.audio_codec,
            width=file.width,
            height=file.height,
            size_bytes=file.size_bytes,
        ),
        stream_url=url,
        stream_expires_at=expires_at,
        resume_position_ms=state.resume_position_ms,
        played=state.played,
        play_count=state.play_count,
        artwork=describe.artwork(settings.secret, item),
    )
