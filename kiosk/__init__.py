"""The building kiosk: a self-hosted, offline-first exchange platform for one building."""

from __future__ import annotations

__version__ = "0.1.0"


def create_app(config=None):
    """The Flask app for ``config`` (a ``kiosk.config.Config``; the embedded defaults if None)."""
    from kiosk.web import create_app as _create_app

    return _create_app(config)
