"""Jinja filters and helpers: CEEC amounts, durations and dates in the user's locale.

A page calls these dozens of times (every label, every amount, every date of a list), so the
request's locale and translations are looked up once and kept on ``g``: Flask-Babel's own
``gettext`` looks them up again through several context-locals on every call, which made
translation the largest single cost of drawing a board page. Amounts and dates use the same
symbols and patterns as Babel (tests compare them) without re-parsing a pattern per call.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from zoneinfo import ZoneInfo

import flask_babel
from babel import Locale
from flask import Flask, g
from flask_babel import format_datetime
from jinja2 import pass_context
from markupsafe import Markup

from kiosk import clock
from kiosk.categories import CATEGORIES
from kiosk.errors import KioskError
from kiosk.i18n import elide, fill, quantity_of


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
    """Same contract as ``flask_babel.gettext``, without its per-call look-ups; a French "de"
    before a value is elided (``kiosk.i18n.fill``)."""
    text = translations().ugettext(string)
    return fill(text, variables, locale_code()) if variables else text


def ngettext(singular: str, plural: str, num: int, **variables) -> str:
    """The form of ``singular``/``plural`` for ``num`` in the request's language (French: 0
    and 1 are singular), its values filled; ``%(num)d`` is ``num`` unless given."""
    text = translations().ungettext(singular, plural, num)
    return fill(text, {"num": num, **variables}, locale_code())


def pgettext(context: str, string: str, **variables) -> str:
    """``gettext`` of an English word that has two meanings, told apart by ``context``."""
    text = translations().upgettext(context, string)
    return fill(text, variables, locale_code()) if variables else text


# Jinja's "newstyle" gettext (values as keyword arguments, always %-formatted, escaped under
# autoescape), with the French "de" elided before the values are put in.
def _jinja_text(context, text: str, variables: dict) -> str:
    text = elide(text, variables, locale_code())
    if context.eval_ctx.autoescape:
        text = Markup(text)
    return text % variables


@pass_context
def _jinja_gettext(context, string: str, **variables) -> str:
    return _jinja_text(context, translations().ugettext(string), variables)


@pass_context
def _jinja_ngettext(context, singular: str, plural: str, num: int, **variables) -> str:
    variables.setdefault("num", num)
    return _jinja_text(context, translations().ungettext(singular, plural, num), variables)


@pass_context
def _jinja_pgettext(context, ctx: str, string: str, **variables) -> str:
    return _jinja_text(context, translations().upgettext(ctx, string), variables)


@pass_context
def _jinja_npgettext(context, ctx: str, singular: str, plural: str, num: int, **variables) -> str:
    variables.setdefault("num", num)
    text = translations().unpgettext(ctx, singular, plural, num)
    return _jinja_text(context, text, variables)


@cache
def _number_symbols(code: str) -> tuple[str, str]:
    symbols = Locale.parse(code).number_symbols["latn"]
    return symbols["group"], symbols["decimal"]


def ceec(hundredths: int | None, signed: bool = False) -> str:
    """1500 -> '15,00 CEEC' (fr) / '15.00 CEEC' (en); signed adds '+' to credits.

    Babel's ``#,##0.00`` pattern, written out: amounts are whole hundredths, so grouping the
    units and appending two digits is exact."""
    if hundredths is None:
        return ""
    group, decimal = _number_symbols(locale_code())
    units, cents = divmod(abs(hundredths), 100)
    text = f"{units:,}".replace(",", group) + f"{decimal}{cents:02d}"
    sign = "-" if hundredths < 0 else ("+" if signed and hundredths > 0 else "")
    return f"{sign}{text}\u00a0{g.config['currency']['name']}"


def duration(minutes: int | None) -> str:
    if not minutes:
        return ""
    hours, mins = divmod(minutes, 60)
    if hours and mins:
        return gettext("%(h)d h %(m)02d", h=hours, m=mins)
    if hours:
        return gettext("%(h)d h", h=hours)
    return gettext("%(m)d min", m=mins)


# Babel's "HH:mm", "dd/MM/yyyy" and "yyyy-MM-dd HH:mm" patterns: digits only, so strftime.
_WHEN_FORMATS = {
    ("time", "fr"): "%H:%M",
    ("time", "en"): "%H:%M",
    ("date", "fr"): "%d/%m/%Y",
    ("date", "en"): "%Y-%m-%d",
    ("medium", "fr"): "%d/%m/%Y %H:%M",
    ("medium", "en"): "%Y-%m-%d %H:%M",
}


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def when(value: str | datetime | None, fmt: str = "medium") -> str:
    """A moment in the building's time zone: "time", "date" or date and time ("medium")."""
    if not value:
        return ""
    moment = clock.parse_iso(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # stored times are UTC (as Flask-Babel assumes)
    code = locale_code()
    pattern = (
        _WHEN_FORMATS.get((fmt, code)) or _WHEN_FORMATS[("medium", code if code == "fr" else "en")]
    )
    return moment.astimezone(_zone(g.config["kiosk"]["timezone"])).strftime(pattern)


def month_label(month: str) -> str:
    moment = datetime.strptime(month + "-15", "%Y-%m-%d")
    return format_datetime(moment, "LLLL yyyy").capitalize()


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
    params = {}
    for key, value in exc.params.items():
        if isinstance(value, datetime):
            value = when(value)
        elif key == "status":
            value = status_label(value)
        params[key] = value
    if isinstance(exc.msgid, tuple):
        return ngettext(*exc.msgid, exc.params[exc.count_param], **params)
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
    """Filters, and Jinja's ``_()`` / ``gettext`` / ``ngettext`` / ``pgettext`` through the
    request's cached catalogue (replacing Flask-Babel's callables: call after ``Babel(app)``)."""
    # Installed as they are (already "newstyle"), then {% trans %} blocks compiled newstyle.
    app.jinja_env.install_gettext_callables(
        gettext=_jinja_gettext,
        ngettext=_jinja_ngettext,
        pgettext=_jinja_pgettext,
        npgettext=_jinja_npgettext,
        newstyle=False,
    )
    app.jinja_env.newstyle_gettext = True
    app.jinja_env.globals["select_options"] = select_options
    app.jinja_env.filters.update(
        ceec=ceec,
        duration=duration,
        when=when,
        month_label=month_label,
        category_label=category_label,
        status_label=status_label,
        role_label=role_label,
        quantity_of=quantity_of,
    )
