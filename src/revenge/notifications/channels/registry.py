"""The channel registry: the only place that maps a channel kind to its implementation."""

from __future__ import annotations

from collections.abc import Callable

from revenge.core.config import Settings
from revenge.notifications.channels.base import DeliveryChannel
from revenge.notifications.channels.email import EmailChannel
from revenge.notifications.channels.push import PushChannel
from revenge.notifications.channels.webhook import WebhookChannel
from revenge.notifications.types import ChannelKind

CHANNELS: dict[ChannelKind, Callable[[Settings], DeliveryChannel]] = {
    ChannelKind.email: EmailChannel,
    ChannelKind.push: PushChannel,
    ChannelKind.webhook: WebhookChannel,
}


def build_channel(kind: ChannelKind, settings: Settings) -> DeliveryChannel:
    return CHANNELS[kind](settings)
