"""Pairing, the device's session and its requests: the pairing page (its script makes the
key and sends the "pair" request to the hub's ``/home/api/requests``), the nonce and session
JSON, logging out, and "Mes demandes" (the resident's requests and the kiosk's answers)."""

from __future__ import annotations

from datetime import date, datetime

from flask import Blueprint, g, jsonify, redirect, request, url_for

from home import sessions
from home.site import render, session_required
from kiosk.errors import KioskError
from kiosk.home_requests import ACTIONS
from kiosk.web.formatting import error_message
from sync.hub import home_requests
from sync.hub.refusals import NotFound
from sync.hub.routes import hub_db

bp = Blueprint("home_act", __name__, url_prefix="/home")


@bp.get("/pair")
def pair():
    return render("home/pair.html")


@bp.get("/api/nonce")
def nonce():
    return jsonify({"nonce": sessions.make_nonce(hub_db())})


@bp.post("/api/session")
def open_session():
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not all(
        isinstance(data.get(k), str) for k in ("nonce", "device", "signature")
    ):
        return jsonify({"error": "malformed"}), 400
    try:
        token, _session = sessions.open_session(
            hub_db(), nonce=data["nonce"], device_id=data["device"], signature=data["signature"]
        )
    except sessions.SessionRefused as exc:
        return jsonify({"error": exc.code}), 403
    response = jsonify({"status": "open"})
    response.set_cookie(
        sessions.COOKIE,
        token,
        max_age=sessions.SESSION_DAYS * 86400,
        httponly=True,
        secure=request.is_secure,
        samesite="Lax",
        path="/home",
    )
    return response


@bp.post("/logout")
def logout():
    if g.home_session is not None:
        sessions.end(hub_db(), g.home_session.id)
    response = redirect(url_for("home.index"), 303)
    response.delete_cookie(sessions.COOKIE, path="/home")
    return response


def _moment(value):
    """A date or an instant the kiosk sent as ISO text, back as one (so it is written as the
    reader's language writes days and times); anything else as it is."""
    if isinstance(value, str) and len(value) >= 10 and value[4:5] == "-" and value[7:8] == "-":
        try:
            if len(value) == 10:
                return date.fromisoformat(value)
            return datetime.fromisoformat(value)
        except ValueError:
            return value
    return value


def answer_words(message: str | None, params: dict | None) -> str:
    """A kiosk's refusal (an English msgid of its catalogue, with parameters; a counted one
    with its plural in ``_plural`` and the counting parameter's name in ``_count``, see
    sync/home_inbox.py) in the reader's language, through the kiosk's own ``error_message``;
    the English text if it cannot be filled."""
    if not message:
        return ""
    values = {key: _moment(value) for key, value in (params or {}).items()}
    plural, count = values.pop("_plural", None), values.pop("_count", None)
    try:
        refusal = KioskError((message, plural) if plural else message, **values)
        if plural:
            refusal.count_param = count
        return error_message(refusal)
    except (KeyError, ValueError, TypeError):
        return message


@bp.get("/requests")
@session_required
def requests_page():
    rows = home_requests.requests_of(hub_db(), g.home_session.resident_id)
    return render(
        "home/requests.html",
        requests=rows,
        actions=ACTIONS,
        answer_words=answer_words,
    )


@bp.get("/api/device")
def device_state():
    """Whether this browser's session is open (the pairing page asks after the kiosk's answer)."""
    session = g.home_session
    if session is None:
        return jsonify({"session": False})
    return jsonify(
        {
            "session": True,
            "device": session.device_id,
            "paired": bool(home_requests.active_device(hub_db(), session.device_id)),
        }
    )


@bp.get("/api/answer/<request_id>")
def answer(request_id: str):
    """A request's state with the kiosk's words in the reader's language (the pages' script
    asks; the hub's ``/home/api/requests/<id>`` gives the English msgid)."""
    if len(request_id) > 64:
        return jsonify({"error": "malformed"}), 400
    try:
        told = home_requests.status_of(hub_db(), request_id)
    except NotFound:
        return jsonify({"error": "unknown"}), 404
    return jsonify(
        {"status": told["status"], "words": answer_words(told["message"], told["params"])}
    )
