"""The stop link of the hub's e-mails: ``GET /mail/stop?t=<token>`` shows one button (a mail
scanner that follows links stops nothing), ``POST /mail/stop`` turns the resident's e-mails
off (``sync.hub.mail_outbox.stop``; also the one-click ``List-Unsubscribe-Post`` of RFC
8058). A forged, altered or malformed token changes nothing and gets a 400 page."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from sync.hub import mail_outbox
from sync.hub.routes import hub_db

bp = Blueprint("hub_mail", __name__)


def _token() -> str:
    return request.form.get("t") or request.args.get("t") or ""


@bp.get("/mail/stop")
def stop_page():
    token = _token()
    return render_template("hub_mail_stop.html", token=token, done=None)


@bp.post("/mail/stop")
def stop():
    done = mail_outbox.stop(hub_db(), _token())
    return render_template("hub_mail_stop.html", token="", done=done), (200 if done else 400)
