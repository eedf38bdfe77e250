"""The hub's routes, a Blueprint: ``POST /api/enrol`` (a one-time code, no signature yet), then
signed requests only: ``POST /api/push`` (a gzip batch of the kiosk's own events),
``GET /api/pull?after=N&limit=M`` (pages by ``hub_seq``), ``GET /api/status`` (``?restore=1``:
with how many events a restore of the kiosk pulls). ``GET /`` is the
administrator's dashboard; ``GET /health`` (also ``/healthz``, the kiosk's name) tells
monitoring whether the store answers (503 when not). Refusals are JSON ``{"error": code, "message": ...}`` with a 4xx
status, never retried by kiosks.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, render_template, request
from sqlite_utils import Database

from kiosk.store import ConnectionPool
from sync import protocol
from sync.hub import dashboard as hub_dashboard
from sync.hub import db as hubdb
from sync.hub import health, kiosks
from sync.hub.db import is_postgresql
from sync.hub.group_commit import GroupCommit
from sync.hub.pages import events_page
from sync.hub.refusals import BadRequest, HubRefusal, Unauthenticated
from sync.hub.store import prepare

ENROL_MAX_BYTES = 64 * 1024  # an enrolment is a code, an origin and a key: a few hundred bytes
SQLITE_MAX_INTEGER = 2**63 - 1

POOL = "hub_pool"  # app.extensions: the hub database's connections, one per server thread
GROUP_COMMIT = "hub_group_commit"  # app.extensions: batches pushed at once, stored together
MAIL = "hub_mail"  # app.extensions: the mail sender (sync/hub/mail.py), when a relay is set
SMS = "hub_sms"  # app.extensions: the SMS sender (sync/hub/sms.py), when a gateway is set
THROTTLE = "hub_password_throttle"  # app.extensions: wrong dashboard passwords (PasswordThrottle)

bp = Blueprint("hub", __name__)


def hub_db() -> Database:
    """This request's connection to the hub's database, from the app's pool."""
    if "hub_db" not in g:
        pool: ConnectionPool = current_app.extensions[POOL]
        g.hub_db = pool.connection()
    return g.hub_db


@bp.teardown_app_request
def end_request(_exc: BaseException | None) -> None:
    db = g.pop("hub_db", None)
    if db is not None:
        current_app.extensions[POOL].release(db)  # never carry a transaction over


@bp.app_errorhandler(HubRefusal)
def refused(exc: HubRefusal) -> tuple[Response, int]:
    _record_refusal(exc.status, exc.code, str(exc))
    return jsonify(exc.as_json()), exc.status


@bp.app_errorhandler(413)
def too_large(_exc: Exception) -> tuple[Response, int]:
    _record_refusal(413, "too_large", "request body too large")
    return jsonify({"error": "too_large", "message": "request body too large"}), 413


@bp.app_errorhandler(404)
@bp.app_errorhandler(405)
@bp.app_errorhandler(500)
def unexpected(exc: Exception) -> tuple[Response, int]:
    """Anything else a kiosk may meet, as JSON too (a 500 is a bug: it is logged)."""
    status = getattr(exc, "code", None) or 500
    if status == 500:
        current_app.logger.exception("unexpected error on %s", request.path)
    code = {404: "not_found", 405: "method_not_allowed"}.get(status, "internal")
    return jsonify({"error": code, "message": f"{request.method} {request.path}: {code}"}), status


def _record_refusal(status: int, code: str, message: str) -> None:
    """For the dashboard: a refusal answered to the kiosk a signed request names."""
    origin = request.headers.get(protocol.HEADER_ORIGIN, "")
    if origin and len(origin) <= 40:
        health.record_refusal(hub_db(), origin, status, code, message)


def _signed_path() -> str:
    return request.path + (
        f"?{request.query_string.decode('ascii', 'replace')}" if request.query_string else ""
    )


def _signed_kiosk(body: bytes) -> kiosks.Kiosk:
    return kiosks.authenticate(hub_db(), request.method, _signed_path(), body, request.headers)


def _verified(body: bytes) -> tuple[kiosks.Kiosk, int]:
    """The signing kiosk and its request counter, not used up yet: the request's own write
    transaction does that (one commit per request instead of two)."""
    return kiosks.verify_request(hub_db(), request.method, _signed_path(), body, request.headers)


def _decoded(body: bytes) -> Any:
    try:
        return protocol.decode_body(body)
    except protocol.ProtocolError as exc:
        raise BadRequest(str(exc)) from exc


def _gzip_json(text: str) -> Response:
    response = Response(protocol.encode_json_text(text), content_type=protocol.CONTENT_TYPE)
    response.headers["Content-Encoding"] = protocol.CONTENT_ENCODING
    return response


