"""Scrobbling: plays sent to Trakt, Last.fm and ListenBrainz through a durable queue."""
