"""What keeps the kiosk's pages its own: redirects only to the kiosk's own paths, and the
headers every response carries.

``local_next(default)`` is the one way a view follows a form's ``next``: a path on this kiosk
("/me/?tab=1"), never another site ("//evil.example", "https://...", "/\\evil.example"), and
never a header break (CR, LF or any control character). Anything else is refused with a 400
and a message, before the view does anything.

An ``<int:...>`` in a URL is at most what SQLite stores (a larger one is a 404).

``init_app`` adds to every response a Content-Security-Policy that lets a page run and style
only with the kiosk's own files (no inline script: the only inline ``<script>`` of the pages is
the ``application/json`` data block of base.html, which is never run), forbids framing,
sniffing and referrers, and keeps every page out of any cache (``no-store``: the pages show a
resident's balance, messages and names). Static files, whose URLs carry a digest of their
content, are kept by the browser (kiosk/web/urls.py).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, request
from werkzeug.routing import IntegerConverter

from kiosk.errors import N_, InvalidInput
from kiosk.web.urls import static_cache_headers

NEXT_MAX = 2000

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class StoredInteger(IntegerConverter):
    """``<int:...>`` in a URL: only what SQLite can hold (a larger id is a 404, not a crash)."""

    def __init__(self, map, *args, **kwargs) -> None:
        kwargs.setdefault("max", 2**63 - 1)
        super().__init__(map, *args, **kwargs)


class NotALocalPage(InvalidInput):
    msgid = N_("This button can only lead to another page of the kiosk.")


def is_local_path(target: str) -> bool:
    """A path of this kiosk: starts with one "/", no scheme, no host, nothing a browser or a
    header would read otherwise (backslashes, control characters)."""
    if not target.startswith("/") or target.startswith("//") or len(target) > NEXT_MAX:
        return False
    if "\\" in target or any(ord(ch) < 32 or 127 <= ord(ch) < 160 for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def local_next(default: str) -> str:
    """Where a form's ``next`` asks to go, if it is a page of the kiosk; ``default`` when the
    form gives none. Raises ``NotALocalPage`` (a 400) for anything else."""
    target = request.form.get("next") or ""
    if not target:
        return default
    if not is_local_path(target):
        raise NotALocalPage()
    return target


def init_app(app: Flask) -> None:
    """Before the blueprints are registered: their ``<int:...>`` rules use ``StoredInteger``."""
    app.url_map.converters["int"] = StoredInteger

    @app.after_request
    def safety_headers(response):
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if request.endpoint != "static":
            response.headers["Cache-Control"] = "no-store"
        else:
            static_cache_headers(response)
        return response
