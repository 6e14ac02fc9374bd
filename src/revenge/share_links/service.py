"""Share-link use cases of the owner: create, list and revoke grants.

The public side (open, unlock, stream, artwork) is ``public.py``; a grant's state is
``state.py``.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from revenge.core import artwork_urls, clock
from revenge.core.config import Settings
from revenge.core.deps import Principal
from revenge.core.errors import Forbidden, NotFound, Unprocessable
from revenge.core.media import MediaType
from revenge.core.security import hash_password_async, new_token, token_digest
from revenge.library import lookup
from revenge.share_links import repository
from revenge.share_links.models import MediaGrant
from revenge.share_links.schemas import GrantCreate, GrantCreated, GrantRead
from revenge.share_links.state import ended_at, grant_state, views_left

log = structlog.get_logger(__name__)

TOKEN_BYTES = 32  # 256 bits from `secrets`
# A client's clock and ours may differ a little; a requested expiry this close to the
# maximum is accepted.
_EXPIRY_SLACK = timedelta(minutes=5)


def _read(
    grant: MediaGrant,
    settings: Settings,
    item: lookup.MediaItem | None,
    last_opened_at: datetime | None = None,
) -> GrantRead:
    now = clock.utcnow()
    has_artwork = item is not None and item.artwork_path is not None
    return GrantRead(
        id=grant.id,
        media_type=grant.media_type,
        media_id=grant.media_id,
        title=item.display_title if item is not None else None,
        state=grant_state(grant, now),
        expires_at=grant.expires_at,
        max_views=grant.max_views,
        current_views=grant.current_views,
        views_left=views_left(grant),
        requires_password=grant.requires_password,
        allow_download=grant.allow_download,
        description=grant.description,
        revoked_at=grant.revoked_at,
        last_viewed_at=grant.last_viewed_at,
        last_opened_at=last_opened_at,
        ended_at=ended_at(grant, now),
        artwork=(
            artwork_urls.urls_for(settings.secret, grant.media_type, grant.media_id)
            if has_artwork
            else None
        ),
        created_at=grant.created_at,
    )


async def create_grant(
    session: AsyncSession, settings: Settings, user: Principal, body: GrantCreate
) -> GrantCreated:
    """Create a link; the returned token/url is the only time the full link is ever shown."""
    policy = settings.share
    if not policy.users_may_share and not user.is_admin:
        raise Forbidden("share_link.sharing_disabled")
    now = clock.utcnow()
    expires_at = body.expires_at
    if expires_at is not None and expires_at <= now:
        raise Unprocessable("share_link.expiry_in_past")
    if policy.max_expiry_days > 0:
        latest = now + timedelta(days=policy.max_expiry_days)
        if expires_at is None:
            expires_at = latest
        elif expires_at > latest + _EXPIRY_SLACK:
            raise Unprocessable("share_link.expiry_too_long", max_days=policy.max_expiry_days)
    if policy.password_required and not body.password:
        raise Unprocessable("share_link.password_required_by_policy")
    media_type = MediaType(body.media_type)
    item = await lookup.resolve_one(session, lookup.MediaRef(media_type, body.media_id))
    if item is None:
        raise NotFound("share_link.item_not_found")
    token = new_token(nbytes=TOKEN_BYTES)
    password_hash = await hash_password_async(body.password) if body.password else None
    grant = MediaGrant(
        created_by=user.id,
        media_type=media_type.value,
        media_id=body.media_id,
        token_hash=token_digest(token),
        expires_at=expires_at,
        max_views=body.max_views,
        current_views=0,
        requires_password=password_hash is not None,
        password_hash=password_hash,
        allow_download=body.allow_download,
        description=body.description,
    )
    session.add(grant)
    await session.flush()
    await session.refresh(grant)
    read = _read(grant, settings, item)
    log.info("share_link.created", grant_id=str(grant.id), media_type=grant.media_type)
    return GrantCreated(
        **read.model_dump(),
        token=token,
        url=f"{settings.public_url.rstrip('/')}/share/{token}",
    )


async def list_grants(
    session: AsyncSession, settings: Settings, user: Principal, limit: int, offset: int
) -> tuple[list[GrantRead], int]:
    """A page of the caller's links, newest first: one resolver call for the items (titles,
    whether there is artwork) and one grouped query for when each was last opened."""
    grants, total = await repository.grants_of_owner(session, user.id, limit, offset)
    refs = [lookup.MediaRef.of(g.media_type, g.media_id) for g in grants]
    items = await lookup.resolve(session, refs)
    opened = await repository.last_openings(session, [g.id for g in grants])
    reads = [
        _read(g, settings, items.get(ref), opened.get(g.id))
        for g, ref in zip(grants, refs, strict=True)
    ]
    return reads, total


async def revoke_grant(session: AsyncSession, user: Principal, grant_id: uuid.UUID) -> None:
    """Revoke one of the caller's links (someone else's answers 404). Idempotent."""
    grant = await repository.grant_of_owner(session, user.id, grant_id)
    if grant is None:
        raise NotFound("share_link.grant_not_found")
    await repository.revoke(session, grant, clock.utcnow())
    log.info("share_link.revoked", grant_id=str(grant.id))
