"""The building kiosk: a self-hosted, offline-first exchange platform for one building."""

from __future__ import annotations

__version__ = "0.1.0"
