"""Scrobble providers behind one Protocol (``base``), chosen by name in ``registry``."""
