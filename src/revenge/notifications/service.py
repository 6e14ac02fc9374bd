"""The notification service other features call: ``notify`` and ``notify_many``.

The use cases live in named modules: ``fanout`` (who gets what, in the caller's transaction),
``delivery`` (draining due deliveries), ``inbox`` (inbox, preferences, push devices),
``channel_admin`` (a user's channels and test sends) and ``new_content`` (grouped library
announcements).
"""

from __future__ import annotations

from revenge.notifications.fanout import notify, notify_many

__all__ = ["notify", "notify_many"]
