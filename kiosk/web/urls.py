"""URLs every page builds: the same dozen scripts and style sheets, the home, log-out, language
and scan forms. Each is built once per app and URL root, then reused (``url_for`` costs tens of
microseconds a call, and a page makes twenty).

A static file's URL carries a digest of its content (``/static/kiosk.css?v=3f2a9c01b7e4``): a
changed file gets a new URL, so the browser may keep the file for a year without asking again
(``Cache-Control: immutable``, set by ``static_cache_headers``). Without it, every page asked
again for its three style sheets before drawing anything (a 304 per file, tens of ms a tap).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Flask, Response, current_app, request, url_for

STATIC_MAX_AGE = 365 * 24 * 3600


def _cached(key: tuple, build) -> str:
    urls = current_app.extensions["kiosk_urls"]
    url = urls.get((request.script_root, *key))
    if url is None:
        url = urls[(request.script_root, *key)] = build()
    return url


def plain_url(endpoint: str) -> str:
    """``url_for(endpoint)`` for an endpoint without arguments."""
    return _cached((endpoint,), lambda: url_for(endpoint))


def static_url(filename: str) -> str:
    """A static file's URL with a digest of its content, so that the kiosk's browser never
    keeps an old script or style sheet after an upgrade, and never asks again otherwise."""
    return _cached(
        ("static", filename),
        lambda: url_for("static", filename=filename, v=static_digest(filename)),
    )


def static_digest(filename: str) -> str:
    """The first 12 hex digits of the SHA-256 of a static file, read once per app."""
    digests = current_app.extensions["kiosk_static_digests"]
    digest = digests.get(filename)
    if digest is None:
        path = Path(current_app.static_folder) / filename
        digest = digests[filename] = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    return digest


def static_cache_headers(response: Response) -> None:
    """A static file asked for by its current digest is kept by the browser (immutable); any
    other (no digest, an old one) is asked again each time."""
    filename = (request.view_args or {}).get("filename", "")
    version = request.args.get("v")
    if response.status_code in (200, 304) and version and version == _digest_or_none(filename):
        response.headers["Cache-Control"] = f"public, max-age={STATIC_MAX_AGE}, immutable"


def _digest_or_none(filename: str) -> str | None:
    try:
        return static_digest(filename)
    except OSError:
        return None


def template_url_for(endpoint: str, **values) -> str:
    """Templates' ``url_for``: the cached URL when there are no arguments."""
    if values or endpoint.startswith("."):
        return url_for(endpoint, **values)
    return plain_url(endpoint)


def init_app(app: Flask) -> None:
    app.extensions["kiosk_urls"] = {}
    app.extensions["kiosk_static_digests"] = {}
    app.jinja_env.globals.update(url_for=template_url_for, static_url=static_url)
