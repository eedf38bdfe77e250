"""Jinja filters and helpers: amounts, durations and dates in the request's language (written
by ``kiosk.formatting``, the same as on paper and on the command line), labels, option lists.

A page calls these dozens of times (every label, every amount, every date of a list), so the
request's locale and translations are looked up once and kept on ``g``: Flask-Babel's own
``gettext`` looks them up again through several context-locals on every call, which made
translation the largest single cost of drawing a board page.
"""

from __future__ import annotations

import re
from datetime import date, datetime

import flask_babel
from flask import Flask, g
from jinja2 import pass_context
from markupsafe import Markup

from kiosk import formatting, i18n
from kiosk.categories import CATEGORIES
from kiosk.errors import KioskError
from kiosk.i18n import elide, fill
from kiosk.text import fold as fold_text


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


def ceec(hundredths: int | None, signed: bool = False) -> str:
    """1500 -> '15,00 CEEC' (fr) / '15.00 CEEC' (en); signed adds '+' to credits."""
    return formatting.ceec(hundredths, locale_code(), g.config["currency"]["name"], signed=signed)


def euros(cents: int | None) -> str:
    """1250 -> "12,50 €" (fr) / "€12.50" (en)."""
    return formatting.euros(cents, locale_code())


def quantity(thousandths: int | None) -> str:
    """A group purchase's quantity: 1500 -> "1,5" (fr) / "1.5" (en)."""
    return formatting.quantity(thousandths, locale_code())


def quantity_of(quantity: str, unit: str) -> str:
    """ "2 bouteilles": a quantity of a product's unit, in the request's language."""
    return i18n.quantity_of(quantity, unit, locale_code())


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


def staircase(apartment: str) -> str:
    """The staircase an apartment is on, as its number starts: "A-101" -> "A", "B12" -> "B";
    "" when the number does not say ("12", "loge")."""
    head, dash, _rest = (apartment or "").partition("-")
    if dash and head and len(head) <= 2:
        return head
    letters = re.match(r"[^\W\d_]{1,2}(?=\d)", apartment or "")
    return letters.group(0) if letters else ""


def error_message(exc: KioskError) -> str:
    """The translated message of a domain error, with its parameters."""
    params = formatting.message_values(exc.params, locale_code(), g.config["kiosk"]["timezone"])
    if "status" in params:
        params["status"] = status_label(params["status"])
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
        euros=euros,
        quantity=quantity,
        duration=duration,
        when=when,
        day=day,
        month_label=month_label,
        category_label=category_label,
        status_label=status_label,
        role_label=role_label,
        quantity_of=quantity_of,
        fold=fold_text,
        staircase=staircase,
    )
