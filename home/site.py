"""What every request of the home site needs, decided once at its start: the language (the
visible switch's cookie, else the browser's Accept-Language, French first), the device's
session (home/sessions.py), the building's configuration as the kiosk's functions expect it,
and the building's replica brought up to date (home/replica.py). Security headers for every
page: no script or style but the site's own files.

The kiosk's configuration is approximated from what the hub knows: the hub's own config file
(a kiosk's format: currency, floor and ceiling, time zone, board settings), which the
building's kiosks are assumed to share, and the building's name from the session (its kiosks
enrol under it). The address and the printer are not known here, and nothing needs them.
"""

from __future__ import annotations

import copy
from functools import wraps
from typing import Any

from flask import Flask, Response, current_app, g, redirect, render_template, request, url_for
from flask_babel import force_locale

from home import replica, sessions
from kiosk.config import Config
from kiosk.i18n import translations
from kiosk.web import formatting as kfmt
from sync.hub.db import files_prefix
from sync.hub.routes import hub_db

LANGUAGES = ("fr", "en")
LANG_COOKIE = "home_lang"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'"
)


def language() -> str:
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES, default="fr")


def building_config(building: str) -> Config:
    """The hub's config (a kiosk's format) as the building's kiosks would have it; made once
    per building and app (a read-only value: views never change it)."""
    made: dict[str, Config] = current_app.extensions.setdefault("home_building_configs", {})
    if building not in made:
        base: Config = current_app.config["KIOSK_CONFIG"]
        values = copy.deepcopy(base.values)
        values["building"] = {"name": building, "address": ""}
        made[building] = Config(values=values, source=base.source)
    return made[building]


def _start() -> None:
    if not request.path.startswith("/home"):
        return
    lang = g.home_lang = language()
    # The kiosk's Jinja filters and error messages read these (kiosk/web/formatting.py).
    g._kiosk_locale = lang
    g._kiosk_translations = translations(lang)
    g.config = current_app.config["KIOSK_CONFIG"]
    g.home_session, g.home_ended = sessions.current(hub_db(), request.cookies.get(sessions.COOKIE))
    g.home_replica = None


def _end(response: Response) -> Response:
    if request.path.startswith("/home"):
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        if not request.path.startswith("/home/static"):
            response.headers["Cache-Control"] = "no-store"
    return response


def _close(_exc: BaseException | None) -> None:
    db = g.pop("home_replica", None)
    if db is not None:
        db.conn.close()


def building_db():
    """The session's building replica, up to date with what the hub holds (once a request)."""
    if g.home_replica is None:
        session = g.home_session
        # Beside the hub's own files (its SQLite file, or a PostgreSQL hub's data folder).
        path = files_prefix(hub_db())
        g.home_replica = replica.open_replica(path, session.building)
        replica.up_to_date(hub_db(), g.home_replica, session.building)
        g.config = building_config(session.building)
    return g.home_replica


def render(template: str, **context: Any) -> str:
    with force_locale(g.home_lang):
        return render_template(template, lang=g.home_lang, session=g.home_session, **context)


def session_required(view):
    """A page for a paired device: without a session, the page saying how to pair (or that
    this device was removed)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if g.home_session is None:
            return render("home/welcome.html", removed=g.home_ended == "removed"), (
                403 if g.home_ended == "removed" else 200
            )
        building_db()
        return view(*args, **kwargs)

    return wrapper


def language_switch():
    chosen = request.form.get("lang")
    target = request.form.get("next") or url_for("home.index")
    if not target.startswith("/home"):
        target = url_for("home.index")
    response = redirect(target, 303)
    if chosen in LANGUAGES:
        response.set_cookie(
            LANG_COOKIE, chosen, max_age=365 * 86400, samesite="Lax", secure=request.is_secure
        )
    return response


def init_app(app: Flask) -> None:
    # The kiosk's own filters (kiosk/web/formatting.py), under names the hub's dashboard does
    # not use (its ``when`` is its own: ``moment`` here).
    app.jinja_env.filters.update(
        ceec=kfmt.ceec,
        euros=kfmt.euros,
        quantity=kfmt.quantity,
        quantity_of=kfmt.quantity_of,
        duration=kfmt.duration,
        moment=kfmt.when,
        day=kfmt.day,
        month_label=kfmt.month_label,
        category_label=kfmt.category_label,
    )
    app.before_request(_start)
    app.after_request(_end)
    app.teardown_request(_close)
