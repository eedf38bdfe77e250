"""One tap, one record: the one-time key of every form that moves money or creates something,
and the one rule that records such a request at most once, however often it is sent.

A form drawn for a logged-in resident carries ``{{ once_key() }}``: a hidden field holding a key
made for that resident (when it was made, a random token, and a MAC of both and the resident's
id with the app's secret key). The view hands the work of the request to ``record(work)``:
inside one write transaction (``BEGIN IMMEDIATE``) it looks the key up in ``once_keys``; a key
already used answers with its first result (a redirect to the same page the first answer led
to); a new key runs ``work``, which records through the domain functions (their transactions
join this one) and returns the URL to show, and the key is written with that URL in the same
transaction. Two requests with one key at once: the second waits for the write lock, then reads
the first one's result; the key's PRIMARY KEY settles any other race. A refused request
(a ``KioskError`` from ``work``) writes nothing, so the corrected form can be sent again.

``earlier()`` answers a key already used before the view looks at anything else (a draft kept in
the session, a PIN): a request sent again with an older cookie or while the first was on its
way gets the first answer. A key is refused (``OnceKeyRefused``, 400) when it is missing or
malformed, made for another resident, or older than ``MAX_AGE``; rows older than that are
dropped as new ones are written.

A view that records through this module says so with ``@once.guarded`` (``record`` and
``earlier`` refuse to run in a view without that mark): tests/test_one_tap_forms.py walks every
POST route of the kiosk and finds each one either guarded or listed as recording nothing.
``record_flashing`` is ``record`` for the common small form answered on one page with a
message (a button beside a list: withdraw, mark paid, cancel...).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from flask import Flask, current_app, flash, redirect, request
from markupsafe import Markup, escape
from werkzeug.wrappers import Response

from kiosk import clock
from kiosk.errors import N_, KioskError
from kiosk.store import db as dbmod
from kiosk.web.formatting import error_message
from kiosk.web.session_state import current_resident, db

FIELD = "once_key"
MAX_AGE = timedelta(days=1)
MARK = "once_guarded"

View = TypeVar("View", bound=Callable[..., Any])


class OnceKeyRefused(KioskError):
    msgid = N_("This page is no longer valid. Nothing was recorded: please start again.")


class OnceKeyOfAnother(OnceKeyRefused):
    msgid = N_("This page was opened by another resident. Nothing was recorded.")


def _mac(resident_id: str, made: int, token: str) -> str:
    secret = current_app.secret_key
    secret = secret.encode() if isinstance(secret, str) else secret
    message = f"once|{resident_id}|{made}|{token}".encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()


def new_key(resident_id: str) -> str:
    """A fresh one-time key for a form shown to ``resident_id``."""
    made = int(clock.now().timestamp())
    token = secrets.token_urlsafe(12)
    return f"{made}.{token}.{_mac(resident_id, made, token)}"


def hidden_field() -> Markup:
    """The form's one-time key as a hidden input (the template global ``once_key``)."""
    resident = current_resident()
    if resident is None:
        return Markup("")
    return Markup('<input type="hidden" name="%s" value="%s">') % (
        FIELD,
        escape(new_key(resident.id)),
    )


def checked_key(key: str | None, resident_id: str) -> str:
    """``key`` if it was made for ``resident_id`` less than ``MAX_AGE`` ago; refused otherwise."""
    parts = (key or "").split(".")
    if len(parts) != 3 or not parts[0].isdigit() or len(parts[0]) > 12:
        raise OnceKeyRefused()
    made, token, mac = int(parts[0]), parts[1], parts[2]
    if not hmac.compare_digest(mac.encode(), _mac(resident_id, made, token).encode()):
        raise OnceKeyOfAnother()
    age = clock.now().timestamp() - made
    if age > MAX_AGE.total_seconds() or age < -300:
        raise OnceKeyRefused()
    return key


def guarded(view: View) -> View:
    """Marks ``view`` as one whose POST records at most once, through ``record`` (the mark is
    copied by the ``functools.wraps`` of the decorators above it)."""
    setattr(view, MARK, True)
    return view


def is_guarded(view: Callable[..., Any] | None) -> bool:
    return bool(getattr(view, MARK, False))


def _request_key() -> tuple[str, str]:
    if not is_guarded(current_app.view_functions.get(request.endpoint)):
        raise RuntimeError(f"{request.endpoint} records once: mark its view @once.guarded")
    resident = current_resident()
    if resident is None:
        raise OnceKeyRefused()
    return checked_key(request.form.get(FIELD), resident.id), resident.id


def _first_result(key: str, resident_id: str) -> str | None:
    row = dbmod.query_one(
        db(), "SELECT resident_id, endpoint, result_url FROM once_keys WHERE key = ?", (key,)
    )
    if row is None:
        return None
    if row["resident_id"] != resident_id or row["endpoint"] != request.endpoint:
        raise OnceKeyRefused()
    return row["result_url"]


def earlier() -> Response | None:
    """The first answer to this request's key if it was already used; None for a new key.
    Refuses a missing, foreign or expired key."""
    key, resident_id = _request_key()
    url = _first_result(key, resident_id)
    return None if url is None else redirect(url)


def record(work: Callable[[], str]) -> Response:
    """Run ``work`` once for this request's key, in one transaction with the key; redirect to
    the URL it returned, now or for every later request with the same key."""
    key, resident_id = _request_key()
    database = db()
    with dbmod.write(database):
        url = _first_result(key, resident_id)
        if url is None:
            url = work()
            now = clock.now()
            database.execute(
                "INSERT INTO once_keys (key, resident_id, endpoint, result_url, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [key, resident_id, request.endpoint, url, _iso(now)],
            )
            database.execute(
                "DELETE FROM once_keys WHERE created_at < ?", [_iso(now - MAX_AGE * 2)]
            )
    return redirect(url)


def record_flashing(
    work: Callable[[], Any], url: str, success: str | Callable[[Any], str]
) -> Response:
    """``record`` for a form answered on ``url``: ``work`` records (through the domain), then
    ``success`` is flashed, a text also when the same form comes again (the first answer, word
    for word), a function of ``work``'s result only when it ran; a refusal flashes its reason,
    records nothing and shows ``url`` too."""
    results = []

    def run() -> str:
        results.append(work())
        return url

    try:
        answer = record(run)
    except KioskError as exc:
        flash(error_message(exc), "error")
        return redirect(url)
    if not callable(success):
        flash(success, "success")
    for result in results:
        if callable(success):
            flash(success(result), "success")
    return answer


def _iso(moment) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def init_app(app: Flask) -> None:
    app.jinja_env.globals["once_key"] = hidden_field