@bp.post("/api/enrol")
def enrol() -> Response:
    body = request.get_data()
    # The key that signs an enrolment is in its body: the body is read only when signed
    # headers come with it, and only as far as an enrolment can be long.
    try:
        protocol.read_signature(request.headers)
        data = protocol.decode_body(body, max_bytes=ENROL_MAX_BYTES)
    except protocol.SignatureError as exc:
        raise Unauthenticated(f"enrolment not signed: {exc}") from exc
    except protocol.ProtocolError as exc:
        raise BadRequest(str(exc)) from exc
    if not isinstance(data, dict) or not isinstance(data.get("code"), str):
        raise BadRequest("enrolment needs a code, an origin and a public key")
    public_key = data.get("public_key")
    if not isinstance(public_key, str):
        raise BadRequest("enrolment needs the kiosk's public key")
    try:
        key = protocol.public_key_from_b64(public_key)
        protocol.verify_signature(
            key,
            protocol.read_signature(request.headers),
            "POST",
            "/api/enrol",
            body,
            str(data.get("origin") or ""),
            0,
        )
    except (protocol.ProtocolError, protocol.SignatureError) as exc:
        raise Unauthenticated(f"enrolment not signed by the key it enrols: {exc}") from exc
    kiosk = kiosks.enrol(
        hub_db(), data["code"], data.get("origin") or None, public_key, data.get("building")
    )
    return jsonify(kiosks.kiosk_status(hub_db(), kiosk))


@bp.post("/api/push")
def push() -> Response:
    body = request.get_data()
    kiosk, counter = _verified(body)
    try:
        batch = _decoded(body)
    except BadRequest:
        kiosks.use_counter(hub_db(), kiosk, counter)
        raise
    pending = prepare(hub_db(), kiosk, batch, counter=counter)
    group_commit: GroupCommit = current_app.extensions[GROUP_COMMIT]
    answer = group_commit.accept(hub_db(), pending)
    for name in (MAIL, SMS):
        sender = current_app.extensions.get(name)
        if sender is not None:
            sender.wake()  # an alert in the batch goes out now, not at the next poll
    return jsonify(answer)


@bp.get("/api/pull")
def pull() -> Response:
    kiosk, counter = _verified(b"")
    try:
        after = int(request.args.get("after", "0"))
        limit = int(request.args.get("limit", "500"))
        if not (0 <= after <= SQLITE_MAX_INTEGER and 0 <= limit <= SQLITE_MAX_INTEGER):
            raise ValueError("out of range")
    except ValueError as exc:
        kiosks.use_counter(hub_db(), kiosk, counter)
        raise BadRequest(
            f"after and limit are whole numbers from 0 to {SQLITE_MAX_INTEGER}"
        ) from exc
    include_own = request.args.get("own") == "1"
    text, _last, _count = events_page(
        hub_db(), kiosk, after, limit, include_own=include_own, counter=counter
    )
    return _gzip_json(text)


@bp.get("/api/status")
def status() -> Response:
    kiosk = _signed_kiosk(b"")
    restore_count = request.args.get("restore") == "1"
    return jsonify(kiosks.kiosk_status(hub_db(), kiosk, restore_count=restore_count))


@bp.get("/health")
@bp.get("/healthz")
def health_check() -> tuple[Response, int]:
    """For monitoring or a load balancer: JSON, 200 when the store answers, 503 when it
    cannot be reached (the reason is logged, never shown: it may name a host or a user)."""
    kind = "postgresql" if is_postgresql(current_app.config["HUB_DATABASE"]) else "sqlite"
    try:
        return jsonify(health.store_health(hub_db())), 200
    except hubdb.DATABASE_ERRORS:
        current_app.logger.warning("health: the hub's store cannot be reached", exc_info=True)
        return jsonify({"ok": False, "store": kind, "error": "store unreachable"}), 503


@bp.get("/")
def dashboard() -> Response | tuple[str, int] | str:
    # The dashboard names every building and kiosk: only for the hub's administrator
    # (HTTP basic authentication; put the hub behind HTTPS on the internet).
    db = hub_db()
    if not hub_dashboard.dashboard_password_set(db):
        return render_template("hub_locked.html"), 403
    auth = request.authorization
    throttle: hub_dashboard.PasswordThrottle = current_app.extensions[THROTTLE]
    address = request.remote_addr or "?"
    if auth is not None and (wait := throttle.wait_seconds(db, address)):
        return Response(
            f"Too many wrong passwords: try again in {wait} s.\n"
            f"Trop de mots de passe erronés : réessayez dans {wait} s.\n",
            429,
            {"Retry-After": str(wait), "Content-Type": "text/plain; charset=utf-8"},
        )
    if (
        auth is None
        or auth.type != "basic"
        or not hub_dashboard.check_dashboard_password(db, auth.password or "")
    ):
        if auth is not None:
            throttle.failed(db, address)
        return Response(
            "Password required. Mot de passe requis.\n",
            401,
            {
                "WWW-Authenticate": 'Basic realm="Kiosk hub"',
                "Content-Type": "text/plain; charset=utf-8",
            },
        )
    return render_template("hub_dashboard.html", hub=hub_dashboard.dashboard(db))
