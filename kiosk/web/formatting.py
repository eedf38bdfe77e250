"""Jinja filters and helpers: CEEC amounts, durations and dates in the user's locale."""

from __future__ import annotations

from datetime import datetime

from flask import Flask, g
from flask_babel import format_datetime, format_decimal, get_locale, gettext

from .. import clock
from ..categories import CATEGORIES
from ..errors import KioskError
from ..money import to_decimal


def ceec(hundredths: int | None, signed: bool = False) -> str:
    """1500 -> '15,00 CEEC' (fr) / '15.00 CEEC' (en); signed adds '+' to credits."""
    if hundredths is None:
        return ""
    text = format_decimal(to_decimal(abs(hundredths)), format="#,##0.00")
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


def when(value: str | datetime | None, fmt: str = "medium") -> str:
    if not value:
        return ""
    moment = clock.parse_iso(value) if isinstance(value, str) else value
    if fmt == "time":
        return format_datetime(moment, "HH:mm")
    if fmt == "date":
        return format_datetime(moment, "dd/MM/yyyy" if str(get_locale()) == "fr" else "yyyy-MM-dd")
    return format_datetime(moment, "dd/MM/yyyy HH:mm" if str(get_locale()) == "fr" else "yyyy-MM-dd HH:mm")


def month_label(month: str) -> str:
    moment = datetime.strptime(month + "-15", "%Y-%m-%d")
    return format_datetime(moment, "LLLL yyyy").capitalize()


def category_label(key: str) -> str:
    return gettext(CATEGORIES.get(key, CATEGORIES["other"]))


def error_message(exc: KioskError) -> str:
    """The translated message of a domain error, with its parameters."""
    params = {}
    for key, value in exc.params.items():
        if isinstance(value, datetime):
            value = when(value)
        elif key == "status":
            value = status_label(value)
        params[key] = value
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
    app.jinja_env.filters.update(
        ceec=ceec,
        duration=duration,
        when=when,
        month_label=month_label,
        category_label=category_label,
        status_label=status_label,
        role_label=role_label,
    )
