"""Jinja filters and helpers: amounts, durations and dates in the request's language (written
by ``kiosk.formatting``, the same as on paper and on the command line), labels, option lists.

A page calls these dozens of times (every label, every amount, every date of a list), so the
request's locale and translations are looked up once and kept on ``g``: Flask-Babel's own
``gettext`` looks them up again through several context-locals on every call, which made
translation the largest single cost of drawing a board page.
"""

from __future__ import annotations

from datetime import date, datetime

import flask_babel
from flask import Flask, g
from markupsafe import Markup

from kiosk import formatting
from kiosk.categories import CATEGORIES
from kiosk.errors import KioskError


def locale_code() -> str:
    """The request's language ("fr" or "en"), decided once per request."""
    try:
        return g._kiosk_locale
    except AttributeError:
        code = g._kiosk_locale = str(flask_babel.get_locale())
        return code


def translations():
    """The request's translations catalogue, looked up once per request."""
    try:
        return g._kiosk_translations
    except AttributeError:
        catalogue = g._kiosk_translations = flask_babel.get_translations()
        return catalogue


def gettext(string: str, **variables) -> str:
    """Same contract as ``flask_babel.gettext``, without its per-call look-ups."""
    text = translations().ugettext(string)
    return text % variables if variables else text


def ceec(hundredths: int | None, signed: bool = False) -> str:
    """1500 -> '15,00 CEEC' (fr) / '15.00 CEEC' (en); signed adds '+' to credits."""
    return formatting.ceec(hundredths, locale_code(), g.config["currency"]["name"], signed=signed)


def euros(cents: int | None) -> str:
    """1250 -> "12,50 €" (fr) / "€12.50" (en)."""
    return formatting.euros(cents, locale_code())


def quantity(thousandths: int | None) -> str:
    """A group purchase's quantity: 1500 -> "1,5" (fr) / "1.5" (en)."""
    return formatting.quantity(thousandths, locale_code())


def duration(minutes: int | None) -> str:
    return formatting.duration(minutes, locale_code())


def when(value: str | datetime | None, fmt: str = "medium") -> str:
    """A moment in the building's time zone: "time", "date" or date and time ("medium")."""
    return formatting.when(value, locale_code(), g.config["kiosk"]["timezone"], fmt)


def day(value: str | date | None) -> str:
    """A calendar day ("2026-11-30", the building's date) as people read it."""
    return formatting.day(value, locale_code(), g.config["kiosk"]["timezone"])


def month_label(month: str) -> str:
    """ "2026-11" -> "Novembre 2026" / "November 2026"."""
    return formatting.month(month, locale_code())


def short_month(month: str) -> str:
    """ "2026-06" -> "juin 26" / "Jun 26" (a chart's label)."""
    return formatting.month(month, locale_code(), short=True)


def category_label(key: str) -> str:
    return gettext(CATEGORIES.get(key, CATEGORIES["other"]))


_OPTIONS: dict[tuple, Markup] = {}


def select_options(
    choices: dict[str, str], selected: str | None = None, blank: str | None = None
) -> Markup:
    """The ``<option>`` elements of a ``<select>``: labels are msgids, translated; the chosen
    one is selected; ``blank`` (a msgid) labels a first option with an empty value. Built once
    per language, list and choice (a board page has 20 options)."""
    if selected not in choices:
        selected = None  # the key stays bounded whatever a query string says
    key = (locale_code(), tuple(choices.items()), selected, blank)
    html = _OPTIONS.get(key)
    if html is None:
        parts = [Markup('<option value="">{}</option>').format(gettext(blank))] if blank else []
        parts += [
            Markup('<option value="{}"{}>{}</option>').format(
                value, Markup(" selected") if value == selected else "", gettext(label)
            )
            for value, label in choices.items()
        ]
        html = _OPTIONS[key] = Markup("").join(parts)
    return html


def error_message(exc: KioskError) -> str:
    """The translated message of a domain error, with its parameters."""
    params = formatting.message_values(exc.params, locale_code(), g.config["kiosk"]["timezone"])
    if "status" in params:
        params["status"] = status_label(params["status"])
    return gettext(exc.msgid, **params)


def status_label(status: str) -> str:
    return {
        "pending": gettext("pending"),
        "verified": gettext("verified"),
        "suspended": gettext("suspended"),
        "moved_out": gettext("moved out"),
    }.get(status, status)


def role_label(role: str) -> str:
    return {"resident": gettext("resident"), "admin": gettext("administrator")}.get(role, role)


def init_app(app: Flask) -> None:
    """Filters, and Jinja's ``_()`` / ``gettext`` / ``ngettext`` through the request's cached
    catalogue (replacing Flask-Babel's callables: call after ``Babel(app)``)."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    app.jinja_env.globals["select_options"] = select_options
    app.jinja_env.filters.update(
        ceec=ceec,
        euros=euros,
        quantity=quantity,
        duration=duration,
        when=when,
        day=day,
        month_label=month_label,
        category_label=category_label,
        status_label=status_label,
        role_label=role_label,
    )
