"""URLs every page builds: the same dozen scripts and style sheets, the home, log-out, language
and scan forms. Each is built once per app and URL root, then reused (``url_for`` costs tens of
microseconds a call, and a page makes twenty)."""

from __future__ import annotations

from flask import Flask, current_app, request, url_for

from kiosk import __version__


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
    """A static file's URL with the kiosk's version, so that the kiosk's browser never keeps an
    old script or style sheet after an upgrade."""
    return _cached(
        ("static", filename), lambda: url_for("static", filename=filename, v=__version__)
    )


def template_url_for(endpoint: str, **values) -> str:
    """Templates' ``url_for``: the cached URL when there are no arguments."""
    if values or endpoint.startswith("."):
        return url_for(endpoint, **values)
    return plain_url(endpoint)


def init_app(app: Flask) -> None:
    app.extensions["kiosk_urls"] = {}
    app.jinja_env.globals.update(url_for=template_url_for, static_url=static_url)
