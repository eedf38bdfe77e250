"""Who is at the kiosk: the session's resident, idle log-out, access decorators, page context.

The session holds only ids (signed cookie, HttpOnly, SameSite=Strict): the resident's and a
server-side session id (kiosk/residents/sessions.py) checked on every request, so logging out,
an idle time-out, a PIN reset or a suspension ends every session of the resident on the server,
and a copied cookie is refused afterwards. The page's timer logs out first; the server is the
safety net.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import (
    Flask,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup

from kiosk.errors import NotFound
from kiosk.residents import residents, sessions
from kiosk.residents.residents import Resident
from kiosk.store import restoring
from kiosk.web.formatting import error_message, gettext, locale_code, ngettext
from printing import admin as printer

IDLE_GRACE_SECONDS = 15  # the page logs out first; the server is the safety net


def db():
    """The request's database connection: the serving thread's own, opened on first use and
    kept for the thread's next requests (see ``ConnectionPool``)."""
    if "db" not in g:
        g.db = current_app.extensions["kiosk_db_pool"].connection()
    return g.db


def current_resident() -> Resident | None:
    if "resident" not in g:
        g.resident = None
        resident_id = session.get("resident_id")
        if resident_id:
            idle = g.config["kiosk"]["idle_timeout_seconds"] + IDLE_GRACE_SECONDS
            state = sessions.check(db(), session.get("sid"), resident_id, idle)
            if state != sessions.LIVE:
                _forget()
                if state == sessions.IDLE:
                    flash(idle_logout_message(), "info")
                return None
            try:
                resident = residents.get(db(), resident_id)
            except NotFound:
                resident = None
            if resident is None or resident.status not in residents.ACTIVE_STATUSES:
                sessions.end_all(db(), resident_id, resident.status if resident else "unknown")
                _forget()
            else:
                g.resident = resident
    return g.resident


def idle_logout_message() -> str:
    """What a resident logged out for inactivity reads: after how long, distinct from the
    goodbye of a log-out they asked for."""
    seconds = g.config["kiosk"]["idle_timeout_seconds"]
    if seconds == 60:
        return gettext("You were logged out after one minute without activity.")
    if seconds % 60 == 0:
        return ngettext(
            "You were logged out after %(num)d minute without activity.",
            "You were logged out after %(num)d minutes without activity.",
            seconds // 60,
        )
    return ngettext(
        "You were logged out after %(num)d second without activity.",
        "You were logged out after %(num)d seconds without activity.",
        seconds,
    )


def start_session(resident: Resident) -> None:
    """Log ``resident`` in with a new server-side session id (never the one before login)."""
    _forget()
    session["resident_id"] = resident.id
    session["sid"] = sessions.start(db(), resident.id)
    g.resident = resident


def end_session(why: str = "logout") -> None:
    """Log out: every session of the resident ends on the server, this cookie is emptied."""
    resident_id = session.get("resident_id")
    if resident_id:
        sessions.end_all(db(), resident_id, why)
    _forget()


def _forget() -> None:
    """Empty this cookie's session (the language stays)."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    g.resident = None


def login_required(view: Callable) -> Callable:
    @wraps(view)
    def wrapped(*args, **kwargs):
        if current_resident() is None:
            flash(gettext("Please scan your card or choose your name to continue."), "info")
            return redirect(url_for("login.home"))
        return view(*args, **kwargs)

    return wrapped


def admin_required(view: Callable) -> Callable:
    @wraps(view)
    def wrapped(*args, **kwargs):
        resident = current_resident()
        if resident is None:
            flash(gettext("Please scan your card or choose your name to continue."), "info")
            return redirect(url_for("login.home"))
        if not resident.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def _check_idle() -> None:
    """Every request checks its session on the server (and notes it as seen)."""
    if request.endpoint == "static" or "resident_id" not in session:
        return
    current_resident()


_JS_STRINGS: dict[str, Markup] = {}


def _js_strings() -> Markup:
    """The page scripts' texts as JSON safe inside <script>, built once per language."""
    code = locale_code()
    text = _JS_STRINGS.get(code)
    if text is None:
        text = _JS_STRINGS[code] = htmlsafe_json_dumps(_js_texts())
    return text


def _js_texts() -> dict[str, str]:
    return {
        "idle_title": gettext("Are you still there?"),
        "idle_body": gettext("Touch the screen to stay logged in."),
        "idle_stay": gettext("I am still here"),
        # The page picks the form for its count (Intl.PluralRules): one text for each form.
        "seconds_left": ngettext("%(n)s second left", "%(n)s seconds left", 2, n="{n}"),
        "seconds_left_one": ngettext("%(n)s second left", "%(n)s seconds left", 1, n="{n}"),
        "key_caps": gettext("Caps lock"),
        "key_comma": gettext("Decimal comma"),
        "key_space": gettext("Space"),
        "key_backspace": gettext("Delete"),
        "key_shift": gettext("Capitals"),
        "key_ok": gettext("OK"),
        "key_symbols": gettext("123?"),
        "key_letters": gettext("ABC"),
        "key_accents": gettext("Accents"),
        "key_clear": gettext("Clear"),
        "keyboard_label": gettext("On-screen keyboard"),
        "numpad_label": gettext("Number pad"),
    }


def init_app(app: Flask) -> None:
    app.before_request(_check_idle)

    @app.errorhandler(403)
    def forbidden(_exc):

        return render_template(
            "error.html",
            title=gettext("Not allowed"),
            message=gettext("Only a kiosk administrator can open this page."),
        ), 403

    @app.context_processor
    def page_context():
        config = g.config
        return {
            "me": current_resident(),
            "building_name": config["building"]["name"],
            "currency": config["currency"]["name"],
            "idle_timeout": config["kiosk"]["idle_timeout_seconds"],
            "idle_warning": config["kiosk"]["idle_warning_seconds"],
            "lang": session.get("lang") or config.language,
            "timezone": config["kiosk"]["timezone"],
            "js_strings": _js_strings(),
            "kiosk_status": _kiosk_status(),
            "restore_banner": restore_banner(),
        }

    @app.after_request
    def wake_printer(response):
        # A POST may have queued a print job (committed by now): print it soon.
        if request.method == "POST":
            worker = current_app.extensions.get("print_worker")
            if worker is not None:
                worker.wake()
        return response


def restore_banner() -> str | None:
    """While a restore from the hub is under way, what every screen says about it (the words of
    the refusal any recording meets meanwhile, kiosk/store/restoring.py); None otherwise."""
    now = restoring.progress(db())
    if now is None:
        return None
    return error_message(restoring.KioskBeingRestored(done=now.done, total=now.total))


def _kiosk_status() -> dict:
    """What the status bar shows. Never waits on a device: the worker's last known state."""
    worker = current_app.extensions.get("print_worker")
    status = {"printer": None, "printer_ok": True, "pending_jobs": 0}
    if worker is not None:
        printer_status = worker.status
        status["printer"] = printer_status.label(locale_code())
        status["printer_ok"] = printer_status.can_print
        status["pending_jobs"] = printer.count_waiting(db())
    return status
